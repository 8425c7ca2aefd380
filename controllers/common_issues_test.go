package controllers_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/internal/seeds"
	"github.com/tenantstorage/tenantstorage-operator/internal/seedworld"
)

// Customers of guide 000's Common Issues, and of the confused-deputy
// protection its Best Practices ask for.
var (
	// umbrella named its role in its own way, which the vendor's service
	// role may not assume.
	umbrella        = customerWith("umbrella", seedworld.Chained, func(c *seedworld.Customer) { c.RoleName = "UmbrellaDocumentStorageRole" })
	soylent         = customer("soylent", seedworld.Chained)
	tyrell          = customer("tyrell", seedworld.Chained)
	cyberdyne       = customer("cyberdyne", seedworld.Chained)
	cyberdyneOptOut = customer("cyberdyne-optout", seedworld.Chained)
	weyland         = customer("weyland", seedworld.Chained)
)

// assumeDenied is the AccessDenied STS answers the service role for roleARN.
func assumeDenied(roleARN string) string {
	return fmt.Sprintf("AccessDenied: User: %s is not authorized to perform: sts:AssumeRole on resource: %s", serviceSession(), roleARN)
}

// assumeRoleDenied is TrustVerified when AssumeRole with the ExternalId
// was refused by the customer's side.
func assumeRoleDenied(roleARN, externalID string) cond {
	return cond{metav1.ConditionFalse, storagev1alpha1.ReasonAssumeRoleDenied, fmt.Sprintf(
		"%s. Check, in the customer's account, that the role %s exists, that its trust policy names %s as Principal and allows sts:AssumeRole (guide 000 Step 3, Common Issue 3), "+
			"that its sts:ExternalId condition equals %q exactly (Common Issue 2), and that no other condition in it (MFA, source IP, time) excludes the vendor's session",
		assumeDenied(roleARN), roleARN, vendor.ServiceRoleARN(), externalID)}
}

// untrusted is every condition of a tenant whose session could not be
// obtained, trust failing as trust says.
func untrusted(trust cond) map[string]cond {
	return failedWith(map[string]cond{
		storagev1alpha1.TrustVerifiedCondition:       trust,
		storagev1alpha1.PermissionsVerifiedCondition: notCheckedWithoutTrust,
		storagev1alpha1.EncryptionVerifiedCondition:  notCheckedWithoutTrust,
		storagev1alpha1.KeyAccessVerifiedCondition:   notCheckedWithoutTrust,
	}, storagev1alpha1.TrustVerifiedCondition)
}

// expectUntrusted waits for ts to fail trust with reason and checks every
// condition, and that no earlier session's identity or actions remain.
func expectUntrusted(ts *storagev1alpha1.TenantStorage, trust cond) *storagev1alpha1.TenantStorage {
	GinkgoHelper()
	got := waitFor(ts, storagev1alpha1.TrustVerifiedCondition, metav1.ConditionFalse, trust.Reason)
	Expect(conditions(got)).To(Equal(untrusted(trust)))
	Expect(got.Status.Identity).To(BeEmpty())
	Expect(got.Status.Actions).To(BeEmpty())
	return got
}

// trustPolicy is a client role trust policy admitting principal with the
// ExternalId condition of guide 000's Step 3 when externalID is not empty.
func trustPolicy(principal, externalID string) string {
	condition := ""
	if externalID != "" {
		condition = fmt.Sprintf(`,"Condition":{"StringEquals":{"sts:ExternalId":%q}}`, externalID)
	}
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":%q},"Action":"sts:AssumeRole"%s}]}`, principal, condition)
}

// basicTrustPolicy is guide 000's "1. Basic Trust Policy", filled in.
func basicTrustPolicy() string {
	return seeds.MustFill(seeds.TrustPolicyBasic, seeds.Values{VendorAccountID: vendor.AccountID})
}

