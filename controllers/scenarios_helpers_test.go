package controllers_test

import (
	"context"
	"fmt"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/controllers"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws"
	"github.com/tenantstorage/tenantstorage-operator/internal/seedworld"
)

// customerWith registers a customer like customer() does, changed by
// change before the world is built (for example a bucket policy other than
// the guide's).
func customerWith(name string, mode seedworld.Mode, change func(*seedworld.Customer)) seedworld.Customer {
	customer(name, mode)
	c := &customers[len(customers)-1]
	change(c)
	return *c
}

// serviceSession is the vendor's service role session, the caller of every
// AssumeRole into a client role.
func serviceSession() string {
	return fmt.Sprintf("arn:aws:sts::%s:assumed-role/document-storage-role/tenantstorage-operator", vendor.AccountID)
}

// tenantSession is the session the operator holds in c's client role for
// the TenantStorage namespace/name.
func tenantSession(c seedworld.Customer, namespace, name string) string {
	return fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/ts-%s.%s", c.AccountID, c.RoleName, namespace, name)
}

// start creates ts and deletes it when the spec ends, between two
// verifications, so that no tenant of one scenario calls AWS during the
// next.
func start(ts *storagev1alpha1.TenantStorage) *storagev1alpha1.TenantStorage {
	create(ts)
	DeferCleanup(func() {
		ctx := context.Background()
		if apierrors.IsNotFound(k8sClient.Get(ctx, client.ObjectKeyFromObject(ts), &storagev1alpha1.TenantStorage{})) {
			return
		}
		// A verification answering the annotation has just finished and
		// the next is an interval away: nothing is in flight.
		waitHandled(ts, reverify(ts))
		Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, ts))).To(Succeed())
		eventually(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(ctx, client.ObjectKeyFromObject(ts), &storagev1alpha1.TenantStorage{}))
		}).Should(BeTrue())
	})
	return ts
}

// waitFor waits until ts's condition t has status and reason, and returns
// the TenantStorage as it was then.
func waitFor(ts *storagev1alpha1.TenantStorage, t string, status metav1.ConditionStatus, reason string) *storagev1alpha1.TenantStorage {
	GinkgoHelper()
	var got *storagev1alpha1.TenantStorage
	eventually(func(g Gomega) {
		got = fetch(g, ts)
		g.Expect(conditionOf(got, t)).To(Satisfy(condIs(status, reason)), "%s of %s", t, ts.Name)
	}).Should(Succeed())
	return got
}

// waitHandled waits until the verification answering the reverify
// annotation value has written its verdict, and returns the TenantStorage.
func waitHandled(ts *storagev1alpha1.TenantStorage, value string) *storagev1alpha1.TenantStorage {
	GinkgoHelper()
	var got *storagev1alpha1.TenantStorage
	eventually(func(g Gomega) {
		got = fetch(g, ts)
		g.Expect(got.Status.LastHandledReverify).To(Equal(value))
	}).Should(Succeed())
	return got
}

// reverify asks for a verification now through the annotation, and
// returns the annotation's new value.
func reverify(ts *storagev1alpha1.TenantStorage) string {
	GinkgoHelper()
	value := strconv.FormatInt(time.Now().UnixNano(), 10)
	got := &storagev1alpha1.TenantStorage{}
	Expect(k8sClient.Get(context.Background(), client.ObjectKeyFromObject(ts), got)).To(Succeed())
	patch := client.MergeFrom(got.DeepCopy())
	if got.Annotations == nil {
		got.Annotations = map[string]string{}
	}
	got.Annotations[controllers.ReverifyAnnotation] = value
	Expect(k8sClient.Patch(context.Background(), got, patch)).To(Succeed())
	return value
}

// conditions are the check conditions and their summary, as the tests
// assert them; SecretReady is left to the Secret's own tests.
func conditions(ts *storagev1alpha1.TenantStorage) map[string]cond {
	out := map[string]cond{}
	for _, t := range []string{
		storagev1alpha1.TrustVerifiedCondition, storagev1alpha1.PermissionsVerifiedCondition,
		storagev1alpha1.EncryptionVerifiedCondition, storagev1alpha1.KeyAccessVerifiedCondition,
		storagev1alpha1.ReadyCondition, storagev1alpha1.StalledCondition, storagev1alpha1.ReconcilingCondition,
	} {
		if c := conditionOf(ts, t); c != (cond{}) {
			out[t] = c
		}
	}
	return out
}

// trustVerified is TrustVerified for a chained customer whose trust policy is
// as the guide says.
func trustVerified(c seedworld.Customer, session string) cond {
	return cond{metav1.ConditionTrue, storagev1alpha1.ReasonVerified,
		fmt.Sprintf("assumed %s as %s with the ExternalId; without it and with a wrong one AWS refused, as it should", c.RoleARN(), session)}
}

