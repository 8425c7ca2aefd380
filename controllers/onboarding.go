package controllers

import (
	"context"
	"maps"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/internal/policy"
	"github.com/tenantstorage/tenantstorage-operator/internal/verify"
)

// OnboardingName is the ConfigMap holding the customer's documents:
// <name>-onboarding.
func OnboardingName(ts *storagev1alpha1.TenantStorage) string {
	return ts.Name + "-onboarding"
}

// reconcileOnboarding writes the exact documents the customer applies for
// this tenant (trust policy with the ExternalId in use, least-privilege
// permissions, bucket and key policies, and the guide's CLI commands) into
// a ConfigMap the status points to. The guides are templates; this is the
// filled-in copy a platform team hands over.
func (r *TenantStorageReconciler) reconcileOnboarding(ctx context.Context, ts *storagev1alpha1.TenantStorage, tenant verify.Tenant) error {
	docs := r.onboardingDocuments(ts, tenant)
	if docs == nil {
		ts.Status.OnboardingConfigMap = ""
		return nil
	}
	data := map[string]string{"README.md": docs.Markdown(), "commands.sh": docs.Commands}
	for _, f := range docs.Files() {
		data[f.Name] = string(f.Content)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: OnboardingName(ts), Namespace: ts.Namespace}}
	_, err := controllerutil.CreateOrPatch(ctx, client.WithFieldOwner(r.Client, fieldOwner), cm, func() error {
		if cm.Labels == nil {
			cm.Labels = map[string]string{}
		}
		maps.Copy(cm.Labels, map[string]string{ManagedByLabel: ManagedByValue, TenantLabel: ts.Name})
		cm.Data = data
		return controllerutil.SetControllerReference(ts, cm, r.Scheme())
	})
	if err == nil {
		ts.Status.OnboardingConfigMap = cm.Name
	}
	return err
}

// onboardingDocuments renders the tenant's documents, or returns nil when
// there are none to hand over. That is not a failure of the reconcile:
// without a service role (the base identity assumes tenant roles itself)
// there is no principal to render, and the specs Render refuses otherwise
// (no valid ExternalId, a key outside spec.region...) are the checks' to
// report in the conditions; retrying would not render them either.
func (r *TenantStorageReconciler) onboardingDocuments(ts *storagev1alpha1.TenantStorage, tenant verify.Tenant) *policy.Documents {
	docs, err := policy.Render(policy.RenderInput{
		ServiceRoleARN: r.ServiceRoleARN,
		ClientRoleARN:  ts.Spec.RoleArn,
		Region:         ts.Spec.Region,
		ExternalID:     tenant.ExternalID,
		BucketARN:      ts.Spec.BucketArn,
		KeyARN:         ts.Spec.KMSKeyArn,
		S3Actions:      verify.ActionNames(ts.Spec.S3Actions),
	})
	if err != nil {
		return nil
	}
	return docs
}