var _ = Describe("guide 000's Common Issues", func() {
	It("1. a client role the service role may not assume is ServiceRoleNotPermitted", func() {
		ts := start(tenant("umbrella", umbrella))
		expectUntrusted(ts, cond{metav1.ConditionFalse, storagev1alpha1.ReasonServiceRoleNotPermitted, fmt.Sprintf(
			"%s. The vendor's service role %s may only assume roles matching %s (its sts:AssumeRole permission, onboarding guide 000 Step 1), and %s does not match: "+
				"name the client role to match, e.g. arn:aws:iam::%s:role/AlphaSense-DocumentStorage-ClientRole<tenant> (guide 000, Common Issue 1)",
			assumeDenied(umbrella.RoleARN()), vendor.ServiceRoleARN(), seedworld.ClientRolePattern, umbrella.RoleARN(), umbrella.AccountID)})
	})

	It("2. an ExternalId other than the trust policy's is AssumeRoleDenied", func() {
		ts := tenant("soylent", soylent)
		ts.Spec.ExternalID = "soylent-external-id-2025"
		start(ts)
		expectUntrusted(ts, assumeRoleDenied(soylent.RoleARN(), "soylent-external-id-2025"))
	})

	It("3. a trust policy that does not name the vendor's service role is AssumeRoleDenied", func() {
		// The customer trusted its own account only, not the vendor's.
		Expect(aws.SetRoleTrustPolicy(tyrell.RoleARN(),
			trustPolicy(fmt.Sprintf("arn:aws:iam::%s:root", tyrell.AccountID), tyrell.ExternalID))).To(Succeed())
		ts := start(tenant("tyrell", tyrell))
		expectUntrusted(ts, assumeRoleDenied(tyrell.RoleARN(), tyrell.ExternalID))
	})
})

var _ = Describe("the confused-deputy protection (guide 000, Best Practices: always use External IDs)", func() {
	notEnforcedWith := func(c seedworld.Customer, externalID string) string {
		return fmt.Sprintf("%s does not enforce the ExternalId: it can also be assumed without an ExternalId, and it can also be assumed with a wrong ExternalId. "+
			"Add the condition {\"StringEquals\": {\"sts:ExternalId\": %q}} to its trust policy (onboarding guide 000, Step 3); "+
			"without it any other customer of the vendor could make the vendor act on this role (the confused-deputy problem)", c.RoleARN(), externalID)
	}
	notEnforced := func(c seedworld.Customer) string { return notEnforcedWith(c, c.ExternalID) }

	It("refuses guide 000's Basic Trust Policy, which has no ExternalId condition: ExternalIdNotEnforced", func() {
		Expect(aws.SetRoleTrustPolicy(cyberdyne.RoleARN(), basicTrustPolicy())).To(Succeed())
		ts := start(tenant("cyberdyne", cyberdyne))
		got := expectUntrusted(ts, cond{metav1.ConditionFalse, storagev1alpha1.ReasonExternalIDNotEnforced, notEnforced(cyberdyne)})
		Expect(got.Status.Actions).To(BeEmpty(), "nothing is tried with a session anyone could get")
	})

	It("accepts it with acceptTrustWithoutExternalId, still reporting ExternalIdNotEnforced, with a Warning event", func() {
		Expect(aws.SetRoleTrustPolicy(cyberdyneOptOut.RoleARN(), basicTrustPolicy())).To(Succeed())
		ts := tenant("cyberdyne-optout", cyberdyneOptOut)
		ts.Spec.AcceptTrustWithoutExternalID = true
		start(ts)
		session := tenantSession(cyberdyneOptOut, "default", "cyberdyne-optout")

		got := waitFor(ts, storagev1alpha1.ReadyCondition, metav1.ConditionTrue, storagev1alpha1.ReasonVerified)
		want := healthy(cyberdyneOptOut, session)
		warning := notEnforced(cyberdyneOptOut)
		want[storagev1alpha1.TrustVerifiedCondition] = cond{metav1.ConditionTrue, storagev1alpha1.ReasonExternalIDNotEnforced,
			"accepted by spec.acceptTrustWithoutExternalId: " + warning}
		Expect(conditions(got)).To(Equal(want))
		Expect(got.Status.Actions).To(Equal(allowed(s3Actions, kmsActions)))

		eventually(func(g Gomega) {
			g.Expect(eventsSummary(g, got)).To(ConsistOf(
				event{warningType, storagev1alpha1.ReasonExternalIDNotEnforced, warning},
				event{normalType, storagev1alpha1.ReasonVerified, readyVerified.Message},
			))
		}).Should(Succeed())
	})

	It("refuses it when the operator generated the ExternalId (no spec.externalId): ExternalIdNotEnforced, naming the generated one", func() {
		Expect(aws.SetRoleTrustPolicy(weyland.RoleARN(), basicTrustPolicy())).To(Succeed())
		ts := tenant("weyland", weyland)
		ts.Spec.ExternalID = ""
		start(ts)
		got := waitFor(ts, storagev1alpha1.TrustVerifiedCondition, metav1.ConditionFalse, storagev1alpha1.ReasonExternalIDNotEnforced)
		Expect(got.Status.ExternalID).NotTo(BeEmpty())
		Expect(got.Status.ExternalID).NotTo(Equal(weyland.ExternalID))
		expectUntrusted(ts, cond{metav1.ConditionFalse, storagev1alpha1.ReasonExternalIDNotEnforced, notEnforcedWith(weyland, got.Status.ExternalID)})
	})
})
