// Package controllers holds the TenantStorage reconciler: a thin loop that
// runs the checks of internal/verify when they are due and writes their
// outcome as status conditions.
package controllers

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
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
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/internal/externalid"
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
	// ServiceRoleARN is the vendor's service role, the Principal of the
	// documents rendered for customers ("" when tenant roles are assumed
	// from the base identity: nothing to render).
	ServiceRoleARN string
	Recorder       events.EventRecorder
	Clock          clock.PassiveClock
	// MaxConcurrent is how many tenants are verified at once.
	MaxConcurrent int
	// ExternalIDs generates the ExternalId of tenants that set none (nil:
	// such tenants assume their role without one).
	ExternalIDs *externalid.Key
	// ForbidUserExternalIDs refuses tenants that choose their own
	// ExternalId: only generated ones, which no other customer can guess
	// or copy, are used.
	ForbidUserExternalIDs bool

	mu sync.Mutex
	// retries counts consecutive transient failures per tenant, for backoff.
	retries map[types.NamespacedName]int
	// verified remembers each tenant's last verification.
	verified map[types.NamespacedName]verifiedState
}

// +kubebuilder:rbac:groups=storage.tenantstorage.dev,resources=tenantstorages,verbs=get;list;watch
// +kubebuilder:rbac:groups=storage.tenantstorage.dev,resources=tenantstorages/status,verbs=get;patch;update
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;patch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch;create;patch

