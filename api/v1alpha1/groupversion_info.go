// Package v1alpha1 contains the TenantStorage API: one tenant's
// bring-your-own bucket and key configuration, and the operator's verdict on it.
//
// +kubebuilder:object:generate=true
// +groupName=storage.tenantstorage.dev
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of the TenantStorage API.
	GroupVersion = schema.GroupVersion{Group: "storage.tenantstorage.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the API's types with a runtime.Scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the API's types to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// addKnownTypes registers TenantStorage and TenantStorageList, and the
// meta/v1 types every group version carries (ListOptions, Status...).
func addKnownTypes(scheme *runtime.Scheme) error {
	scheme.AddKnownTypes(GroupVersion, &TenantStorage{}, &TenantStorageList{})
	metav1.AddToGroupVersion(scheme, GroupVersion)
	return nil
}
