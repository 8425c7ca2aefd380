package controllers_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/credentials"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/internal/awsauth"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws"
	"github.com/tenantstorage/tenantstorage-operator/internal/seeds"
	"github.com/tenantstorage/tenantstorage-operator/internal/seedworld"
	"github.com/tenantstorage/tenantstorage-operator/internal/verify"
)

// One customer per line of guide 000's Troubleshooting Checklist, each
// breaking its own account.
var (
	clPrincipal = customer("cl-principal", seedworld.Chained)
	// clActions left s3:RestoreObject out of the client role's permission
	// policy (and skipped the optional bucket policy, Step 4).
	clActions = customerWith("cl-actions", seedworld.Chained, func(c *seedworld.Customer) {
		doc := seeds.MustFill(seeds.CLIPermissionsPolicy, c.Values(vendor))
		c.PermissionsPolicy = strings.Replace(doc, "\"s3:RestoreObject\",\n", "", 1)
	})
	clExternalID = customer("cl-externalid", seedworld.Chained)
	clRoleARN    = customer("cl-rolearn", seedworld.Chained)
	clAccount    = customer("cl-account", seedworld.Chained)
	// clRegion's bucket and key are in eu-west-1.
	clRegion         = customerWith("cl-region", seedworld.Chained, func(c *seedworld.Customer) { c.Region = "eu-west-1" })
	clCredentials    = customer("cl-credentials", seedworld.Chained)
	clConditions     = customer("cl-conditions", seedworld.Chained)
	clTrustCondition = customer("cl-trust-condition", seedworld.Chained)
	clDeleted        = customer("cl-deleted", seedworld.Chained)
	clBucketPolicy   = customer("cl-bucket-policy", seedworld.Chained)
	clKeyPolicy      = customer("cl-key-policy", seedworld.Chained)
	clCloudTrail     = customer("cl-cloudtrail", seedworld.Chained)
)

// probeARN is the object the operator probes in c's bucket for ts.
func probeARN(c seedworld.Customer, ts *storagev1alpha1.TenantStorage) string {
	return fmt.Sprintf("arn:aws:s3:::%s/.tenantstorage-probe/probe-%s", c.BucketName(), ts.UID)
}

// s3Denied is the message of a denied object action of a chained tenant.
func s3Denied(c seedworld.Customer, ts *storagev1alpha1.TenantStorage, action string) string {
	return fmt.Sprintf("%s is denied on %s: allow it on arn:aws:s3:::%s/* in the client role's permission policy, and make sure no Deny statement of the bucket policy matches it (onboarding guide 000, Steps 2 and 4)",
		action, probeARN(c, ts), c.BucketName())
}

