package controllers_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/controllers"
	"github.com/tenantstorage/tenantstorage-operator/internal/seeds"
	"github.com/tenantstorage/tenantstorage-operator/internal/seedworld"
	"github.com/tenantstorage/tenantstorage-operator/internal/storagesecret"
)

var (
	storageCo = customer("storageco", seedworld.Chained)
	piedPiper = customer("piedpiper", seedworld.Chained)
	directCo  = customerWith("directco", seedworld.Direct, func(c *seedworld.Customer) { c.BucketPolicy = directBucketPolicy(c.BucketName()) })
)

func storageSecret(g Gomega, ts *storagev1alpha1.TenantStorage) *corev1.Secret {
	s := &corev1.Secret{}
	g.Expect(k8sClient.Get(context.Background(), client.ObjectKey{Namespace: ts.Namespace, Name: ts.Name + "-storage"}, s)).To(Succeed())
	return s
}

// mount writes the Secret's keys as files, as the kubelet does for a
// Secret volume.
func mount(dir string, s *corev1.Secret) {
	for k, v := range s.Data {
		Expect(os.WriteFile(filepath.Join(dir, k+".tmp"), v, 0o600)).To(Succeed())
		Expect(os.Rename(filepath.Join(dir, k+".tmp"), filepath.Join(dir, k))).To(Succeed())
	}
}

// podConfig loads AWS config the way a storage pod does: the SDK's own
// shared-config loader reading the mounted config file, whose
// credential_process prints the mounted credentials.json.
func podConfig(dir string) awssdk.Config {
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithSharedConfigFiles([]string{filepath.Join(dir, storagesecret.KeyConfig)}),
		config.WithSharedCredentialsFiles([]string{filepath.Join(dir, "no-credentials-file")}))
	Expect(err).NotTo(HaveOccurred())
	return cfg
}

func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// withoutOperatorCredentials hides the operator's own keys from the
// environment for the rest of the test, so the pod's loader can only use
// the Secret. (The operator loaded its credentials at start-up.)
func withoutOperatorCredentials() {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		old := os.Getenv(k)
		Expect(os.Setenv(k, "")).To(Succeed())
		DeferCleanup(os.Setenv, k, old)
	}
}