// Reconcile runs the checks when they are due (on a spec change, on the
// reverify annotation, and every verify interval), then brings the storage
// Secret in line with the verdict. The Secret is looked at on every pass, so
// one edited or deleted by hand is restored at once.
func (r *TenantStorageReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ts := &storagev1alpha1.TenantStorage{}
	if err := r.Get(ctx, req.NamespacedName, ts); err != nil {
		if apierrors.IsNotFound(err) {
			metrics.ForgetTenant(req.Namespace, req.Name)
			r.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if ts.Spec.Suspend {
		return ctrl.Result{}, r.suspend(ctx, ts)
	}
	if r.stale(req.NamespacedName, ts) {
		// The cache has not caught up with the status this reconciler
		// wrote; acting on it would undo that status (and withdraw the
		// Secret's credentials). The status update event will come.
		return ctrl.Result{RequeueAfter: time.Second}, nil
	}
	now := r.Clock.Now()
	before := ts.DeepCopy()

	refusal, err := r.admit(ctx, ts)
	if err != nil {
		return ctrl.Result{}, err
	}
	tenant, idRefusal := r.tenant(ts)
	if refusal == nil {
		refusal = idRefusal
	}
	var report *verify.Report
	// verifyRetry is the transient failure of the last verification, while
	// its retry is pending.
	var verifyRetry string
	switch {
	case refusal != nil:
		// Not verified, and no AWS call made.
		rep := refused(*refusal)
		report = &rep
		setCheckConditions(&ts.Status.Conditions, ts.Generation, rep)
		ts.Status.Identity, ts.Status.Actions = "", nil
	case r.due(req.NamespacedName, ts, now) || wasRefused(before) || ts.Status.ExternalID != generatedID(ts, tenant):
		ts.Status.ExternalID = generatedID(ts, tenant)
		rep := r.Verifier.Verify(ctx, tenant)
		report = &rep
		setCheckConditions(&ts.Status.Conditions, ts.Generation, rep)
		verifyRetry = transientMessage(rep)
		ts.Status.Identity = rep.Identity
		if verifyRetry == "" || ts.Status.Actions == nil {
			ts.Status.Actions = rep.Actions
		}
		ts.Status.LastVerifiedTime = &metav1.Time{Time: now}
		ts.Status.LastHandledReverify = ts.Annotations[ReverifyAnnotation]
		ts.Status.NextVerifyTime = &metav1.Time{Time: now.Add(r.nextInterval(req.NamespacedName, ts, verifyRetry != ""))}
	default:
		verifyRetry = r.pendingRetry(req.NamespacedName, ts.UID)
	}
	ts.Status.ObservedGeneration = ts.Generation

	secret, err := r.reconcileSecret(ctx, ts, tenant, report, now)
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("writing Secret %s: %w", SecretName(ts), err)
	}
	if err := r.reconcileOnboarding(ctx, ts, tenant); err != nil {
		return ctrl.Result{}, fmt.Errorf("writing ConfigMap %s: %w", OnboardingName(ts), err)
	}
	meta.SetStatusCondition(&ts.Status.Conditions, secret.condition)
	ts.Status.SecretName = SecretName(ts)
	ts.Status.CredentialsExpireTime = nil
	if secret.creds.AccessKeyID != "" {
		ts.Status.CredentialsExpireTime = &metav1.Time{Time: secret.creds.Expires}
	}
	if secret.reverify {
		ts.Status.NextVerifyTime = &metav1.Time{Time: now}
	}
	var lastVerified time.Time
	if ts.Status.LastVerifiedTime != nil {
		lastVerified = ts.Status.LastVerifiedTime.Time
	}
	if ts.Status.NextVerifyTime != nil {
		r.rememberVerified(req.NamespacedName, verifiedState{ts.UID, ts.Generation, ts.Status.LastHandledReverify,
			ts.Status.NextVerifyTime.Time, lastVerified, verifyRetry})
	}
	var retrying []string
	for _, msg := range []string{verifyRetry, secret.retrying} {
		if msg != "" {
			retrying = append(retrying, msg)
		}
	}
	summarize(&ts.Status.Conditions, ts.Generation, strings.Join(retrying, "; "))

	if !equality.Semantic.DeepEqual(before.Status, ts.Status) {
		if err := r.Status().Patch(ctx, ts, client.MergeFrom(before)); err != nil {
			return ctrl.Result{}, err
		}
		r.recordTransitions(before, ts, report)
		ready := meta.FindStatusCondition(ts.Status.Conditions, storagev1alpha1.ReadyCondition)
		log.FromContext(ctx).V(1).Info("status updated", "ready", ready.Status, "reason", ready.Reason, "verified", report != nil)
	}
	// On every pass, not only on changes: a restarted operator has no
	// series until it sets them.
	metrics.SetConditions(ts.Namespace, ts.Name, ts.Status.Conditions)
	metrics.SetCredentialsExpiry(ts.Namespace, ts.Name, ts.Status.CredentialsExpireTime)
	return ctrl.Result{RequeueAfter: r.requeueAfter(req.NamespacedName, ts, secret, now)}, nil
}

// requeueAfter is when this tenant next needs attention: its next
// verification or its credentials' refresh, whichever comes first.
func (r *TenantStorageReconciler) requeueAfter(key types.NamespacedName, ts *storagev1alpha1.TenantStorage, secret secretOutcome, now time.Time) time.Duration {
	next := ts.Spec.VerifyIntervalOrDefault()
	if ts.Status.NextVerifyTime != nil {
		next = ts.Status.NextVerifyTime.Sub(now)
	}
	if !secret.refreshAt.IsZero() {
		next = min(next, secret.refreshAt.Sub(now))
	}
	if secret.retrying != "" {
		next = min(next, r.nextInterval(key, ts, true))
	}
	return max(next, time.Second)
}

// suspend acknowledges spec.suspend: the verdicts and the Secret stay as
// they are, nothing is verified or refreshed, and observedGeneration
// catches up so that GitOps tools do not wait on the object forever.
func (r *TenantStorageReconciler) suspend(ctx context.Context, ts *storagev1alpha1.TenantStorage) error {
	before := ts.DeepCopy()
	ts.Status.ObservedGeneration = ts.Generation
	meta.RemoveStatusCondition(&ts.Status.Conditions, storagev1alpha1.ReconcilingCondition)
	if equality.Semantic.DeepEqual(before.Status, ts.Status) {
		return nil
	}
	return r.Status().Patch(ctx, ts, client.MergeFrom(before))
}

// tenant is what the checks need of ts, with its generated ExternalId when
// it sets none; or the refusal of an ExternalId this operator does not
// accept.
func (r *TenantStorageReconciler) tenant(ts *storagev1alpha1.TenantStorage) (verify.Tenant, *verify.Check) {
	t := verify.TenantFrom(ts)
	refuse := func(reason, msg string) (verify.Tenant, *verify.Check) {
		return t, &verify.Check{Status: metav1.ConditionFalse, Reason: reason, Message: msg}
	}
	switch {
	case ts.Spec.RoleArn == "":
	case ts.Spec.ExternalID != "" && r.ForbidUserExternalIDs:
		return refuse(storagev1alpha1.ReasonExternalIDNotAllowed,
			"this operator only uses ExternalIds it generates (--forbid-user-external-ids), so that no customer can choose or copy another's: remove spec.externalId and give the customer status.externalId for the trust policy's sts:ExternalId condition")
	case ts.Spec.ExternalID == "" && r.ExternalIDs != nil:
		rotation, err := externalid.Rotation(ts.Annotations)
		if err != nil {
			return refuse(storagev1alpha1.ReasonExternalIDNotAllowed, err.Error())
		}
		t.ExternalID = r.ExternalIDs.ExternalID(ts.Namespace, ts.Name, rotation)
	}
	return t, nil
}

// generatedID is the ExternalId the operator generated for ts, or "".
func generatedID(ts *storagev1alpha1.TenantStorage, t verify.Tenant) string {
	if ts.Spec.ExternalID != "" {
		return ""
	}
	return t.ExternalID
}

// wasRefused reports whether the tenant was last refused before any AWS
// call, so that it is verified as soon as it is admitted.
func wasRefused(ts *storagev1alpha1.TenantStorage) bool {
	c := meta.FindStatusCondition(ts.Status.Conditions, storagev1alpha1.TrustVerifiedCondition)
	return c != nil && (c.Reason == storagev1alpha1.ReasonAccountNotAllowed || c.Reason == storagev1alpha1.ReasonConflict ||
		c.Reason == storagev1alpha1.ReasonExternalIDNotAllowed)
}

// verifiedState is what the last verification of a tenant answered.
type verifiedState struct {
	// uid tells a re-created resource (same name) from the one verified.
	uid        types.UID
	generation int64
	reverify   string
	next       time.Time
	// at is when it ran, as written to status.lastVerifiedTime.
	at time.Time
	// retrying is its transient failure, while the retry is pending.
	retrying string
}

// pendingRetry is the transient failure of the tenant's last verification
// when its retry has not run yet, or "".
func (r *TenantStorageReconciler) pendingRetry(key types.NamespacedName, uid types.UID) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if last, ok := r.verified[key]; ok && last.uid == uid {
		return last.retrying
	}
	return ""
}

