package controllers_test

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/internal/seeds"
	"github.com/tenantstorage/tenantstorage-operator/internal/seedworld"
)

var (
	driftTrust  = customer("drift-trust", seedworld.Chained)
	driftKey    = customer("drift-key", seedworld.Chained)
	driftBucket = customer("drift-bucket", seedworld.Chained)
)

// driftInterval is the shortest verify interval admission allows.
const driftInterval = 5 * time.Second

// withinOneInterval waits for f to pass for no longer than one verify
// interval, its 10% jitter and one verification: no spec change and no
// annotation asks for a verification, so only the interval can find it.
func withinOneInterval(f any) AsyncAssertion {
	return Eventually(f).WithTimeout(driftInterval + driftInterval/10 + 1500*time.Millisecond).WithPolling(100 * time.Millisecond)
}

// startDrifting creates a tenant of c verified every driftInterval and
// waits until it is Ready.
func startDrifting(name string, c seedworld.Customer) *storagev1alpha1.TenantStorage {
	GinkgoHelper()
	ts := tenant(name, c)
	ts.Spec.VerifyInterval = &metav1.Duration{Duration: driftInterval}
	start(ts)
	got := waitFor(ts, storagev1alpha1.ReadyCondition, metav1.ConditionTrue, storagev1alpha1.ReasonVerified)
	Expect(conditions(got)).To(Equal(healthy(c, tenantSession(c, "default", name))))
	return got
}

// expectRecovered waits for ts to be Ready again, with every action
// allowed, and for the Normal Recovered event. wait is withinOneInterval
// when the next scheduled verification must find it, or eventually when
// the reverify annotation asked for one.
func expectRecovered(ts *storagev1alpha1.TenantStorage, c seedworld.Customer, wait func(any) AsyncAssertion) {
	GinkgoHelper()
	wait(func(g Gomega) {
		got := fetch(g, ts)
		g.Expect(conditions(got)).To(Equal(healthy(c, tenantSession(c, "default", ts.Name))))
		g.Expect(got.Status.Actions).To(Equal(allowed(s3Actions, kmsActions)))
	}).Should(Succeed())
	eventually(func(g Gomega) {
		g.Expect(eventsSummary(g, ts)).To(ContainElement(event{normalType, "Recovered", readyVerified.Message}))
	}).Should(Succeed())
}