var _ = Describe("guide 000's Troubleshooting Checklist", func() {
	It("Trust policy allows the correct AlphaSense principal: a trust policy naming another vendor principal is AssumeRoleDenied", func() {
		// The vendor's base identity instead of its document-storage-role.
		Expect(aws.SetRoleTrustPolicy(clPrincipal.RoleARN(), trustPolicy(vendor.UserARN(), clPrincipal.ExternalID))).To(Succeed())
		ts := start(tenant("cl-principal", clPrincipal))
		expectUntrusted(ts, assumeRoleDenied(clPrincipal.RoleARN(), clPrincipal.ExternalID))
	})

	It("Permission policy includes necessary S3 and KMS actions: a policy without s3:RestoreObject denies that action alone", func() {
		Expect(aws.SetBucketPolicy(clActions.BucketName(), "")).To(Succeed())
		ts := start(tenant("cl-actions", clActions))
		session := tenantSession(clActions, "default", "cl-actions")

		got := waitFor(ts, storagev1alpha1.PermissionsVerifiedCondition, metav1.ConditionFalse, storagev1alpha1.ReasonActionsDenied)
		denied := s3Denied(clActions, got, "s3:RestoreObject")
		want := healthy(clActions, session)
		want[storagev1alpha1.PermissionsVerifiedCondition] = cond{metav1.ConditionFalse, storagev1alpha1.ReasonActionsDenied, denied}
		delete(want, storagev1alpha1.ReadyCondition)
		Expect(conditions(got)).To(Equal(failedWith(want, storagev1alpha1.PermissionsVerifiedCondition)))
		Expect(got.Status.Actions).To(Equal(withResult(allowed(s3Actions, kmsActions), storagev1alpha1.ActionResult{
			Action: "s3:RestoreObject", Result: storagev1alpha1.ActionDenied, Message: denied})))
		Expect(outcomes(session, "s3", "RestoreObject")).To(Equal(map[string]int{"AccessDenied": 1}))
	})

	It("External ID matches exactly (if used): one differing in case only is AssumeRoleDenied", func() {
		ts := tenant("cl-externalid", clExternalID)
		ts.Spec.ExternalID = strings.ToUpper(clExternalID.ExternalID[:2]) + clExternalID.ExternalID[2:]
		start(ts)
		expectUntrusted(ts, assumeRoleDenied(clExternalID.RoleARN(), ts.Spec.ExternalID))
	})

	It("Role ARN is correct and exists: a role that does not exist is AssumeRoleDenied", func() {
		ts := tenant("cl-rolearn", clRoleARN)
		ts.Spec.RoleArn = clRoleARN.RoleARN() + "-prod"
		start(ts)
		expectUntrusted(ts, assumeRoleDenied(ts.Spec.RoleArn, clRoleARN.ExternalID))
	})

	It("Account IDs are correct in all policies: a roleArn in the wrong account is AssumeRoleDenied", func() {
		ts := tenant("cl-account", clAccount)
		wrong := clAccount.AccountID[1:] + clAccount.AccountID[:1]
		Expect(wrong).NotTo(Equal(clAccount.AccountID))
		ts.Spec.RoleArn = strings.Replace(clAccount.RoleARN(), clAccount.AccountID, wrong, 1)
		start(ts)
		expectUntrusted(ts, assumeRoleDenied(ts.Spec.RoleArn, clAccount.ExternalID))
	})

	It("Region is correct (if specified): a bucket in eu-west-1 for a tenant in us-east-1 is BucketRegionMismatch", func() {
		// Admission keeps the key in spec.region, so this tenant brings the
		// bucket only.
		ts := tenant("cl-region", clRegion)
		ts.Spec.Region = "us-east-1"
		ts.Spec.KMSKeyArn = ""
		start(ts)
		session := tenantSession(clRegion, "default", "cl-region")

		got := waitFor(ts, storagev1alpha1.PermissionsVerifiedCondition, metav1.ConditionFalse, storagev1alpha1.ReasonBucketRegionMismatch)
		Expect(conditions(got)).To(Equal(failedWith(map[string]cond{
			storagev1alpha1.TrustVerifiedCondition: trustVerified(clRegion, session),
			storagev1alpha1.PermissionsVerifiedCondition: {metav1.ConditionFalse, storagev1alpha1.ReasonBucketRegionMismatch,
				"bucket cl-region-document-bucket is in eu-west-1 but spec.region is us-east-1: set region to eu-west-1, with a key in that region too (onboarding guide 004: the bucket must be in the key's region)"},
			storagev1alpha1.EncryptionVerifiedCondition: {metav1.ConditionTrue, storagev1alpha1.ReasonNotApplicable,
				"no kmsKeyArn: the bucket's encryption is the customer's choice"},
			storagev1alpha1.KeyAccessVerifiedCondition: {metav1.ConditionTrue, storagev1alpha1.ReasonNotApplicable,
				"no kmsKeyArn: the tenant brings only a bucket"},
		}, storagev1alpha1.PermissionsVerifiedCondition)))
		notTried := "not tried: the bucket is not in spec.region us-east-1 (PermanentRedirect: The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.)"
		var results []storagev1alpha1.ActionResult
		for _, a := range s3Actions {
			results = append(results, storagev1alpha1.ActionResult{Action: a, Result: storagev1alpha1.ActionUnknown, Message: notTried})
		}
		Expect(got.Status.Actions).To(Equal(results))
		Expect(outcomes(session, "s3", "HeadBucket")).To(Equal(map[string]int{"PermanentRedirect": 1}))
	})

	Describe("Principal has valid credentials", func() {
		// The operator's own credentials are wrong: a Verifier like the
		// manager's, over the same localaws, with a wrong secret key.
		verifierWithSecret := func(secret string) *verify.Verifier {
			base, err := awsauth.LoadBase(context.Background(), awsauth.BaseOptions{})
			Expect(err).NotTo(HaveOccurred())
			base.Credentials = credentials.NewStaticCredentialsProvider(vendor.AccessKeyID, secret, "")
			return &verify.Verifier{Sessions: awsauth.New(base, vendor.ServiceRoleARN()), ClientRolePattern: vendor.ClientRolePattern}
		}
		tenantOf := func(name string, c seedworld.Customer) verify.Tenant {
			ts := tenant(name, c)
			ts.UID = "checklist-credentials"
			ts.Spec.S3Actions = []storagev1alpha1.S3Action{"s3:GetObject", "s3:PutObject", "s3:RestoreObject", "s3:ListBucket", "s3:DeleteObject"}
			ts.Spec.ProbePrefix = storagev1alpha1.DefaultProbePrefix
			return verify.TenantFrom(ts)
		}
		const signature = "SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
		identityFailed := verify.Check{Status: metav1.ConditionFalse, Reason: storagev1alpha1.ReasonServiceIdentityFailed,
			Message: "the operator's own AWS identity is not usable: " + signature + ". This is on the vendor's side: check the operator's credentials (IRSA, Pod Identity or environment) and that its service role can be assumed"}
		waiting := verify.Check{Status: metav1.ConditionUnknown, Reason: storagev1alpha1.ReasonWaiting,
			Message: "not checked: the tenant's session could not be obtained (see TrustVerified)"}

		It("a wrong secret key is ServiceIdentityFailed, and nothing reaches the customer", func() {
			aws.ResetCalls()
			report := verifierWithSecret("not-the-vendor-secret-key-0000000000000000").Verify(context.Background(), tenantOf("cl-credentials", clCredentials))
			Expect(report.Trust).To(Equal(identityFailed))
			Expect(report.Permissions).To(Equal(waiting))
			Expect(report.Encryption).To(Equal(waiting))
			Expect(report.KeyAccess).To(Equal(waiting))
			Expect(report.Identity).To(BeEmpty())
			Expect(report.Actions).To(BeEmpty())

			// Refused before authentication, so no principal is recorded;
			// nothing was tried in the customer's account.
			Expect(aws.Calls(localaws.CallFilter{Service: "sts", Operation: "AssumeRole"})).To(ContainElement(And(
				HaveField("AccessKeyID", vendor.AccessKeyID), HaveField("Principal", ""), HaveField("Outcome", "SignatureDoesNotMatch"))))
			Expect(aws.Calls(localaws.CallFilter{Principal: tenantSession(clCredentials, "default", "cl-credentials")})).To(BeEmpty())
		})

		It("in direct mode too (no roleArn), before any S3 or KMS call is blamed on the bucket or key policies", func() {
			report := verifierWithSecret("not-the-vendor-secret-key-0000000000000000").Verify(context.Background(), tenantOf("hooli", hooli))
			Expect(report.Trust).To(Equal(identityFailed))
			Expect(report.Permissions).To(Equal(waiting))
			Expect(report.Encryption).To(Equal(waiting))
			Expect(report.KeyAccess).To(Equal(waiting))
			Expect(report.Actions).To(BeEmpty())
		})
	})

	Describe("No conditional restrictions are blocking access", func() {
		It("a bucket policy Deny with a source IP condition denies every S3 action", func() {
			Expect(aws.SetBucketPolicy(clConditions.BucketName(), fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
				%s,
				{"Sid":"OnlyFromTheOffice","Effect":"Deny","Principal":"*","Action":"s3:*",
				 "Resource":["arn:aws:s3:::%s","arn:aws:s3:::%[2]s/*"],
				 "Condition":{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]}`,
				bucketPolicyStatement(clConditions), clConditions.BucketName()))).To(Succeed())
			ts := start(tenant("cl-conditions", clConditions))
			session := tenantSession(clConditions, "default", "cl-conditions")

			got := waitFor(ts, storagev1alpha1.PermissionsVerifiedCondition, metav1.ConditionFalse, storagev1alpha1.ReasonActionsDenied)
			listDenied := fmt.Sprintf("s3:ListBucket is denied on arn:aws:s3:::%[1]s. It is granted on the bucket ARN itself, not on arn:aws:s3:::%[1]s/* (onboarding guide 004's Option A bucket policy makes this mistake): "+
				"add arn:aws:s3:::%[1]s to the Resource of the client role's permission policy, and make sure no Deny statement of the bucket policy matches it (onboarding guide 000, Steps 2 and 4)", clConditions.BucketName())
			putDenied := s3Denied(clConditions, got, "s3:PutObject")
			// Nothing could be read or deleted either (S3 says AccessDenied,
			// not NoSuchKey, to a caller who may not list).
			results := []storagev1alpha1.ActionResult{
				{Action: "s3:GetObject", Result: storagev1alpha1.ActionDenied, Message: s3Denied(clConditions, got, "s3:GetObject")},
				{Action: "s3:PutObject", Result: storagev1alpha1.ActionDenied, Message: putDenied},
				{Action: "s3:RestoreObject", Result: storagev1alpha1.ActionDenied, Message: s3Denied(clConditions, got, "s3:RestoreObject")},
				{Action: "s3:ListBucket", Result: storagev1alpha1.ActionDenied, Message: listDenied},
				{Action: "s3:DeleteObject", Result: storagev1alpha1.ActionDenied, Message: s3Denied(clConditions, got, "s3:DeleteObject")},
			}
			Expect(got.Status.Actions).To(Equal(append(results, allowed(kmsActions)...)))
			var messages []string
			for _, r := range results {
				messages = append(messages, r.Message)
			}
			Expect(conditions(got)).To(Equal(failedWith(map[string]cond{
				storagev1alpha1.TrustVerifiedCondition:       trustVerified(clConditions, session),
				storagev1alpha1.PermissionsVerifiedCondition: {metav1.ConditionFalse, storagev1alpha1.ReasonActionsDenied, strings.Join(messages, "; ")},
				storagev1alpha1.EncryptionVerifiedCondition: {metav1.ConditionUnknown, storagev1alpha1.ReasonProbeUnavailable,
					"not checked: the probe object could not be written (see PermissionsVerified), and its encryption is what this check reads"},
				storagev1alpha1.KeyAccessVerifiedCondition: keyVerified(clConditions),
			}, storagev1alpha1.PermissionsVerifiedCondition)))
		})

		It("a trust policy that also requires MFA (guide 001's condition) is AssumeRoleDenied", func() {
			Expect(aws.SetRoleTrustPolicy(clTrustCondition.RoleARN(), fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
				"Principal":{"AWS":%q},"Action":"sts:AssumeRole",
				"Condition":{"StringEquals":{"sts:ExternalId":%q},"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`,
				vendor.ServiceRoleARN(), clTrustCondition.ExternalID))).To(Succeed())
			ts := start(tenant("cl-trust-condition", clTrustCondition))
			expectUntrusted(ts, assumeRoleDenied(clTrustCondition.RoleARN(), clTrustCondition.ExternalID))
		})
	})

	It("Role is not in a deleted state: a Ready tenant whose role became unusable is AssumeRoleDenied, with nothing of the old session left", func() {
		ts := start(tenant("cl-deleted", clDeleted))
		waitFor(ts, storagev1alpha1.ReadyCondition, metav1.ConditionTrue, storagev1alpha1.ReasonVerified)

		// Deleted and created again with the console's default trust (its
		// own account), as happens when a role is recreated by hand.
		Expect(aws.SetRoleTrustPolicy(clDeleted.RoleARN(), trustPolicy(fmt.Sprintf("arn:aws:iam::%s:root", clDeleted.AccountID), ""))).To(Succeed())
		waitHandled(ts, reverify(ts))
		expectUntrusted(ts, assumeRoleDenied(clDeleted.RoleARN(), clDeleted.ExternalID))
	})

	It("S3 bucket policy allows the client role: an explicit Deny for the client role denies that action", func() {
		Expect(aws.SetBucketPolicy(clBucketPolicy.BucketName(), fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
			%s,
			{"Sid":"NoDeletes","Effect":"Deny","Principal":{"AWS":%q},"Action":"s3:DeleteObject","Resource":"arn:aws:s3:::%s/*"}]}`,
			bucketPolicyStatement(clBucketPolicy), clBucketPolicy.RoleARN(), clBucketPolicy.BucketName()))).To(Succeed())
		ts := start(tenant("cl-bucket-policy", clBucketPolicy))
		session := tenantSession(clBucketPolicy, "default", "cl-bucket-policy")

		got := waitFor(ts, storagev1alpha1.PermissionsVerifiedCondition, metav1.ConditionFalse, storagev1alpha1.ReasonActionsDenied)
		denied := s3Denied(clBucketPolicy, got, "s3:DeleteObject")
		want := healthy(clBucketPolicy, session)
		delete(want, storagev1alpha1.ReadyCondition)
		want[storagev1alpha1.PermissionsVerifiedCondition] = cond{metav1.ConditionFalse, storagev1alpha1.ReasonActionsDenied, denied}
		Expect(conditions(got)).To(Equal(failedWith(want, storagev1alpha1.PermissionsVerifiedCondition)))
		Expect(got.Status.Actions).To(Equal(withResult(allowed(s3Actions, kmsActions), storagev1alpha1.ActionResult{
			Action: "s3:DeleteObject", Result: storagev1alpha1.ActionDenied, Message: denied})))
	})

	It("KMS key policy allows the client role: a key policy naming neither the account nor the role denies the key, and S3 cannot use it", func() {
		Expect(aws.SetKeyPolicy(clKeyPolicy.KeyARN(), fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"Key administrators","Effect":"Allow",
			"Principal":{"AWS":"arn:aws:iam::%s:role/KeyAdmin"},
			"Action":["kms:Create*","kms:Describe*","kms:Enable*","kms:List*","kms:Put*","kms:Update*","kms:Revoke*","kms:Disable*","kms:Get*","kms:Delete*","kms:ScheduleKeyDeletion","kms:CancelKeyDeletion"],
			"Resource":"*"}]}`, clKeyPolicy.AccountID))).To(Succeed())
		ts := start(tenant("cl-key-policy", clKeyPolicy))
		session := tenantSession(clKeyPolicy, "default", "cl-key-policy")

		got := waitFor(ts, storagev1alpha1.KeyAccessVerifiedCondition, metav1.ConditionFalse, storagev1alpha1.ReasonActionsDenied)
		kmsDenied := func(action string) string {
			return fmt.Sprintf("%[1]s is denied on %[2]s (User: %[3]s is not authorized to perform: %[1]s on resource: %[2]s because no resource-based policy allows the %[1]s action): "+
				"the key policy must allow the client role, as the statement \"Allow access through client role\" of onboarding guide 000 does, or delegate to the account root while the role's policy allows it",
				action, clKeyPolicy.KeyARN(), session)
		}
		putDenied := fmt.Sprintf("s3:PutObject is denied because S3 could not use the key for this identity (User: %[1]s is not authorized to perform: kms:GenerateDataKey on resource: %[2]s because no resource-based policy allows the kms:GenerateDataKey action): "+
			"the key policy and the client role's policy must allow kms:GenerateDataKey* and kms:Decrypt on %[2]s (onboarding guide 000, KMS Key Policy)", session, clKeyPolicy.KeyARN())
		notTried := "not tried: it needs a ciphertext from an action that failed"
		Expect(got.Status.Actions).To(Equal(append(
			withResult(allowed(s3Actions), storagev1alpha1.ActionResult{Action: "s3:PutObject", Result: storagev1alpha1.ActionDenied, Message: putDenied}),
			storagev1alpha1.ActionResult{Action: "kms:DescribeKey", Result: storagev1alpha1.ActionDenied, Message: kmsDenied("kms:DescribeKey")},
			storagev1alpha1.ActionResult{Action: "kms:GenerateDataKey", Result: storagev1alpha1.ActionDenied, Message: kmsDenied("kms:GenerateDataKey")},
			storagev1alpha1.ActionResult{Action: "kms:Decrypt", Result: storagev1alpha1.ActionUnknown, Message: notTried},
			storagev1alpha1.ActionResult{Action: "kms:Encrypt", Result: storagev1alpha1.ActionDenied, Message: kmsDenied("kms:Encrypt")},
			storagev1alpha1.ActionResult{Action: "kms:ReEncrypt", Result: storagev1alpha1.ActionUnknown, Message: notTried},
		)))
		Expect(conditions(got)).To(Equal(failedWith(map[string]cond{
			storagev1alpha1.TrustVerifiedCondition:       trustVerified(clKeyPolicy, session),
			storagev1alpha1.PermissionsVerifiedCondition: {metav1.ConditionFalse, storagev1alpha1.ReasonActionsDenied, putDenied},
			storagev1alpha1.EncryptionVerifiedCondition: {metav1.ConditionUnknown, storagev1alpha1.ReasonProbeUnavailable,
				"not checked: the probe object could not be written (see PermissionsVerified), and its encryption is what this check reads"},
			storagev1alpha1.KeyAccessVerifiedCondition: {metav1.ConditionFalse, storagev1alpha1.ReasonActionsDenied,
				strings.Join([]string{kmsDenied("kms:DescribeKey"), kmsDenied("kms:GenerateDataKey"), kmsDenied("kms:Encrypt")}, "; ")},
		}, storagev1alpha1.PermissionsVerifiedCondition)))
		Expect(outcomes(session, "kms", "GenerateDataKey")).To(Equal(map[string]int{"AccessDeniedException": 1}))
	})

	It("CloudTrail logs show assume role attempts and outcomes: every call names the tenant's session", func() {
		aws.ResetCalls()
		ts := start(tenant("cl-cloudtrail", clCloudTrail))
		waitFor(ts, storagev1alpha1.ReadyCondition, metav1.ConditionTrue, storagev1alpha1.ReasonVerified)
		session := tenantSession(clCloudTrail, "default", "cl-cloudtrail")
		Expect(session).To(HaveSuffix("/ts-default.cl-cloudtrail"))

		// Every call on the customer's bucket and key, S3's own calls to
		// KMS included, was made as the tenant's session.
		var touched int
		for _, c := range aws.Calls(localaws.CallFilter{}) {
			if c.Bucket == clCloudTrail.BucketName() || c.KMSKey == clCloudTrail.KeyARN() {
				touched++
				Expect(c.Principal).To(Equal(session), "%s:%s", c.Service, c.Operation)
			}
		}
		Expect(touched).To(BeNumerically(">=", 12))
		// The attempts to assume the role: with the ExternalId (allowed),
		// without it and with a wrong one (refused). localaws's records do
		// not name the role an AssumeRole targeted, so attempts for other
		// tenants verified meanwhile may add to these counts.
		attempts := outcomes(serviceSession(), "sts", "AssumeRole")
		Expect(attempts).To(HaveKeyWithValue("OK", BeNumerically(">=", 1)))
		Expect(attempts).To(HaveKeyWithValue("AccessDenied", BeNumerically(">=", 2)))
	})
})

// bucketPolicyStatement is guide 000's bucket policy statement for c.
func bucketPolicyStatement(c seedworld.Customer) string {
	doc := seeds.MustFill(seeds.BucketPolicy, c.Values(vendor))
	from, to := strings.Index(doc, "["), strings.LastIndex(doc, "]")
	return strings.TrimSpace(doc[from+1 : to])
}