// cacheLag bounds how long the cache may trail the status this reconciler
// wrote; an older status was changed by someone else (wiped, restored from
// a backup) and is taken as it is.
const cacheLag = 5 * time.Second

// stale reports whether ts, read from the cache, predates the last
// verification this reconciler wrote a moment ago.
func (r *TenantStorageReconciler) stale(key types.NamespacedName, ts *storagev1alpha1.TenantStorage) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	last, ok := r.verified[key]
	if !ok || last.uid != ts.UID || last.at.IsZero() {
		return false
	}
	seen := ts.Status.LastVerifiedTime
	// metav1.Time keeps whole seconds.
	if seen != nil && !seen.Time.Before(last.at.Truncate(time.Second)) {
		return false
	}
	if r.Clock.Since(last.at) < cacheLag {
		return true
	}
	delete(r.verified, key)
	return false
}

// due reports whether the checks should run now. The reconciler's own memory
// comes first, because the cache can lag behind the status it just wrote
// and an event on the Secret would otherwise verify twice. A restarted
// operator finds recent verdicts in status and waits for their
// nextVerifyTime instead of calling AWS for the whole fleet at once.
func (r *TenantStorageReconciler) due(key types.NamespacedName, ts *storagev1alpha1.TenantStorage, now time.Time) bool {
	r.mu.Lock()
	last, ok := r.verified[key]
	r.mu.Unlock()
	if !ok || last.uid != ts.UID {
		st := ts.Status
		if st.NextVerifyTime == nil {
			return true
		}
		last = verifiedState{generation: st.ObservedGeneration, reverify: st.LastHandledReverify, next: st.NextVerifyTime.Time}
	}
	return last.generation != ts.Generation || last.reverify != ts.Annotations[ReverifyAnnotation] || !now.Before(last.next)
}

