package main

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/internal/argohealth"
	"github.com/tenantstorage/tenantstorage-operator/internal/seedworld"
)

// vendor is the vendor's account: the operator's base identity (an IAM user
// with access keys, standing in for IRSA or Pod Identity) and the service
// role it assumes (guide 000's document-storage-role).
var vendor = seedworld.Vendor{}.Fill()

// sample is one customer of the demo world and the TenantStorage in
// config/samples that the platform team wrote from what the customer sent
// back, with the verdict the guides predict.
type sample struct {
	// name is the TenantStorage's name (metadata.name in config/samples).
	name     string
	customer seedworld.Customer
	// story says what the customer did, for the demo's output.
	story string

	ready   metav1.ConditionStatus
	reason  string
	kstatus status.Status
	argo    string
}

// samples are the demo's customers. Their account IDs are fixed so that
// config/samples can name their ARNs; TestSamplesMatchTheWorld keeps the two
// in step.
var samples = []sample{
	{
		name:     "acme",
		customer: seedworld.Customer{Name: "acme", AccountID: "222222222222", Mode: seedworld.Chained}.Fill(),
		story:    "followed guide 000 to the letter (client role with ExternalId, bucket and key policies)",
		ready:    metav1.ConditionTrue, reason: storagev1alpha1.ReasonVerified,
		kstatus: status.CurrentStatus, argo: argohealth.Healthy,
	},
	{
		name:     "globex",
		customer: seedworld.Customer{Name: "globex", AccountID: "333333333333", Mode: seedworld.Chained}.Fill(),
		story:    "set up like acme, but the TenantStorage's externalId differs from the trust policy's (guide 000, Common Issue 2)",
		ready:    metav1.ConditionFalse, reason: storagev1alpha1.ReasonAssumeRoleDenied,
		kstatus: status.FailedStatus, argo: argohealth.Degraded,
	},
	{
		name:     "initech",
		customer: seedworld.Customer{Name: "initech", AccountID: "444444444444", Mode: seedworld.Direct}.Fill(),
		story:    "used guide 004 Option A's bucket policy verbatim (its Resource is bucket/* only, so s3:ListBucket is denied)",
		ready:    metav1.ConditionFalse, reason: storagev1alpha1.ReasonActionsDenied,
		kstatus: status.FailedStatus, argo: argohealth.Degraded,
	},
}

// globexSentExternalID is the ExternalId in globex's TenantStorage: one year
// off the one its trust policy requires.
const globexSentExternalID = "globex-external-id-2025"

// customers returns the world's customers.
func customers() []seedworld.Customer {
	out := make([]seedworld.Customer, len(samples))
	for i, s := range samples {
		out[i] = s.customer
	}
	return out
}
