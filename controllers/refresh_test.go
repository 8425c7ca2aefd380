package controllers_test

import (
	"context"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/controllers"
	"github.com/tenantstorage/tenantstorage-operator/internal/awsauth"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws"
	"github.com/tenantstorage/tenantstorage-operator/internal/seedworld"
	"github.com/tenantstorage/tenantstorage-operator/internal/storagesecret"
	"github.com/tenantstorage/tenantstorage-operator/internal/verify"
)

// This test drives a reconciler of its own with an injected clock, shared
// by localaws, so that an hour of credential lifetime passes in a moment.
var _ = Describe("credential refresh under an injected clock", func() {
	It("refreshes at the planned time, never hands out less than the minimum, and recovers from a run of throttled refreshes", func() {
		ctx := context.Background()
		clock := clocktesting.NewFakeClock(time.Now().Truncate(time.Second))
		clocked := seedworld.Customer{Name: "clocked", AccountID: "299999999999"}.Fill()
		w, err := seedworld.World(vendor, clocked)
		Expect(err).NotTo(HaveOccurred())
		srv, err := localaws.New(w, localaws.WithClock(clock.Now))
		Expect(err).NotTo(HaveOccurred())
		endpoint, err := srv.Start("127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(srv.Close)

		base, err := awsauth.LoadBase(ctx, awsauth.BaseOptions{})
		Expect(err).NotTo(HaveOccurred())
		base.BaseEndpoint = awssdk.String(endpoint)
		// The operator's own retries are under test, not the SDK's backoff.
		base.Retryer = func() awssdk.Retryer { return awssdk.NopRetryer{} }
		r := &controllers.TenantStorageReconciler{
			Client:   k8sClient,
			Verifier: &verify.Verifier{Sessions: awsauth.New(base, vendor.ServiceRoleARN()), ClientRolePattern: vendor.ClientRolePattern},
			Recorder: events.NewFakeRecorder(100),
			Clock:    clock,
		}

		ts := tenant("clocked", clocked)
		ts.Namespace = unmanagedNamespace
		// Short sessions keep the whole test inside the lifetime of the
		// service role's own session, which the SDK caches by the real clock.
		session, minRemaining := 15*time.Minute, 2*time.Minute
		ts.Spec.SessionDuration = &metav1.Duration{Duration: session}
		ts.Spec.Secret.MinRemaining = &metav1.Duration{Duration: minRemaining}
		create(ts)
		req := ctrl.Request{NamespacedName: types.NamespacedName{Namespace: ts.Namespace, Name: ts.Name}}

		reconcile := func() ctrl.Result {
			res, err := r.Reconcile(ctx, req)
			Expect(err).NotTo(HaveOccurred())
			return res
		}
		secretNow := func() (awssdk.Credentials, time.Time) {
			s := storageSecret(Default, ts)
			creds, ok := storagesecret.Credentials(s.Data)
			if !ok {
				return awssdk.Credentials{}, time.Time{}
			}
			refreshAt, err := time.Parse(time.RFC3339, s.Annotations[storagesecret.AnnotationRefreshAt])
			Expect(err).NotTo(HaveOccurred())
			return creds, refreshAt
		}

		By("issuing credentials for the session's lifetime, planned for refresh at two thirds of it plus jitter")
		issued := clock.Now()
		res := reconcile()
		first, refreshAt := secretNow()
		Expect(first.Expires).To(BeTemporally("==", issued.Add(session)))
		Expect(refreshAt).To(BeTemporally(">=", issued.Add(10*time.Minute)))
		Expect(refreshAt).To(BeTemporally("<=", issued.Add(11*time.Minute+15*time.Second)))
		Expect(res.RequeueAfter).To(BeNumerically("<=", refreshAt.Sub(clock.Now())))

		By("keeping them until the planned time, through re-verifications")
		for _, at := range []time.Duration{3 * time.Minute, 6 * time.Minute, 9 * time.Minute} {
			clock.SetTime(issued.Add(at + time.Second))
			reconcile()
			creds, _ := secretNow()
			Expect(creds.AccessKeyID).To(Equal(first.AccessKeyID), "at +%v", at)
		}
		clock.SetTime(refreshAt.Add(-time.Second))
		reconcile()
		creds, _ := secretNow()
		Expect(creds.AccessKeyID).To(Equal(first.AccessKeyID))

		By("refreshing at the planned time")
		clock.SetTime(refreshAt)
		reconcile()
		second, secondRefresh := secretNow()
		Expect(second.AccessKeyID).NotTo(Equal(first.AccessKeyID))
		Expect(second.Expires).To(BeTemporally("==", refreshAt.Add(session)))
		Expect(second.Expires.Sub(clock.Now())).To(BeNumerically(">=", minRemaining))

		By("keeping the current credentials through a run of throttled refreshes, with Reconciling set")
		fault, err := srv.InjectFault(localaws.Fault{Service: "sts", Operation: "AssumeRole", Kind: localaws.FaultThrottle})
		Expect(err).NotTo(HaveOccurred())
		for _, step := range []time.Duration{0, 20 * time.Second, 40 * time.Second, time.Minute} {
			clock.SetTime(secondRefresh.Add(step))
			res := reconcile()
			creds, _ := secretNow()
			Expect(creds.AccessKeyID).To(Equal(second.AccessKeyID), "at refresh+%v", step)
			got := fetch(Default, ts)
			Expect(conditionOf(got, storagev1alpha1.ReconcilingCondition).Status).To(Equal(metav1.ConditionTrue))
			Expect(conditionOf(got, storagev1alpha1.SecretReadyCondition).Status).To(Equal(metav1.ConditionTrue))
			Expect(res.RequeueAfter).To(BeNumerically("<=", 40*time.Second), "retried with backoff, not at the next interval")
		}

		By("recovering before expiry once STS answers again")
		Expect(srv.RemoveFault(fault.ID)).To(BeTrue())
		recovery := secondRefresh.Add(90 * time.Second)
		Expect(recovery).To(BeTemporally("<", second.Expires.Add(-minRemaining)))
		clock.SetTime(recovery)
		reconcile()
		third, _ := secretNow()
		Expect(third.AccessKeyID).NotTo(Equal(second.AccessKeyID))
		Expect(third.Expires.Sub(clock.Now())).To(Equal(session))
		got := fetch(Default, ts)
		Expect(conditionOf(got, storagev1alpha1.SecretReadyCondition).Reason).To(Equal(storagev1alpha1.ReasonCredentialsCurrent))
		// The checks that failed during the throttling run again at their
		// retry time, and only then is the tenant no longer Reconciling.
		clock.SetTime(got.Status.NextVerifyTime.Time)
		reconcile()
		got = fetch(Default, ts)
		Expect(conditionOf(got, storagev1alpha1.ReconcilingCondition)).To(Equal(cond{}))
		Expect(conditionOf(got, storagev1alpha1.ReadyCondition).Status).To(Equal(metav1.ConditionTrue))

		By("never writing credentials with less than the minimum left: expired ones are removed while refresh fails")
		_, err = srv.InjectFault(localaws.Fault{Service: "sts", Operation: "AssumeRole", Kind: localaws.FaultThrottle})
		Expect(err).NotTo(HaveOccurred())
		// The verification above may have fallen after third's refresh time
		// (both are jittered) and refreshed them: expire whatever is there.
		latest, _ := secretNow()
		Expect(latest.AccessKeyID).NotTo(BeEmpty())
		clock.SetTime(latest.Expires.Add(time.Second))
		reconcile()
		creds, _ = secretNow()
		Expect(creds.AccessKeyID).To(BeEmpty())
		Expect(conditionOf(fetch(Default, ts), storagev1alpha1.SecretReadyCondition).Reason).To(Equal(storagev1alpha1.ReasonCredentialsExpired))
	})
})