func (r *TenantStorageReconciler) rememberVerified(key types.NamespacedName, st verifiedState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.verified == nil {
		r.verified = map[types.NamespacedName]verifiedState{}
	}
	r.verified[key] = st
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

// maxEventNote is the API server's limit on an event's note.
const maxEventNote = 1024

// eventNote shortens msg to fit an event; the full text is in the status.
func eventNote(msg string) string {
	if len(msg) <= maxEventNote {
		return msg
	}
	const more = "... (full message in status)"
	return msg[:maxEventNote-len(more)] + more
}

func (r *TenantStorageReconciler) forget(key types.NamespacedName) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.retries, key)
	delete(r.verified, key)
}

// recordTransitions emits events when a condition changes its verdict, and
// when the tenant recovers; not on every verification.
func (r *TenantStorageReconciler) recordTransitions(before, after *storagev1alpha1.TenantStorage, report *verify.Report) {
	old := meta.FindStatusCondition(before.Status.Conditions, storagev1alpha1.ReadyCondition)
	now := meta.FindStatusCondition(after.Status.Conditions, storagev1alpha1.ReadyCondition)
	changed := old == nil || old.Status != now.Status || old.Reason != now.Reason
	switch {
	case !changed:
	case now.Status == metav1.ConditionTrue && old != nil && old.Status == metav1.ConditionFalse:
		r.Recorder.Eventf(after, nil, corev1.EventTypeNormal, "Recovered", "Verify", "%s", eventNote(now.Message))
	case now.Status == metav1.ConditionTrue:
		r.Recorder.Eventf(after, nil, corev1.EventTypeNormal, storagev1alpha1.ReasonVerified, "Verify", "%s", eventNote(now.Message))
	case now.Status == metav1.ConditionFalse:
		r.Recorder.Eventf(after, nil, corev1.EventTypeWarning, now.Reason, "Verify", "%s", eventNote(now.Message))
	}
	oldTrust := meta.FindStatusCondition(before.Status.Conditions, storagev1alpha1.TrustVerifiedCondition)
	if report != nil && len(report.Warnings) > 0 && (oldTrust == nil || oldTrust.Reason != storagev1alpha1.ReasonExternalIDNotEnforced) {
		for _, w := range report.Warnings {
			r.Recorder.Eventf(after, nil, corev1.EventTypeWarning, storagev1alpha1.ReasonExternalIDNotEnforced, "Verify", "%s", eventNote(w))
		}
	}
}

// SetupWithManager registers the reconciler. Status writes do not trigger
// it; spec changes, the reverify annotation and changes to its Secret do.
func (r *TenantStorageReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &storagev1alpha1.TenantStorage{}, roleARNIndex,
		func(o client.Object) []string { return []string{o.(*storagev1alpha1.TenantStorage).Spec.RoleArn} }); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&storagev1alpha1.TenantStorage{}, builder.WithPredicates(
			predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		Owns(&corev1.Secret{}).
		Owns(&corev1.ConfigMap{}).
		Watches(&storagev1alpha1.TenantStorage{}, handler.EnqueueRequestsFromMapFunc(r.sameRole),
			builder.WithPredicates(predicate.Funcs{UpdateFunc: func(event.UpdateEvent) bool { return false }})).
		Watches(&corev1.Namespace{}, handler.EnqueueRequestsFromMapFunc(r.inNamespace),
			builder.WithPredicates(predicate.AnnotationChangedPredicate{})).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.MaxConcurrent}).
		Complete(r)
}
