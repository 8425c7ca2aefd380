package controllers

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/internal/verify"
)

// checkConditions are the conditions Ready summarises, in the order a
// person should fix them: nothing else can be checked without trust.
var checkConditions = []string{
	storagev1alpha1.TrustVerifiedCondition,
	storagev1alpha1.PermissionsVerifiedCondition,
	storagev1alpha1.EncryptionVerifiedCondition,
	storagev1alpha1.KeyAccessVerifiedCondition,
}

// readyConditions are what Ready summarises: the checks, then the Secret,
// which follows from them.
var readyConditions = append(append([]string{}, checkConditions...), storagev1alpha1.SecretReadyCondition)

// setCheckConditions writes the report's checks into conds. A check that
// got no definitive answer keeps the verdict it had: a throttled or failed
// call says nothing about the customer's setup.
func setCheckConditions(conds *[]metav1.Condition, generation int64, r verify.Report) {
	for _, c := range r.Checks() {
		if prev := meta.FindStatusCondition(*conds, c.Condition); c.Transient && prev != nil {
			prev.ObservedGeneration = generation
			continue
		}
		meta.SetStatusCondition(conds, metav1.Condition{
			Type: c.Condition, Status: c.Status, Reason: c.Reason, Message: c.Message,
			ObservedGeneration: generation,
		})
	}
}

// transientMessage joins the messages of the checks that got no definitive
// answer, or returns "" when every check got one.
func transientMessage(r verify.Report) string {
	var msgs []string
	for _, c := range r.Checks() {
		// Checks blocked by a transient trust failure carry its message.
		if c.Transient && !slices.Contains(msgs, c.Message) {
			msgs = append(msgs, c.Message)
		}
	}
	return strings.Join(msgs, "; ")
}

// summarize sets Ready, Stalled and Reconciling from the check conditions
// and SecretReady.
// It is the one place Ready is computed. retrying is the message of a
// pending retry after a transient error ("" when none).
//
// kstatus reads the result without custom code: Ready=True with nothing
// Reconciling or Stalled is Current; Reconciling=True is InProgress;
// Stalled=True, set for answers only a person can change, is Failed.
func summarize(conds *[]metav1.Condition, generation int64, retrying string) {
	set := func(t string, s metav1.ConditionStatus, reason, msg string) {
		meta.SetStatusCondition(conds, metav1.Condition{Type: t, Status: s, Reason: reason, Message: msg, ObservedGeneration: generation})
	}

	var failing, pending *metav1.Condition
	for _, t := range readyConditions {
		c := meta.FindStatusCondition(*conds, t)
		switch {
		case c == nil || c.Status == metav1.ConditionUnknown:
			if pending == nil {
				pending = &metav1.Condition{Type: t, Reason: storagev1alpha1.ReasonVerifying, Message: "not verified yet"}
				if c != nil {
					pending = c
				}
			}
		case c.Status == metav1.ConditionFalse && failing == nil:
			failing = c
		}
	}

	switch {
	case failing != nil:
		msg := fmt.Sprintf("%s: %s", failing.Type, failing.Message)
		set(storagev1alpha1.ReadyCondition, metav1.ConditionFalse, failing.Reason, msg)
		set(storagev1alpha1.StalledCondition, metav1.ConditionTrue, failing.Reason, msg)
	case pending != nil:
		set(storagev1alpha1.ReadyCondition, metav1.ConditionUnknown, pending.Reason, fmt.Sprintf("%s: %s", pending.Type, pending.Message))
		meta.RemoveStatusCondition(conds, storagev1alpha1.StalledCondition)
	default:
		set(storagev1alpha1.ReadyCondition, metav1.ConditionTrue, storagev1alpha1.ReasonVerified,
			"trust, permissions, encryption and key access verified; the Secret is current")
		meta.RemoveStatusCondition(conds, storagev1alpha1.StalledCondition)
	}

	// Stalled and Reconciling are never both True: kstatus would read
	// whichever comes first. A definitive failure is the headline; retries
	// of the other checks go on behind it.
	if retrying != "" && failing == nil {
		set(storagev1alpha1.ReconcilingCondition, metav1.ConditionTrue, storagev1alpha1.ReasonTransientError,
			"retrying after a transient AWS error: "+retrying)
	} else {
		meta.RemoveStatusCondition(conds, storagev1alpha1.ReconcilingCondition)
	}
}
