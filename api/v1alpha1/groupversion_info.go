// Package v1alpha1 contains the TenantStorage API: one tenant's
// bring-your-own bucket and key configuration, and the operator's verdict on it.
//
// +kubebuilder:object:generate=true
// +groupName=storage.tenantstorage.dev
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of the TenantStorage API.
	GroupVersion = schema.GroupVersion{Group: "storage.tenantstorage.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the API's types with a runtime.Scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the API's types to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
