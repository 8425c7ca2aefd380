// Package controllers holds the TenantStorage reconciler: a thin loop that
// runs the checks of internal/verify when they are due and writes their
// outcome as status conditions.
package controllers

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/internal/metrics"
	"github.com/tenantstorage/tenantstorage-operator/internal/verify"
)

// ReverifyAnnotation, set or changed to any value, runs the checks at once
// (for example after a customer fixed their policies).
const ReverifyAnnotation = "storage.tenantstorage.dev/reverify"

// TenantStorageReconciler verifies TenantStorages.
type TenantStorageReconciler struct {
	client.Client
	Verifier *verify.Verifier
	Recorder events.EventRecorder
	Clock    clock.PassiveClock
	// MaxConcurrent is how many tenants are verified at once.
	MaxConcurrent int

	mu sync.Mutex
	// retries counts consecutive transient failures per tenant, for backoff.
	retries map[types.NamespacedName]int
}

// +kubebuilder:rbac:groups=storage.tenantstorage.dev,resources=tenantstorages,verbs=get;list;watch
// +kubebuilder:rbac:groups=storage.tenantstorage.dev,resources=tenantstorages/status,verbs=get;patch;update
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile runs the checks when they are due: on a spec change, on the
// reverify annotation, and every verify interval.
func (r *TenantStorageReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, err error) {
	ts := &storagev1alpha1.TenantStorage{}
	if err := r.Get(ctx, req.NamespacedName, ts); err != nil {
		if apierrors.IsNotFound(err) {
			metrics.ForgetTenant(req.Namespace, req.Name)
			r.forgetRetries(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if ts.Spec.Suspend {
		return ctrl.Result{}, nil
	}
	now := r.Clock.Now()
	if wait, due := r.due(ts, now); !due {
		return ctrl.Result{RequeueAfter: wait}, nil
	}

	before := ts.DeepCopy()
	patch := client.MergeFrom(before)

	report := r.Verifier.Verify(ctx, verify.TenantFrom(ts))

	retrying := transientMessage(report)
	setCheckConditions(&ts.Status.Conditions, ts.Generation, report)
	summarize(&ts.Status.Conditions, ts.Generation, retrying)
	ts.Status.ObservedGeneration = ts.Generation
	ts.Status.Identity = report.Identity
	if retrying == "" || ts.Status.Actions == nil {
		ts.Status.Actions = report.Actions
	}
	ts.Status.LastVerifiedTime = &metav1.Time{Time: now}
	ts.Status.LastHandledReverify = ts.Annotations[ReverifyAnnotation]

	next := r.nextInterval(req.NamespacedName, ts, retrying != "")
	ts.Status.NextVerifyTime = &metav1.Time{Time: now.Add(next)}

	if err := r.Status().Patch(ctx, ts, patch); err != nil {
		return ctrl.Result{}, err
	}
	metrics.SetConditions(ts.Namespace, ts.Name, ts.Status.Conditions)
	r.recordTransitions(before, ts, report)
	log.FromContext(ctx).V(1).Info("verified", "ready", meta.FindStatusCondition(ts.Status.Conditions, storagev1alpha1.ReadyCondition).Reason, "next", next)
	return ctrl.Result{RequeueAfter: next}, nil
}

// due reports whether the checks should run now, or how long until they
// should. A restarted operator finds recent verdicts in status and waits for
// their nextVerifyTime instead of calling AWS for the whole fleet at once.
func (r *TenantStorageReconciler) due(ts *storagev1alpha1.TenantStorage, now time.Time) (time.Duration, bool) {
	st := ts.Status
	if st.ObservedGeneration != ts.Generation || st.NextVerifyTime == nil ||
		st.LastHandledReverify != ts.Annotations[ReverifyAnnotation] {
		return 0, true
	}
	if wait := st.NextVerifyTime.Sub(now); wait > 0 {
		return wait, false
	}
	return 0, true
}

// nextInterval is the verify interval with up to 10% jitter, so tenants
// created together spread out; after a transient failure it is an
// exponential backoff from 5s, capped at the interval.
func (r *TenantStorageReconciler) nextInterval(key types.NamespacedName, ts *storagev1alpha1.TenantStorage, retrying bool) time.Duration {
	interval := ts.Spec.VerifyIntervalOrDefault()
	r.mu.Lock()
	defer r.mu.Unlock()
	if !retrying {
		delete(r.retries, key)
		return interval + time.Duration(rand.Int64N(int64(interval)/10+1))
	}
	if r.retries == nil {
		r.retries = map[types.NamespacedName]int{}
	}
	r.retries[key]++
	backoff := 5 * time.Second << min(r.retries[key]-1, 10)
	return min(backoff, interval)
}

func (r *TenantStorageReconciler) forgetRetries(key types.NamespacedName) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.retries, key)
}

// recordTransitions emits events when a condition changes its verdict, and
// when the tenant recovers; not on every verification.
func (r *TenantStorageReconciler) recordTransitions(before, after *storagev1alpha1.TenantStorage, report verify.Report) {
	old := meta.FindStatusCondition(before.Status.Conditions, storagev1alpha1.ReadyCondition)
	now := meta.FindStatusCondition(after.Status.Conditions, storagev1alpha1.ReadyCondition)
	changed := old == nil || old.Status != now.Status || old.Reason != now.Reason
	switch {
	case !changed:
	case now.Status == metav1.ConditionTrue && old != nil && old.Status == metav1.ConditionFalse:
		r.Recorder.Eventf(after, nil, corev1.EventTypeNormal, "Recovered", "Verify", now.Message)
	case now.Status == metav1.ConditionTrue:
		r.Recorder.Eventf(after, nil, corev1.EventTypeNormal, storagev1alpha1.ReasonVerified, "Verify", now.Message)
	case now.Status == metav1.ConditionFalse:
		r.Recorder.Eventf(after, nil, corev1.EventTypeWarning, now.Reason, "Verify", now.Message)
	}
	oldTrust := meta.FindStatusCondition(before.Status.Conditions, storagev1alpha1.TrustVerifiedCondition)
	if len(report.Warnings) > 0 && (oldTrust == nil || oldTrust.Reason != storagev1alpha1.ReasonExternalIDNotEnforced) {
		for _, w := range report.Warnings {
			r.Recorder.Eventf(after, nil, corev1.EventTypeWarning, storagev1alpha1.ReasonExternalIDNotEnforced, "Verify", w)
		}
	}
}

// SetupWithManager registers the reconciler. Status writes do not trigger
// it; spec changes and the reverify annotation do.
func (r *TenantStorageReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&storagev1alpha1.TenantStorage{}, builder.WithPredicates(
			predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.MaxConcurrent}).
		Complete(r)
}