func permissionsVerified(c seedworld.Customer) cond {
	return cond{metav1.ConditionTrue, storagev1alpha1.ReasonVerified,
		fmt.Sprintf("5 S3 actions allowed in s3://%s/.tenantstorage-probe/", c.BucketName())}
}

func encryptionVerified(c seedworld.Customer) cond {
	return cond{metav1.ConditionTrue, storagev1alpha1.ReasonVerified, "new objects are encrypted with SSE-KMS and " + c.KeyARN()}
}

func keyVerified(c seedworld.Customer) cond {
	return cond{metav1.ConditionTrue, storagev1alpha1.ReasonVerified,
		c.KeyARN() + " is an enabled symmetric key in " + c.Region + "; DescribeKey, GenerateDataKey, Decrypt, Encrypt and ReEncrypt succeeded"}
}

var readyVerified = cond{metav1.ConditionTrue, storagev1alpha1.ReasonVerified, "trust, permissions, encryption and key access verified; the Secret is current"}

// notCheckedWithoutTrust is a check that could not run because the
// tenant's session could not be obtained.
var notCheckedWithoutTrust = cond{metav1.ConditionUnknown, storagev1alpha1.ReasonWaiting,
	"not checked: the tenant's session could not be obtained (see TrustVerified)"}

// healthy is every condition of a chained customer with bucket and key
// that is Ready.
func healthy(c seedworld.Customer, session string) map[string]cond {
	return map[string]cond{
		storagev1alpha1.TrustVerifiedCondition:       trustVerified(c, session),
		storagev1alpha1.PermissionsVerifiedCondition: permissionsVerified(c),
		storagev1alpha1.EncryptionVerifiedCondition:  encryptionVerified(c),
		storagev1alpha1.KeyAccessVerifiedCondition:   keyVerified(c),
		storagev1alpha1.ReadyCondition:               readyVerified,
	}
}

// failedWith is the summary of a TenantStorage whose first failing check
// is c: Ready False and Stalled True with its reason and message.
func failedWith(conds map[string]cond, t string) map[string]cond {
	c := conds[t]
	summary := cond{metav1.ConditionFalse, c.Reason, t + ": " + c.Message}
	conds[storagev1alpha1.ReadyCondition] = summary
	conds[storagev1alpha1.StalledCondition] = cond{metav1.ConditionTrue, c.Reason, summary.Message}
	return conds
}

// The default S3 actions in the order status reports them, and the KMS
// actions.
var (
	s3Actions  = []string{"s3:GetObject", "s3:PutObject", "s3:RestoreObject", "s3:ListBucket", "s3:DeleteObject"}
	kmsActions = []string{"kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt", "kms:Encrypt", "kms:ReEncrypt"}
)

// allowed lists actions as Allowed, in order.
func allowed(actions ...[]string) []storagev1alpha1.ActionResult {
	var out []storagev1alpha1.ActionResult
	for _, list := range actions {
		for _, a := range list {
			out = append(out, storagev1alpha1.ActionResult{Action: a, Result: storagev1alpha1.ActionAllowed})
		}
	}
	return out
}

// withResult replaces the result of one action in results.
func withResult(results []storagev1alpha1.ActionResult, r storagev1alpha1.ActionResult) []storagev1alpha1.ActionResult {
	out := append([]storagev1alpha1.ActionResult(nil), results...)
	for i := range out {
		if out[i].Action == r.Action {
			out[i] = r
			return out
		}
	}
	Fail("no action " + r.Action)
	return nil
}

// eventsOf lists the events recorded about ts (events.k8s.io/v1, as the
// operator's recorder writes them).
func eventsOf(g Gomega, ts *storagev1alpha1.TenantStorage) []eventsv1.Event {
	list := &eventsv1.EventList{}
	g.Expect(k8sClient.List(context.Background(), list, client.InNamespace(ts.Namespace))).To(Succeed())
	var out []eventsv1.Event
	for _, e := range list.Items {
		if e.Regarding.Kind == "TenantStorage" && e.Regarding.Name == ts.Name && e.Regarding.UID == ts.UID {
			out = append(out, e)
		}
	}
	return out
}

// event is an event reduced to what the tests assert.
type event struct{ Type, Reason, Note string }

func eventsSummary(g Gomega, ts *storagev1alpha1.TenantStorage) []event {
	var out []event
	for _, e := range eventsOf(g, ts) {
		out = append(out, event{e.Type, e.Reason, e.Note})
	}
	return out
}

var (
	normalType  = corev1.EventTypeNormal
	warningType = corev1.EventTypeWarning
)

// outcomes counts the answers to service:operation calls by principal.
func outcomes(principal, service, operation string) map[string]int {
	out := map[string]int{}
	for _, c := range aws.Calls(localaws.CallFilter{Principal: principal, Service: service, Operation: operation}) {
		if c.Via == "" {
			out[c.Outcome]++
		}
	}
	return out
}
