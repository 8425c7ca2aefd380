package controllers

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/internal/verify"
)

func check(status metav1.ConditionStatus, reason string) verify.Check {
	return verify.Check{Status: status, Reason: reason, Message: reason + " message"}
}

var (
	ok        = check(metav1.ConditionTrue, storagev1alpha1.ReasonVerified)
	na        = check(metav1.ConditionTrue, storagev1alpha1.ReasonNotApplicable)
	transient = verify.Check{Status: metav1.ConditionUnknown, Reason: storagev1alpha1.ReasonTransientError, Message: "Throttling: Rate exceeded", Transient: true}
)

func TestSetCheckConditionsKeepsVerdictsOnTransientErrors(t *testing.T) {
	var conds []metav1.Condition
	setCheckConditions(&conds, 1, verify.Report{Trust: ok, Permissions: ok, Encryption: ok, KeyAccess: ok})
	setCheckConditions(&conds, 2, verify.Report{Trust: ok, Permissions: transient, Encryption: ok,
		KeyAccess: check(metav1.ConditionFalse, storagev1alpha1.ReasonKeyDisabled)})

	perm := meta.FindStatusCondition(conds, storagev1alpha1.PermissionsVerifiedCondition)
	if perm.Status != metav1.ConditionTrue || perm.Reason != storagev1alpha1.ReasonVerified || perm.ObservedGeneration != 2 {
		t.Errorf("a transient error changed a verdict: %+v", perm)
	}
	key := meta.FindStatusCondition(conds, storagev1alpha1.KeyAccessVerifiedCondition)
	if key.Status != metav1.ConditionFalse || key.Reason != storagev1alpha1.ReasonKeyDisabled {
		t.Errorf("a definitive answer did not change the verdict: %+v", key)
	}

	// With no verdict yet, a transient error is Unknown.
	conds = nil
	setCheckConditions(&conds, 1, verify.Report{Trust: transient, Permissions: transient, Encryption: transient, KeyAccess: transient})
	if c := meta.FindStatusCondition(conds, storagev1alpha1.TrustVerifiedCondition); c.Status != metav1.ConditionUnknown || c.Reason != storagev1alpha1.ReasonTransientError {
		t.Errorf("first transient error: %+v", c)
	}
}

func TestSummarize(t *testing.T) {
	secretOK := metav1.Condition{Type: storagev1alpha1.SecretReadyCondition, Status: metav1.ConditionTrue, Reason: storagev1alpha1.ReasonCredentialsCurrent, Message: "m"}
	for _, tc := range []struct {
		name        string
		report      verify.Report
		secret      *metav1.Condition
		retrying    string
		ready       metav1.ConditionStatus
		reason      string
		message     string
		stalled     bool
		reconciling bool
	}{
		{name: "all verified", report: verify.Report{Trust: ok, Permissions: ok, Encryption: ok, KeyAccess: ok}, secret: &secretOK,
			ready: metav1.ConditionTrue, reason: storagev1alpha1.ReasonVerified, message: "trust, permissions, encryption and key access verified; the Secret is current"},
		{name: "key only: not applicable counts as passed", report: verify.Report{Trust: ok, Permissions: na, Encryption: na, KeyAccess: ok}, secret: &secretOK,
			ready: metav1.ConditionTrue, reason: storagev1alpha1.ReasonVerified, message: "trust, permissions, encryption and key access verified; the Secret is current"},
		{name: "the first failing check in fix order names Ready",
			report: verify.Report{Trust: ok, Permissions: check(metav1.ConditionFalse, storagev1alpha1.ReasonActionsDenied), Encryption: ok,
				KeyAccess: check(metav1.ConditionFalse, storagev1alpha1.ReasonKeyDisabled)}, secret: &secretOK,
			ready: metav1.ConditionFalse, reason: storagev1alpha1.ReasonActionsDenied, message: "PermissionsVerified: ActionsDenied message", stalled: true},
		{name: "trust denied, the rest waiting",
			report: verify.Report{Trust: check(metav1.ConditionFalse, storagev1alpha1.ReasonAssumeRoleDenied), Permissions: check(metav1.ConditionUnknown, storagev1alpha1.ReasonWaiting),
				Encryption: check(metav1.ConditionUnknown, storagev1alpha1.ReasonWaiting), KeyAccess: check(metav1.ConditionUnknown, storagev1alpha1.ReasonWaiting)},
			ready: metav1.ConditionFalse, reason: storagev1alpha1.ReasonAssumeRoleDenied, message: "TrustVerified: AssumeRoleDenied message", stalled: true},
		{name: "no verdict yet after a transient error", report: verify.Report{Trust: transient, Permissions: transient, Encryption: transient, KeyAccess: transient},
			retrying: "Throttling: Rate exceeded",
			ready:    metav1.ConditionUnknown, reason: storagev1alpha1.ReasonTransientError, message: "TrustVerified: Throttling: Rate exceeded", reconciling: true},
		{name: "a definitive failure with another check retrying: Stalled, never Reconciling too",
			report: verify.Report{Trust: ok, Permissions: check(metav1.ConditionFalse, storagev1alpha1.ReasonActionsDenied), Encryption: ok, KeyAccess: transient},
			secret: &secretOK, retrying: "Throttling: Rate exceeded",
			ready: metav1.ConditionFalse, reason: storagev1alpha1.ReasonActionsDenied, message: "PermissionsVerified: ActionsDenied message", stalled: true},
		{name: "the Secret not written yet", report: verify.Report{Trust: ok, Permissions: ok, Encryption: ok, KeyAccess: ok},
			ready: metav1.ConditionUnknown, reason: storagev1alpha1.ReasonVerifying, message: "SecretReady: not verified yet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var conds []metav1.Condition
			setCheckConditions(&conds, 3, tc.report)
			if tc.secret != nil {
				meta.SetStatusCondition(&conds, *tc.secret)
			}
			summarize(&conds, 3, tc.retrying)
			ready := meta.FindStatusCondition(conds, storagev1alpha1.ReadyCondition)
			if ready.Status != tc.ready || ready.Reason != tc.reason || ready.Message != tc.message || ready.ObservedGeneration != 3 {
				t.Errorf("Ready = %s/%s %q, want %s/%s %q", ready.Status, ready.Reason, ready.Message, tc.ready, tc.reason, tc.message)
			}
			if got := meta.IsStatusConditionTrue(conds, storagev1alpha1.StalledCondition); got != tc.stalled {
				t.Errorf("Stalled = %v, want %v", got, tc.stalled)
			}
			if got := meta.IsStatusConditionTrue(conds, storagev1alpha1.ReconcilingCondition); got != tc.reconciling {
				t.Errorf("Reconciling = %v, want %v", got, tc.reconciling)
			}
		})
	}
}