var _ = Describe("drift, found by the verify interval alone", func() {
	It("finds a trust policy that lost its ExternalId condition, and recovers when it is back", func() {
		ts := startDrifting("drift-trust", driftTrust)

		Expect(aws.SetRoleTrustPolicy(driftTrust.RoleARN(), basicTrustPolicy())).To(Succeed())
		trust := cond{metav1.ConditionFalse, storagev1alpha1.ReasonExternalIDNotEnforced, fmt.Sprintf(
			"%s does not enforce the ExternalId: it can also be assumed without an ExternalId, and it can also be assumed with a wrong ExternalId. Add the condition {\"StringEquals\": {\"sts:ExternalId\": %q}} to its trust policy (onboarding guide 000, Step 3); "+
				"without it any other customer of the vendor could make the vendor act on this role (the confused-deputy problem)", driftTrust.RoleARN(), driftTrust.ExternalID)}
		withinOneInterval(func(g Gomega) {
			got := fetch(g, ts)
			g.Expect(conditions(got)).To(Equal(untrusted(trust)))
			g.Expect(got.Status.Actions).To(BeEmpty())
		}).Should(Succeed())
		eventually(func(g Gomega) {
			g.Expect(eventsSummary(g, ts)).To(ContainElement(event{warningType, storagev1alpha1.ReasonExternalIDNotEnforced, "TrustVerified: " + trust.Message}))
		}).Should(Succeed())

		// Fixed: the next scheduled verification finds it too.
		Expect(aws.SetRoleTrustPolicy(driftTrust.RoleARN(), seeds.MustFill(seeds.CLITrustPolicy, driftTrust.Values(vendor)))).To(Succeed())
		expectRecovered(ts, driftTrust, withinOneInterval)
	})

	It("finds a disabled key (KeyDisabled), and recovers when it is enabled", func() {
		ts := startDrifting("drift-key", driftKey)

		Expect(aws.SetKeyState(driftKey.KeyARN(), "Disabled")).To(Succeed())
		keyDisabled := cond{metav1.ConditionFalse, storagev1alpha1.ReasonKeyDisabled, fmt.Sprintf(
			"key %[1]s is disabled, so nothing encrypted with it can be read or written: the customer must enable it (aws kms enable-key --key-id %[1]s)", driftKey.KeyARN())}
		disabled := fmt.Sprintf("KMS.DisabledException: %s is disabled.", driftKey.KeyARN())
		// S3 cannot write the probe object with a disabled key: that is
		// the key's problem, not a denied S3 permission.
		withinOneInterval(func(g Gomega) {
			got := fetch(g, ts)
			g.Expect(conditions(got)).To(Equal(failedWith(map[string]cond{
				storagev1alpha1.TrustVerifiedCondition: trustVerified(driftKey, tenantSession(driftKey, "default", "drift-key")),
				storagev1alpha1.PermissionsVerifiedCondition: {metav1.ConditionUnknown, storagev1alpha1.ReasonProbeUnavailable, fmt.Sprintf(
					"not verified: S3 could not use the key %s to write the probe object (%s); see KeyAccessVerified", driftKey.KeyARN(), disabled)},
				storagev1alpha1.EncryptionVerifiedCondition: {metav1.ConditionUnknown, storagev1alpha1.ReasonProbeUnavailable,
					"not checked: S3 could not use the key to write the probe object, whose encryption is what this check reads (see KeyAccessVerified)"},
				storagev1alpha1.KeyAccessVerifiedCondition: keyDisabled,
			}, storagev1alpha1.KeyAccessVerifiedCondition)))
			g.Expect(got.Status.Actions).To(Equal([]storagev1alpha1.ActionResult{
				{Action: "s3:GetObject", Result: storagev1alpha1.ActionAllowed},
				{Action: "s3:PutObject", Result: storagev1alpha1.ActionUnknown, Message: "not verified: S3 could not use the key (" + disabled + "); see KeyAccessVerified"},
				{Action: "s3:RestoreObject", Result: storagev1alpha1.ActionAllowed},
				{Action: "s3:ListBucket", Result: storagev1alpha1.ActionAllowed},
				{Action: "s3:DeleteObject", Result: storagev1alpha1.ActionAllowed},
				{Action: "kms:DescribeKey", Result: storagev1alpha1.ActionAllowed},
				{Action: "kms:GenerateDataKey", Result: storagev1alpha1.ActionUnknown, Message: "DisabledException: " + driftKey.KeyARN() + " is disabled."},
				{Action: "kms:Decrypt", Result: storagev1alpha1.ActionUnknown, Message: "not tried: it needs a ciphertext from an action that failed"},
				{Action: "kms:Encrypt", Result: storagev1alpha1.ActionUnknown, Message: "DisabledException: " + driftKey.KeyARN() + " is disabled."},
				{Action: "kms:ReEncrypt", Result: storagev1alpha1.ActionUnknown, Message: "not tried: it needs a ciphertext from an action that failed"},
			}))
		}).Should(Succeed())

		// Fixed, and the customer asks for a check at once.
		Expect(aws.SetKeyState(driftKey.KeyARN(), "Enabled")).To(Succeed())
		reverify(ts)
		expectRecovered(ts, driftKey, eventually)
	})

	It("finds a bucket policy that now denies writes, and recovers when it is restored", func() {
		ts := startDrifting("drift-bucket", driftBucket)

		Expect(aws.SetBucketPolicy(driftBucket.BucketName(), fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
			%s,
			{"Sid":"Freeze","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::%s/*"}]}`,
			bucketPolicyStatement(driftBucket), driftBucket.BucketName()))).To(Succeed())
		withinOneInterval(func(g Gomega) {
			got := fetch(g, ts)
			denied := s3Denied(driftBucket, got, "s3:PutObject")
			g.Expect(conditionOf(got, storagev1alpha1.PermissionsVerifiedCondition)).To(Equal(cond{metav1.ConditionFalse, storagev1alpha1.ReasonActionsDenied, denied}))
			g.Expect(conditionOf(got, storagev1alpha1.ReadyCondition)).To(Equal(cond{metav1.ConditionFalse, storagev1alpha1.ReasonActionsDenied, "PermissionsVerified: " + denied}))
			g.Expect(got.Status.Actions).To(Equal(withResult(allowed(s3Actions, kmsActions), storagev1alpha1.ActionResult{
				Action: "s3:PutObject", Result: storagev1alpha1.ActionDenied, Message: denied})))
		}).Should(Succeed())

		Expect(aws.SetBucketPolicy(driftBucket.BucketName(), seeds.MustFill(seeds.BucketPolicy, driftBucket.Values(vendor)))).To(Succeed())
		reverify(ts)
		expectRecovered(ts, driftBucket, eventually)
	})
})
