package controllers

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/internal/awserr"
	"github.com/tenantstorage/tenantstorage-operator/internal/storagesecret"
	"github.com/tenantstorage/tenantstorage-operator/internal/verify"
)

const (
	// ManagedByLabel marks the Secrets the operator owns; the manager caches
	// only Secrets with it, so its memory does not grow with the cluster's
	// other Secrets.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	// ManagedByValue is ManagedByLabel's value.
	ManagedByValue = "tenantstorage-operator"
	// TenantLabel names the TenantStorage a Secret belongs to.
	TenantLabel = "storage.tenantstorage.dev/tenant"
	fieldOwner  = "tenantstorage-operator"
)

// CacheOptions limit the manager's Secret and ConfigMap caches to the ones
// the operator owns: without it, watching them would hold every Secret and
// ConfigMap of the cluster in memory.
func CacheOptions() cache.Options {
	owned := labels.SelectorFromSet(labels.Set{ManagedByLabel: ManagedByValue})
	return cache.Options{ByObject: map[client.Object]cache.ByObject{
		&corev1.Secret{}:    {Label: owned},
		&corev1.ConfigMap{}: {Label: owned},
	}}
}

// SecretName is the storage Secret's name: spec.secret.name, or
// <name>-storage.
func SecretName(ts *storagev1alpha1.TenantStorage) string {
	if ts.Spec.Secret.Name != "" {
		return ts.Spec.Secret.Name
	}
	return ts.Name + "-storage"
}

// secretOutcome is what the Secret step decided.
type secretOutcome struct {
	condition metav1.Condition
	// creds are the credentials in the Secret (zero when none).
	creds     aws.Credentials
	refreshAt time.Time
	// retrying is set when a refresh failed transiently.
	retrying string
	// reverify asks for the checks to run at once: a refresh was denied.
	reverify bool
}

// reconcileSecret brings the storage Secret in line with the verdict: the
// location always; credentials only while every check passes, refreshed
// at their planned time and never written with less than minRemaining
// left. A definitive failure withdraws them (fail closed); a transient one
// keeps the current ones until they expire.
func (r *TenantStorageReconciler) reconcileSecret(ctx context.Context, ts *storagev1alpha1.TenantStorage, tenant verify.Tenant, report *verify.Report, now time.Time) (secretOutcome, error) {
	existing := &corev1.Secret{}
	if err := r.Get(ctx, client.ObjectKey{Namespace: ts.Namespace, Name: SecretName(ts)}, existing); err != nil {
		if !apierrors.IsNotFound(err) {
			return secretOutcome{}, err
		}
		existing = nil
	}
	out := r.decideCredentials(ctx, ts, tenant, report, existing, now)
	out.condition.Type = storagev1alpha1.SecretReadyCondition
	out.condition.ObservedGeneration = ts.Generation

	configOnly := ts.Spec.Secret.Mode == storagev1alpha1.SecretModeConfigOnly
	data := storagesecret.LocationData(storagesecret.Location{
		Region: ts.Spec.Region, BucketARN: ts.Spec.BucketArn, KMSKeyARN: ts.Spec.KMSKeyArn,
		RoleARN: ts.Spec.RoleArn, ExternalID: tenant.ExternalID,
	}, configOnly)
	annotations := map[string]string{}
	if out.creds.AccessKeyID != "" {
		mountPath := ts.Spec.Secret.MountPath
		if mountPath == "" {
			mountPath = storagesecret.DefaultMountPath
		}
		if err := storagesecret.AddCredentials(data, ts.Spec.Region, out.creds, mountPath); err != nil {
			return secretOutcome{}, err
		}
		annotations[storagesecret.AnnotationExpiresAt] = out.creds.Expires.UTC().Format(time.RFC3339)
		annotations[storagesecret.AnnotationRefreshAt] = out.refreshAt.UTC().Format(time.RFC3339)
	}
	annotations[storagesecret.AnnotationContentHash] = storagesecret.ContentHash(data)
	return out, r.applySecret(ctx, ts, data, annotations)
}

