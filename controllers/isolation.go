package controllers

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/internal/verify"
)

// AllowedAccountsAnnotation, on a Namespace, lists the AWS account IDs
// (comma-separated) that the namespace's TenantStorages may reference.
// Cluster admins set it; tenants, who cannot edit their Namespace, cannot.
const AllowedAccountsAnnotation = "storage.tenantstorage.dev/allowed-accounts"

// roleARNIndex indexes TenantStorages by spec.roleArn, to find a role
// claimed from another namespace.
const roleARNIndex = "spec.roleArn"

// admit decides, before any AWS call, whether the tenant may be verified at
// all: its accounts must be allowed in its namespace, and its role must not
// belong to a tenant of another namespace. It returns the failed trust
// check, or nil.
func (r *TenantStorageReconciler) admit(ctx context.Context, ts *storagev1alpha1.TenantStorage) (*verify.Check, error) {
	ns := &corev1.Namespace{}
	if err := r.Get(ctx, client.ObjectKey{Name: ts.Namespace}, ns); err != nil {
		return nil, err
	}
	if list, ok := ns.Annotations[AllowedAccountsAnnotation]; ok {
		allowed := strings.FieldsFunc(list, func(c rune) bool { return c == ',' || c == ' ' })
		for _, field := range []struct{ name, arn string }{{"roleArn", ts.Spec.RoleArn}, {"kmsKeyArn", ts.Spec.KMSKeyArn}} {
			a, err := arn.Parse(field.arn)
			if err != nil || slices.Contains(allowed, a.AccountID) {
				continue
			}
			c := verify.Check{Status: metav1.ConditionFalse, Reason: storagev1alpha1.ReasonAccountNotAllowed, Message: fmt.Sprintf(
				"%s is in AWS account %s, which namespace %s may not use (its %s annotation allows %s); no AWS call was made. Ask a cluster admin to add the account, or fix %s",
				field.name, a.AccountID, ts.Namespace, AllowedAccountsAnnotation, strings.Join(allowed, ", "), field.name)}
			return &c, nil
		}
	}

	if ts.Spec.RoleArn == "" {
		return nil, nil
	}
	claims := &storagev1alpha1.TenantStorageList{}
	if err := r.List(ctx, claims, client.MatchingFields{roleARNIndex: ts.Spec.RoleArn}); err != nil {
		return nil, err
	}
	for i := range claims.Items {
		other := &claims.Items[i]
		if other.Namespace != ts.Namespace && claimedFirst(other, ts) {
			c := verify.Check{Status: metav1.ConditionFalse, Reason: storagev1alpha1.ReasonConflict, Message: fmt.Sprintf(
				"roleArn %s is already used by TenantStorage %s/%s; a customer's role serves the tenants of one namespace only, so this one is not verified. Use the role the customer created for this tenant",
				ts.Spec.RoleArn, other.Namespace, other.Name)}
			return &c, nil
		}
	}
	return nil, nil
}

// claimedFirst reports whether a was created before b (ties broken by
// namespace and name, so that exactly one of two claims wins).
func claimedFirst(a, b *storagev1alpha1.TenantStorage) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name
}

// refused is the report of a tenant that may not be verified: trust fails
// with the reason, and the other checks wait for it.
func refused(c verify.Check) verify.Report {
	waiting := verify.Check{Status: metav1.ConditionUnknown, Reason: storagev1alpha1.ReasonWaiting, Message: "not checked: " + c.Reason}
	return verify.Report{Trust: c, Permissions: waiting, Encryption: waiting, KeyAccess: waiting}
}

// sameRole maps a TenantStorage to the others claiming its role, so that
// deleting the first claim lets the next one be verified.
func (r *TenantStorageReconciler) sameRole(ctx context.Context, obj client.Object) []reconcile.Request {
	ts, ok := obj.(*storagev1alpha1.TenantStorage)
	if !ok || ts.Spec.RoleArn == "" {
		return nil
	}
	claims := &storagev1alpha1.TenantStorageList{}
	if err := r.List(ctx, claims, client.MatchingFields{roleARNIndex: ts.Spec.RoleArn}); err != nil {
		return nil
	}
	var out []reconcile.Request
	for _, c := range claims.Items {
		if c.Namespace != ts.Namespace || c.Name != ts.Name {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&c)})
		}
	}
	return out
}

// inNamespace maps a Namespace to its TenantStorages, so that a change of
// its allowed accounts applies at once.
func (r *TenantStorageReconciler) inNamespace(ctx context.Context, obj client.Object) []reconcile.Request {
	list := &storagev1alpha1.TenantStorageList{}
	if err := r.List(ctx, list, client.InNamespace(obj.GetName())); err != nil {
		return nil
	}
	out := make([]reconcile.Request, 0, len(list.Items))
	for _, ts := range list.Items {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&ts)})
	}
	return out
}
