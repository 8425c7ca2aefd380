package controllers_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws"
	"github.com/tenantstorage/tenantstorage-operator/internal/seedworld"
)

// hooli follows guide 004's Option A, with the bucket policy's Resource
// fixed to name the bucket too (the guide's lists only bucket/*).
var hooli = customerWith("hooli", seedworld.Direct, func(c *seedworld.Customer) { c.BucketPolicy = directBucketPolicy(c.BucketName()) })

// directBucketPolicy is guide 004 Option A's bucket policy with the bucket
// ARN added to its Resource, so that s3:ListBucket is granted.
func directBucketPolicy(bucket string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"AWS":%q},
		"Action":["s3:GetObject","s3:PutObject","s3:RestoreObject","s3:ListBucket","s3:DeleteObject"],
		"Resource":["arn:aws:s3:::%s","arn:aws:s3:::%[2]s/*"]}]}`, vendor.ServiceRoleARN(), bucket)
}

var _ = Describe("each way of the guides to bring a bucket or a key", func() {
	It("is Ready with a key only (guide 000, For KMS Only Access)", func() {
		session := tenantSession(globex, "default", "globex")
		aws.ResetCalls()
		ts := start(tenant("globex", globex))
		Expect(ts.Spec.BucketArn).To(BeEmpty())

		got := waitFor(ts, storagev1alpha1.ReadyCondition, metav1.ConditionTrue, storagev1alpha1.ReasonVerified)
		Expect(got.Status.Identity).To(Equal(session))
		Expect(conditions(got)).To(Equal(map[string]cond{
			storagev1alpha1.TrustVerifiedCondition: trustVerified(globex, session),
			storagev1alpha1.PermissionsVerifiedCondition: {metav1.ConditionTrue, storagev1alpha1.ReasonNotApplicable,
				"no bucketArn: the tenant brings only a key"},
			storagev1alpha1.EncryptionVerifiedCondition: {metav1.ConditionTrue, storagev1alpha1.ReasonNotApplicable,
				"no bucketArn: the documents are in the vendor's bucket"},
			storagev1alpha1.KeyAccessVerifiedCondition: keyVerified(globex),
			storagev1alpha1.ReadyCondition:             readyVerified,
		}))
		Expect(got.Status.Actions).To(Equal(allowed(kmsActions)))

		Expect(summarizeCalls(aws.Calls(localaws.CallFilter{Principal: session}))).To(Equal(map[string]int{
			session + " kms:DescribeKey OK":     1,
			session + " kms:GenerateDataKey OK": 1,
			session + " kms:Encrypt OK":         1,
			session + " kms:Decrypt OK":         1,
			session + " kms:ReEncrypt OK":       1,
		}))
	})

	It("is not Ready with guide 004's Option A bucket policy verbatim: it grants s3:ListBucket on bucket/* only", func() {
		ts := start(tenant("initech", initech))
		Expect(ts.Spec.RoleArn).To(BeEmpty())

		got := waitFor(ts, storagev1alpha1.ReadyCondition, metav1.ConditionFalse, storagev1alpha1.ReasonActionsDenied)
		Expect(got.Status.Identity).To(Equal(serviceSession()))
		listDenied := "s3:ListBucket is denied on arn:aws:s3:::initech-document-bucket. It is granted on the bucket ARN itself, not on arn:aws:s3:::initech-document-bucket/* (onboarding guide 004's Option A bucket policy makes this mistake): " +
			"add arn:aws:s3:::initech-document-bucket to the Resource of the bucket policy statement that names " + vendor.ServiceRoleARN() + ", and make sure no Deny statement matches it (onboarding guide 004, Option A)"
		Expect(conditions(got)).To(Equal(failedWith(map[string]cond{
			storagev1alpha1.TrustVerifiedCondition:       directAccess(),
			storagev1alpha1.PermissionsVerifiedCondition: {metav1.ConditionFalse, storagev1alpha1.ReasonActionsDenied, listDenied},
			storagev1alpha1.EncryptionVerifiedCondition:  encryptionVerified(initech),
			storagev1alpha1.KeyAccessVerifiedCondition:   keyVerified(initech),
		}, storagev1alpha1.PermissionsVerifiedCondition)))
		Expect(got.Status.Actions).To(Equal(withResult(allowed(s3Actions, kmsActions), storagev1alpha1.ActionResult{
			Action: "s3:ListBucket", Result: storagev1alpha1.ActionDenied, Message: listDenied,
		})))
	})

	It("is Ready with Option A once the bucket policy also names the bucket ARN", func() {
		ts := start(tenant("hooli", hooli))

		got := waitFor(ts, storagev1alpha1.ReadyCondition, metav1.ConditionTrue, storagev1alpha1.ReasonVerified)
		Expect(got.Status.Identity).To(Equal(serviceSession()))
		Expect(conditions(got)).To(Equal(map[string]cond{
			storagev1alpha1.TrustVerifiedCondition:       directAccess(),
			storagev1alpha1.PermissionsVerifiedCondition: permissionsVerified(hooli),
			storagev1alpha1.EncryptionVerifiedCondition:  encryptionVerified(hooli),
			storagev1alpha1.KeyAccessVerifiedCondition:   keyVerified(hooli),
			storagev1alpha1.ReadyCondition:               readyVerified,
		}))
		Expect(got.Status.Actions).To(Equal(allowed(s3Actions, kmsActions)))
	})
})

func directAccess() cond {
	return cond{metav1.ConditionTrue, storagev1alpha1.ReasonDirectAccess, fmt.Sprintf(
		"no roleArn: the operator's service identity %s uses the bucket and key directly, so their policies must name it (onboarding guide 004, Option A)", serviceSession())}
}