func (r *TenantStorageReconciler) decideCredentials(ctx context.Context, ts *storagev1alpha1.TenantStorage, tenant verify.Tenant, report *verify.Report, existing *corev1.Secret, now time.Time) secretOutcome {
	if ts.Spec.Secret.Mode == storagev1alpha1.SecretModeConfigOnly {
		return secretOutcome{condition: metav1.Condition{Status: metav1.ConditionTrue, Reason: storagev1alpha1.ReasonConfigOnly,
			Message: "the Secret holds the data's location and the role; pods assume the role themselves"}}
	}
	var current aws.Credentials
	var currentRefresh time.Time
	if existing != nil {
		current, _ = storagesecret.Credentials(existing.Data)
		currentRefresh, _ = time.Parse(time.RFC3339, existing.Annotations[storagesecret.AnnotationRefreshAt])
	}
	minRemaining := ts.Spec.MinRemainingOrDefault()
	keep := func(msg string) secretOutcome {
		return secretOutcome{creds: current, refreshAt: currentRefresh,
			condition: metav1.Condition{Status: metav1.ConditionTrue, Reason: storagev1alpha1.ReasonCredentialsCurrent, Message: msg}}
	}
	issue := func(creds aws.Credentials) secretOutcome {
		refreshAt := storagesecret.RefreshAt(now, creds.Expires, minRemaining, rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())))
		return secretOutcome{creds: creds, refreshAt: refreshAt, condition: metav1.Condition{Status: metav1.ConditionTrue,
			Reason: storagev1alpha1.ReasonCredentialsCurrent, Message: fmt.Sprintf("credentials valid until %s, refreshed at %s",
				creds.Expires.UTC().Format(time.RFC3339), refreshAt.UTC().Format(time.RFC3339))}}
	}

	if failing := firstFalseCheck(ts.Status.Conditions); failing != nil {
		return secretOutcome{condition: metav1.Condition{Status: metav1.ConditionFalse, Reason: storagev1alpha1.ReasonCredentialsWithdrawn,
			Message: fmt.Sprintf("no credentials while %s is False (%s); the location keys stay, and credentials come back once the checks pass", failing.Type, failing.Reason)}}
	}
	if !allChecksTrue(ts.Status.Conditions) {
		if storagesecret.Usable(current, now, 0) {
			return keep("credentials kept while the checks are pending")
		}
		return secretOutcome{condition: metav1.Condition{Status: metav1.ConditionUnknown, Reason: storagev1alpha1.ReasonVerifying,
			Message: "credentials are written once the checks pass"}}
	}

	switch {
	case storagesecret.Usable(current, now, 0) && now.Before(currentRefresh):
		return keep(fmt.Sprintf("credentials valid until %s, refreshed at %s",
			current.Expires.UTC().Format(time.RFC3339), currentRefresh.UTC().Format(time.RFC3339)))
	case report != nil && storagesecret.Usable(report.Credentials, now, minRemaining):
		// The checks just ran in a fresh session with the Secret's policy.
		return issue(report.Credentials)
	}

	fresh, err := r.Verifier.Credentials(ctx, tenant)
	kind, _ := awserr.Classify(err)
	switch {
	case err == nil && storagesecret.Usable(fresh, now, minRemaining):
		return issue(fresh)
	case err == nil:
		return secretOutcome{condition: metav1.Condition{Status: metav1.ConditionFalse, Reason: storagev1alpha1.ReasonCredentialsUnavailable,
			Message: fmt.Sprintf("AWS issued credentials valid until %s, less than secret.minRemaining (%s) from now; check the role's MaxSessionDuration",
				fresh.Expires.UTC().Format(time.RFC3339), minRemaining)}}
	case errors.Is(err, verify.ErrNoScopedDirectSession):
		return secretOutcome{condition: metav1.Condition{Status: metav1.ConditionFalse, Reason: storagev1alpha1.ReasonCredentialsUnavailable, Message: err.Error()}}
	case kind == awserr.Transient:
		msg := "refreshing the credentials: " + awserr.Describe(err)
		if storagesecret.Usable(current, now, 0) {
			out := keep(fmt.Sprintf("credentials valid until %s; %s (retrying)", current.Expires.UTC().Format(time.RFC3339), msg))
			out.retrying = msg
			return out
		}
		return secretOutcome{retrying: msg, condition: metav1.Condition{Status: metav1.ConditionFalse, Reason: storagev1alpha1.ReasonCredentialsExpired,
			Message: "the credentials expired while " + msg + "; retrying"}}
	}
	return secretOutcome{reverify: true, condition: metav1.Condition{Status: metav1.ConditionFalse, Reason: storagev1alpha1.ReasonCredentialsWithdrawn,
		Message: "refreshing the credentials was refused, so they were withdrawn: " + awserr.Describe(err)}}
}

func firstFalseCheck(conds []metav1.Condition) *metav1.Condition {
	for _, t := range checkConditions {
		if c := meta.FindStatusCondition(conds, t); c != nil && c.Status == metav1.ConditionFalse {
			return c
		}
	}
	return nil
}

func allChecksTrue(conds []metav1.Condition) bool {
	for _, t := range checkConditions {
		if !meta.IsStatusConditionTrue(conds, t) {
			return false
		}
	}
	return true
}

// applySecret writes the Secret, owned by the TenantStorage (so it is
// garbage-collected with it), and only when it differs from what is there;
// a hand-edited Secret gets its data back exactly.
func (r *TenantStorageReconciler) applySecret(ctx context.Context, ts *storagev1alpha1.TenantStorage, data map[string][]byte, annotations map[string]string) error {
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: SecretName(ts), Namespace: ts.Namespace}}
	_, err := controllerutil.CreateOrPatch(ctx, client.WithFieldOwner(r.Client, fieldOwner), secret, func() error {
		if secret.Labels == nil {
			secret.Labels = map[string]string{}
		}
		secret.Labels[ManagedByLabel] = ManagedByValue
		secret.Labels[TenantLabel] = ts.Name
		if secret.Annotations == nil {
			secret.Annotations = map[string]string{}
		}
		// Expiry annotations go with the credentials.
		delete(secret.Annotations, storagesecret.AnnotationExpiresAt)
		delete(secret.Annotations, storagesecret.AnnotationRefreshAt)
		maps.Copy(secret.Annotations, annotations)
		secret.Type = corev1.SecretTypeOpaque
		secret.Data = data
		return controllerutil.SetControllerReference(ts, secret, r.Scheme())
	})
	return err
}
