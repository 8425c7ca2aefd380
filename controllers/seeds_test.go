package controllers_test

import (
	"context"
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws"
	"github.com/tenantstorage/tenantstorage-operator/internal/seedworld"
)

var (
	acme    = customer("acme", seedworld.Chained)
	globex  = customer("globex", seedworld.KeyOnly)
	initech = customer("initech", seedworld.Direct)
)

var _ = Describe("a customer who followed the guides to the letter", func() {
	It("is Ready with the chained role, bucket and key (guide 000)", func() {
		ts := tenant("acme", acme)
		aws.ResetCalls()
		create(ts)

		var got *storagev1alpha1.TenantStorage
		eventually(func(g Gomega) {
			got = fetch(g, ts)
			g.Expect(conditionOf(got, storagev1alpha1.ReadyCondition)).To(Satisfy(condIs(metav1.ConditionTrue, storagev1alpha1.ReasonVerified)))
		}).Should(Succeed())

		session := fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/ts-default.acme", acme.AccountID, seedworld.SeedClientRoleName)
		Expect(got.Status.Identity).To(Equal(session))
		Expect(conditionOf(got, storagev1alpha1.TrustVerifiedCondition)).To(Equal(cond{metav1.ConditionTrue, storagev1alpha1.ReasonVerified,
			fmt.Sprintf("assumed %s as %s with the ExternalId; without it and with a wrong one AWS refused, as it should", acme.RoleARN(), session)}))
		Expect(conditionOf(got, storagev1alpha1.PermissionsVerifiedCondition)).To(Equal(cond{metav1.ConditionTrue, storagev1alpha1.ReasonVerified,
			"5 S3 actions allowed in s3://acme-document-bucket/.tenantstorage-probe/"}))
		Expect(conditionOf(got, storagev1alpha1.EncryptionVerifiedCondition)).To(Equal(cond{metav1.ConditionTrue, storagev1alpha1.ReasonVerified,
			"new objects are encrypted with SSE-KMS and " + acme.KeyARN()}))
		Expect(conditionOf(got, storagev1alpha1.KeyAccessVerifiedCondition)).To(Equal(cond{metav1.ConditionTrue, storagev1alpha1.ReasonVerified,
			acme.KeyARN() + " is an enabled symmetric key in us-east-1; DescribeKey, GenerateDataKey, Decrypt, Encrypt and ReEncrypt succeeded"}))
		for _, a := range got.Status.Actions {
			Expect(a.Result).To(Equal(storagev1alpha1.ActionAllowed), a.Action)
		}
		Expect(got.Status.Actions).To(HaveLen(10))

		var calls []localaws.Call
		for _, c := range aws.Calls(localaws.CallFilter{}) {
			if c.Principal != vendor.UserARN() {
				calls = append(calls, c)
			}
		}
		Expect(summarizeCalls(calls)).To(Equal(map[string]int{
			// The tenant's role is assumed three times: with the ExternalId,
			// without, and with a wrong one. (The service role's own session
			// is shared by every tenant; see the fleet benchmark.)
			vendor.ServiceRoleARN() + "-session sts:AssumeRole OK":           1,
			vendor.ServiceRoleARN() + "-session sts:AssumeRole AccessDenied": 2,
			session + " s3:HeadBucket OK":                                    1,
			session + " s3:ListObjectsV2 OK":                                 1,
			session + " s3:PutObject OK":                                     1,
			session + " s3:GetObject OK":                                     1,
			session + " s3:RestoreObject InvalidObjectState":                 1,
			session + " s3:DeleteObject OK":                                  1,
			session + " kms:DescribeKey OK":                                  1,
			session + " kms:GenerateDataKey OK":                              1,
			session + " kms:Encrypt OK":                                      1,
			session + " kms:Decrypt OK":                                      1,
			session + " kms:ReEncrypt OK":                                    1,
			// S3's own calls to KMS for the probe object's data key.
			session + " kms:GenerateDataKey OK via s3.amazonaws.com": 1,
			session + " kms:Decrypt OK via s3.amazonaws.com":         1,
		}))
		for _, c := range calls {
			if c.Service == "s3" && c.Key != "" {
				Expect(c.Key).To(HavePrefix(".tenantstorage-probe/"), "%s touched %s", c.Operation, c.Key)
			}
		}
		Expect(k8sClient.Delete(context.Background(), ts)).To(Succeed())
	})
})

// summarizeCalls counts calls as "principal service:operation outcome",
// with " via <service>" for the KMS calls S3 makes for the caller.
// Service-role sessions are written as "<role ARN>-session" so the counts
// do not depend on the session name.
func summarizeCalls(calls []localaws.Call) map[string]int {
	out := map[string]int{}
	for _, c := range calls {
		principal := c.Principal
		if principal == fmt.Sprintf("arn:aws:sts::%s:assumed-role/document-storage-role/tenantstorage-operator", vendor.AccountID) {
			principal = vendor.ServiceRoleARN() + "-session"
		}
		key := fmt.Sprintf("%s %s:%s %s", principal, c.Service, c.Operation, c.Outcome)
		if c.Via != "" {
			key += " via " + c.Via
		}
		out[key]++
	}
	return out
}