var _ = Describe("the storage Secret", func() {
	It("lets a pod use the tenant's bucket and key through the SDK's shared config, across a refresh, and nothing else", func() {
		dir := GinkgoT().TempDir()
		ts := tenant("storageco", storageCo)
		// s3:DeleteObject is left out: the role allows it, the pods' session must not.
		ts.Spec.S3Actions = []storagev1alpha1.S3Action{storagev1alpha1.S3GetObject, storagev1alpha1.S3PutObject, storagev1alpha1.S3ListBucket}
		ts.Spec.Secret.MountPath = dir
		create(ts)

		var secret *corev1.Secret
		eventually(func(g Gomega) {
			got := fetch(g, ts)
			g.Expect(conditionOf(got, storagev1alpha1.ReadyCondition).Status).To(Equal(metav1.ConditionTrue))
			secret = storageSecret(g, ts)
			g.Expect(got.Status.CredentialsExpireTime).NotTo(BeNil())
			g.Expect(secret.Annotations[storagesecret.AnnotationExpiresAt]).To(Equal(got.Status.CredentialsExpireTime.UTC().Format(time.RFC3339)))
		}).Should(Succeed())

		Expect(secret.Labels).To(HaveKeyWithValue(controllers.ManagedByLabel, controllers.ManagedByValue))
		Expect(secret.OwnerReferences).To(HaveLen(1))
		Expect(secret.OwnerReferences[0].Name).To(Equal("storageco"))
		Expect(*secret.OwnerReferences[0].Controller).To(BeTrue())
		Expect(string(secret.Data[storagesecret.KeyBucket])).To(Equal(storageCo.BucketName()))
		Expect(string(secret.Data[storagesecret.KeyKMSKeyARN])).To(Equal(storageCo.KeyARN()))
		Expect(string(secret.Data[storagesecret.KeyRegion])).To(Equal("us-east-1"))
		Expect(string(secret.Data[storagesecret.KeyAccessKeyID])).To(HavePrefix("ASIA"))
		Expect(secret.Annotations[storagesecret.AnnotationContentHash]).To(Equal(storagesecret.ContentHash(secret.Data)))

		mount(dir, secret)
		withoutOperatorCredentials()
		ctx := context.Background()
		pod := podConfig(dir)
		creds, err := pod.Credentials.Retrieve(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(creds.AccessKeyID).To(Equal(string(secret.Data[storagesecret.KeyAccessKeyID])))
		Expect(creds.Expires.UTC().Format(time.RFC3339)).To(Equal(secret.Annotations[storagesecret.AnnotationExpiresAt]))

		bucket, key := storageCo.BucketName(), "documents/report.txt"
		s3c, kmsc := s3.NewFromConfig(pod), kms.NewFromConfig(pod)
		_, err = s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader("quarterly report")})
		Expect(err).NotTo(HaveOccurred())
		_, err = s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
		Expect(err).NotTo(HaveOccurred())
		_, err = kmsc.Encrypt(ctx, &kms.EncryptInput{KeyId: awssdk.String(storageCo.KeyARN()), Plaintext: []byte("x")})
		Expect(err).NotTo(HaveOccurred())

		By("refusing what the session policy leaves out, though the role allows it")
		_, err = s3c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: &key})
		Expect(errorCode(err)).To(Equal("AccessDenied"))
		By("refusing another tenant's bucket and key")
		other := acme.BucketName()
		_, err = s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: &other, Key: &key, Body: strings.NewReader("x")})
		Expect(errorCode(err)).To(Equal("AccessDenied"))
		_, err = kmsc.Encrypt(ctx, &kms.EncryptInput{KeyId: awssdk.String(acme.KeyARN()), Plaintext: []byte("x")})
		Expect(errorCode(err)).To(Equal("AccessDeniedException"))

		By("refreshing: the operator replaces the credentials when their refresh time comes")
		patch := client.MergeFrom(secret.DeepCopy())
		secret.Annotations[storagesecret.AnnotationRefreshAt] = time.Now().Add(-time.Second).UTC().Format(time.RFC3339)
		Expect(k8sClient.Patch(ctx, secret, patch)).To(Succeed())
		oldKey := string(secret.Data[storagesecret.KeyAccessKeyID])
		var refreshed *corev1.Secret
		eventually(func(g Gomega) {
			refreshed = storageSecret(g, ts)
			g.Expect(string(refreshed.Data[storagesecret.KeyAccessKeyID])).NotTo(Equal(oldKey))
		}).Should(Succeed())
		Expect(refreshed.Annotations[storagesecret.AnnotationContentHash]).NotTo(Equal(secret.Annotations[storagesecret.AnnotationContentHash]))

		By("the running pod keeps working, and a new one picks up the new credentials from the same files")
		_, err = s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
		Expect(err).NotTo(HaveOccurred())
		mount(dir, refreshed)
		fresh := podConfig(dir)
		creds, err = fresh.Credentials.Retrieve(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(creds.AccessKeyID).To(Equal(string(refreshed.Data[storagesecret.KeyAccessKeyID])))
		_, err = s3.NewFromConfig(fresh).GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
		Expect(err).NotTo(HaveOccurred())
	})

	It("keeps a direct-mode tenant's pods out of the other tenants' buckets, which the vendor's own role may use", func() {
		// A second direct tenant, set up as hooli (guide 004 Option A with the
		// bucket ARN fixed): the vendor's service role may use both buckets.
		dir := GinkgoT().TempDir()
		ts := tenant("directco", directCo)
		ts.Spec.Secret.MountPath = dir
		create(ts)
		DeferCleanup(k8sClient.Delete, context.Background(), ts)
		var secret *corev1.Secret
		eventually(func(g Gomega) {
			g.Expect(conditionOf(fetch(g, ts), storagev1alpha1.ReadyCondition).Status).To(Equal(metav1.ConditionTrue))
			secret = storageSecret(g, ts)
		}).Should(Succeed())

		mount(dir, secret)
		withoutOperatorCredentials()
		ctx := context.Background()
		s3c := s3.NewFromConfig(podConfig(dir))
		own, other, key := directCo.BucketName(), hooli.BucketName(), "documents/a.txt"
		_, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: &own, Key: &key, Body: strings.NewReader("mine")})
		Expect(err).NotTo(HaveOccurred())
		_, err = s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: &other, Key: &key, Body: strings.NewReader("not mine")})
		Expect(errorCode(err)).To(Equal("AccessDenied"))
		_, err = s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: &other, Key: &key})
		Expect(errorCode(err)).To(Equal("AccessDenied"))
	})

	It("holds the location, role and ExternalId but no credentials in ConfigOnly mode", func() {
		ts := tenant("configonly", storageCo)
		ts.Spec.Secret.Mode = storagev1alpha1.SecretModeConfigOnly
		create(ts)
		DeferCleanup(k8sClient.Delete, context.Background(), ts)
		eventually(func(g Gomega) {
			got := fetch(g, ts)
			g.Expect(conditionOf(got, storagev1alpha1.SecretReadyCondition)).To(Equal(cond{metav1.ConditionTrue, storagev1alpha1.ReasonConfigOnly,
				"the Secret holds the data's location and the role; pods assume the role themselves"}))
			g.Expect(conditionOf(got, storagev1alpha1.ReadyCondition).Status).To(Equal(metav1.ConditionTrue))
			g.Expect(got.Status.CredentialsExpireTime).To(BeNil())
			s := storageSecret(g, ts)
			g.Expect(string(s.Data[storagesecret.KeyRoleARN])).To(Equal(storageCo.RoleARN()))
			g.Expect(string(s.Data[storagesecret.KeyExternalID])).To(Equal(storageCo.ExternalID))
			g.Expect(string(s.Data[storagesecret.KeyBucket])).To(Equal(storageCo.BucketName()))
			for _, k := range storagesecret.CredentialKeys {
				g.Expect(s.Data).NotTo(HaveKey(k))
			}
		}).Should(Succeed())
	})

	It("withdraws the credentials within one verify interval when trust is revoked, keeps the location, and restores them", func() {
		ts := tenant("piedpiper", piedPiper)
		ts.Spec.VerifyInterval = &metav1.Duration{Duration: 5 * time.Second}
		create(ts)
		DeferCleanup(k8sClient.Delete, context.Background(), ts)
		eventually(func(g Gomega) {
			g.Expect(storageSecret(g, ts).Data).To(HaveKey(storagesecret.KeyAccessKeyID))
		}).Should(Succeed())

		trusting := seeds.MustFill("000-cli-trust-policy.json", piedPiper.Values(vendor))
		Expect(aws.SetRoleTrustPolicy(piedPiper.RoleARN(), `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+piedPiper.AccountID+`:root"},"Action":"sts:AssumeRole"}]}`)).To(Succeed())
		Eventually(func(g Gomega) {
			s := storageSecret(g, ts)
			for _, k := range storagesecret.CredentialKeys {
				g.Expect(s.Data).NotTo(HaveKey(k))
			}
			g.Expect(string(s.Data[storagesecret.KeyBucket])).To(Equal(piedPiper.BucketName()))
			g.Expect(s.Annotations).NotTo(HaveKey(storagesecret.AnnotationExpiresAt))
			got := fetch(g, ts)
			g.Expect(conditionOf(got, storagev1alpha1.SecretReadyCondition)).To(Equal(cond{metav1.ConditionFalse, storagev1alpha1.ReasonCredentialsWithdrawn,
				"no credentials while TrustVerified is False (AssumeRoleDenied); the location keys stay, and credentials come back once the checks pass"}))
			g.Expect(got.Status.CredentialsExpireTime).To(BeNil())
		}).WithTimeout(5*time.Second + 10*time.Second).WithPolling(200 * time.Millisecond).Should(Succeed())

		Expect(aws.SetRoleTrustPolicy(piedPiper.RoleARN(), trusting)).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(storageSecret(g, ts).Data).To(HaveKey(storagesecret.KeyAccessKeyID))
			g.Expect(conditionOf(fetch(g, ts), storagev1alpha1.ReadyCondition).Status).To(Equal(metav1.ConditionTrue))
		}).WithTimeout(15 * time.Second).WithPolling(200 * time.Millisecond).Should(Succeed())
	})

	It("is restored when edited or deleted by hand", func() {
		ts := tenant("acme-restore", acme)
		ts.Spec.Secret.Name = "acme-documents"
		create(ts)
		DeferCleanup(k8sClient.Delete, context.Background(), ts)
		ctx := context.Background()
		key := client.ObjectKey{Namespace: "default", Name: "acme-documents"}
		var want map[string][]byte
		eventually(func(g Gomega) {
			s := &corev1.Secret{}
			g.Expect(k8sClient.Get(ctx, key, s)).To(Succeed())
			g.Expect(s.Data).To(HaveKey(storagesecret.KeyAccessKeyID))
			want = s.Data
		}).Should(Succeed())

		s := &corev1.Secret{}
		Expect(k8sClient.Get(ctx, key, s)).To(Succeed())
		s.Data[storagesecret.KeyBucket] = []byte("someone-elses-bucket")
		s.Data["EXTRA"] = []byte("added by hand")
		Expect(k8sClient.Update(ctx, s)).To(Succeed())
		eventually(func(g Gomega) {
			got := &corev1.Secret{}
			g.Expect(k8sClient.Get(ctx, key, got)).To(Succeed())
			g.Expect(got.Data).To(Equal(want))
		}).Should(Succeed())

		Expect(k8sClient.Delete(ctx, s)).To(Succeed())
		eventually(func(g Gomega) {
			got := &corev1.Secret{}
			g.Expect(k8sClient.Get(ctx, key, got)).To(Succeed())
			g.Expect(got.UID).NotTo(Equal(s.UID))
			// The location is back; the credentials are a fresh session,
			// since the old ones went with the deleted Secret.
			for _, k := range []string{storagesecret.KeyBucket, storagesecret.KeyBucketARN, storagesecret.KeyKMSKeyARN, storagesecret.KeyRegion} {
				g.Expect(got.Data).To(HaveKeyWithValue(k, want[k]))
			}
			g.Expect(string(got.Data[storagesecret.KeyAccessKeyID])).To(HavePrefix("ASIA"))
		}).Should(Succeed())
	})

	It("caches only the Secrets it owns, however many others the cluster holds", func() {
		ctx := context.Background()
		const unrelated = 10000
		var wg sync.WaitGroup
		errs := make(chan error, unrelated)
		for w := range 16 {
			wg.Go(func() {
				for i := w; i < unrelated; i += 16 {
					s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "default", GenerateName: "unrelated-"},
						Data: map[string][]byte{"token": []byte(strings.Repeat("x", 512))}}
					if err := k8sClient.Create(ctx, s); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		Expect(errs).To(BeEmpty())

		all := &corev1.SecretList{}
		Expect(k8sClient.List(ctx, all, client.InNamespace("default"))).To(Succeed())
		Expect(len(all.Items)).To(BeNumerically(">=", unrelated))

		cached := &corev1.SecretList{}
		Expect(mgrCache.List(ctx, cached)).To(Succeed())
		Expect(len(cached.Items)).To(BeNumerically("<", 50))
		for _, s := range cached.Items {
			Expect(s.Labels).To(HaveKeyWithValue(controllers.ManagedByLabel, controllers.ManagedByValue), s.Name)
		}
	})
})
