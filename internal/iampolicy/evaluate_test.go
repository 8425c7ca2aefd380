package iampolicy

import (
	"strings"
	"testing"
)

// Documentation the expected outcomes come from.
const (
	docEval       = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"
	docCross      = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html"
	docPolicies   = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html"
	docPrincipal  = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"
	docNotPrinc   = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html"
	docAction     = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html"
	docNotAction  = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html"
	docResource   = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html"
	docNotRes     = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html"
	docOperators  = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"
	docMultiKeys  = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html"
	docCondLogic  = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html"
	docVariables  = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html"
	docExternalID = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html"
	docKMSDefault = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html"
	docKMSAccess  = "https://docs.aws.amazon.com/kms/latest/developerguide/control-access.html"
	docKMSCross   = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html"
	docS3Actions  = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html"
)

const (
	custAcct  = "111122223333" // customer account: bucket, key, client role
	asAcct    = "444455556666" // AlphaSense account: document-storage-role
	otherAcct = "777788889999"
	bucket    = "arn:aws:s3:::docs-bucket"
	object    = "arn:aws:s3:::docs-bucket/tenant/a.pdf"
	keyARN    = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	clientRol = "arn:aws:iam::111122223333:role/AlphaSense-DocumentStorage-ClientRole-acme"
)

// The customer onboarding guide's policies, verbatim with account IDs filled in.
const (
	onboardingTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/document-storage-role"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"customer-specific-external-id-2024"}}}]}`
	serviceRolePol  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::*:role/AlphaSense-DocumentStorage-ClientRole-*"}]}`
)

var (
	alice     = Caller{ARN: "arn:aws:iam::111122223333:user/alice", Account: custAcct}
	bob       = Caller{ARN: "arn:aws:iam::111122223333:user/bob", Account: custAcct}
	custRoot  = Caller{ARN: "arn:aws:iam::111122223333:root", Account: custAcct}
	appSess   = Caller{ARN: "arn:aws:sts::111122223333:assumed-role/app-role/s1", Account: custAcct, RoleARN: "arn:aws:iam::111122223333:role/app-role"}
	pathSess  = Caller{ARN: "arn:aws:sts::111122223333:assumed-role/app-role/s1", Account: custAcct, RoleARN: "arn:aws:iam::111122223333:role/team/app-role"}
	asSess    = Caller{ARN: "arn:aws:sts::444455556666:assumed-role/document-storage-role/operator", Account: asAcct, RoleARN: "arn:aws:iam::444455556666:role/document-storage-role"}
	asOther   = Caller{ARN: "arn:aws:sts::444455556666:assumed-role/other-role/operator", Account: asAcct, RoleARN: "arn:aws:iam::444455556666:role/other-role"}
	otherUser = Caller{ARN: "arn:aws:iam::777788889999:user/mallory", Account: otherAcct}
	s3Service = Caller{Service: "logging.s3.amazonaws.com"}
)

// allowS3 lets the holder do everything in S3.
const allowS3 = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`

func docs(ss ...string) []*Document {
	out := make([]*Document, len(ss))
	for i, s := range ss {
		out[i] = MustParse(s)
	}
	return out
}

func ctx(kv ...string) Context {
	c := Context{}
	for i := 0; i+1 < len(kv); i += 2 {
		c.Set(kv[i], strings.Split(kv[i+1], ",")...)
	}
	return c
}

// bucketPolicy wraps statements in a bucket policy document.
func bucketPolicy(stmts string) *Document {
	return MustParse(`{"Version":"2012-10-17","Statement":[` + stmts + `]}`)
}

// condPolicy is an identity policy allowing s3:GetObject under one Condition block.
func condPolicy(cond string) []*Document {
	return docs(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::docs-bucket/*","Condition":` + cond + `}}`)
}

type evalCase struct {
	name         string
	source       string
	req          Request
	in           Inputs
	allowed      bool
	explicitDeny bool
	reason       string // checked when set
}

func get(c Caller, kv ...string) Request {
	return Request{Caller: c, Action: "s3:GetObject", Resource: object, Context: ctx(kv...)}
}

// condCase checks one condition block against alice's GetObject request.
func condCase(name, source, cond string, allowed bool, kv ...string) evalCase {
	return evalCase{name: name, source: source, req: get(alice, kv...), in: Inputs{Identity: condPolicy(cond)}, allowed: allowed}
}

func assumeClient(c Caller, kv ...string) Request {
	return Request{Caller: c, Action: "sts:AssumeRole", Resource: clientRol, Context: ctx(kv...)}
}

func decrypt(c Caller) Request {
	return Request{Caller: c, Action: "kms:Decrypt", Resource: keyARN, Context: ctx("kms:ViaService", "s3.us-east-1.amazonaws.com")}
}

const (
	defaultKeyPolicy = `{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`
	noRootKeyPolicy  = `{"Version":"2012-10-17","Statement":[{"Sid":"KeyAdmins","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/key-admin"},"Action":"kms:*","Resource":"*"}]}`
	kmsUsePolicy     = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"arn:aws:kms:us-east-1:111122223333:key/*"}}`
)

func evalCases() []evalCase {
	return []evalCase{
		// --- explicit deny wins, in every policy type ---
		{
			name:   "identity Deny beats identity Allow",
			source: docEval + " #policy-eval-denyallow (Deny evaluation: one explicit deny that applies gives a final Deny)",
			req:    Request{Caller: alice, Action: "s3:DeleteObject", Resource: object},
			in: Inputs{Identity: docs(allowS3,
				`{"Version":"2012-10-17","Statement":{"Sid":"NoDelete","Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}}`)},
			explicitDeny: true,
			reason:       `explicitly denied by identity-based policy statement "NoDelete"`,
		},
		{
			name:         "session policy Deny beats identity Allow",
			source:       docEval + " #policy-eval-denyallow (explicit deny in any policy, session policies included)",
			req:          get(appSess),
			in:           Inputs{Identity: docs(allowS3), Session: docs(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}`)},
			explicitDeny: true,
			reason:       "explicitly denied by session policy statement #2",
		},
		{
			name:   "bucket policy Deny beats identity Allow",
			source: docEval + " #policy-eval-basics-id-rdp (an explicit deny in either policy overrides the allow)",
			req:    get(alice),
			in: Inputs{Identity: docs(allowS3), Resource: bucketPolicy(`{"Sid":"DenyOthers","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::docs-bucket/*",
				"Condition":{"StringNotEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/app-role"}}}`), ResourceAccount: custAcct},
			explicitDeny: true,
			reason:       `explicitly denied by resource-based policy statement "DenyOthers"`,
		},
		{
			name:   "bucket policy Deny does not hit the excepted role",
			source: docEval + " #policy-eval-denyallow (a Deny applies only when the statement matches the request)",
			req:    get(appSess),
			in: Inputs{Identity: docs(allowS3), Resource: bucketPolicy(`{"Sid":"DenyOthers","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::docs-bucket/*",
				"Condition":{"StringNotEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/app-role"}}}`), ResourceAccount: custAcct},
			allowed: true,
		},
		{
			name:   "key policy Deny beats key policy Allow",
			source: docKMSAccess + " (no principal has permission unless explicitly allowed and never denied)",
			req:    decrypt(appSess),
			in: Inputs{Identity: docs(kmsUsePolicy), KeyPolicy: true, ResourceAccount: custAcct, Resource: MustParse(`{"Version":"2012-10-17","Statement":[
				{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
				{"Sid":"NoDecrypt","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:role/app-role"},"Action":"kms:Decrypt","Resource":"*"}]}`)},
			explicitDeny: true,
			reason:       `explicitly denied by key policy statement "NoDecrypt"`,
		},
		{
			name:   "trust policy Deny beats trust policy Allow",
			source: docEval + " #policy-eval-denyallow (explicit deny in a resource-based policy)",
			req:    assumeClient(asSess, "sts:ExternalId", "customer-specific-external-id-2024"),
			in: Inputs{Identity: docs(serviceRolePol), ResourceAccount: custAcct, Resource: MustParse(`{"Version":"2012-10-17","Statement":[
				{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/document-storage-role"},"Action":"sts:AssumeRole"},
				{"Effect":"Deny","Principal":{"AWS":"444455556666"},"Action":"sts:AssumeRole"}]}`)},
			explicitDeny: true,
			reason:       "explicitly denied by trust policy statement #2",
		},
		{
			name:         "Deny naming an account applies to every principal in it",
			source:       docPrincipal + " #principal-accounts (an account principal covers the identities in that account)",
			req:          get(otherUser),
			in:           Inputs{Identity: docs(allowS3), ResourceAccount: custAcct, Resource: bucketPolicy(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::docs-bucket/*"},{"Effect":"Deny","Principal":{"AWS":"777788889999"},"Action":"s3:*","Resource":"*"}`)},
			explicitDeny: true,
		},

		// --- same account ---
		{
			name:    "same account: identity policy alone allows",
			source:  docEval + " #policy-eval-basics-id-rdp (allowed by an identity-based policy, a resource-based policy, or both)",
			req:     get(alice),
			in:      Inputs{Identity: docs(allowS3)},
			allowed: true,
			reason:  "allowed by identity-based policy",
		},
		{
			name:   "same account: nothing allows",
			source: docEval + " #policy-eval-denyallow (by default, all requests are implicitly denied)",
			req:    get(alice),
			in:     Inputs{Identity: docs(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}}`)},
			reason: "no identity-based policy allows the action",
		},
		{
			name:    "same account: bucket policy naming the user allows without identity policy",
			source:  docEval + " #policy-eval-denyallow (IAM user: resource-based grants are not limited by an implicit deny in identity-based policies)",
			req:     get(alice),
			in:      Inputs{ResourceAccount: custAcct, Resource: bucketPolicy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::docs-bucket/*"}`)},
			allowed: true,
			reason:  "allowed by resource-based policy",
		},
		{
			name:    "same account: bucket policy naming the role allows its session",
			source:  docEval + " #policy-eval-denyallow (IAM role: resource-based grants to the role ARN, limited only by boundaries/session policies)",
			req:     get(appSess),
			in:      Inputs{ResourceAccount: custAcct, Resource: bucketPolicy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app-role"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::docs-bucket/*"}`)},
			allowed: true,
		},
		{
			name:   "same account: bucket policy naming the account root only delegates",
			source: docPrincipal + " #principal-accounts (the account principal delegates; identities still need identity-based permissions)",
			req:    get(alice),
			in:     Inputs{ResourceAccount: custAcct, Resource: bucketPolicy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::docs-bucket/*"}`)},
			reason: "no identity-based policy allows the action",
		},
		{
			name:    "same account: bucket policy naming the account ID plus identity policy",
			source:  docPrincipal + " #principal-accounts (account ID and arn:aws:iam::ID:root are equivalent)",
			req:     get(alice),
			in:      Inputs{Identity: docs(allowS3), ResourceAccount: custAcct, Resource: bucketPolicy(`{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::docs-bucket/*"}`)},
			allowed: true,
		},
		{
			name:    `same account: Principal "*" grants directly`,
			source:  docPrincipal + ` #principal-anonymous ("Principal": "*" means all users)`,
			req:     get(bob),
			in:      Inputs{ResourceAccount: custAcct, Resource: bucketPolicy(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::docs-bucket/*"}`)},
			allowed: true,
		},
		{
			name:    `same account: {"AWS":"*"} grants like "*"`,
			source:  docPrincipal + ` #principal-anonymous ({"AWS": "*"} is equivalent to "*")`,
			req:     get(bob),
			in:      Inputs{ResourceAccount: custAcct, Resource: bucketPolicy(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::docs-bucket/*"}`)},
			allowed: true,
		},
		{
			name:    "same account: root user needs no policy",
			source:  docEval + " #policy-eval-denyallow (all requests are implicitly denied with the exception of the root user)",
			req:     get(custRoot),
			in:      Inputs{},
			allowed: true,
		},

		// --- cross account ---
		{
			name:   "cross account: identity policy without bucket policy",
			source: docCross + " (both the identity-based policy and the resource-based policy must allow)",
			req:    get(otherUser),
			in:     Inputs{Identity: docs(allowS3), ResourceAccount: custAcct},
			reason: "cross-account request: the resource-based policy does not allow the caller",
		},
		{
			name:   "cross account: bucket policy naming the caller without identity policy",
			source: docCross + " (the requester's account must also grant the principal permission)",
			req:    get(otherUser),
			in:     Inputs{ResourceAccount: custAcct, Resource: bucketPolicy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::777788889999:user/mallory"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::docs-bucket/*"}`)},
			reason: "cross-account request: no identity-based policy allows the action",
		},
		{
			name:    "cross account: both policies allow",
			source:  docCross + " (access is allowed when both policies allow)",
			req:     get(otherUser),
			in:      Inputs{Identity: docs(allowS3), ResourceAccount: custAcct, Resource: bucketPolicy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::777788889999:user/mallory"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::docs-bucket/*"}`)},
			allowed: true,
		},
		{
			name:    "cross account: bucket policy delegating to the caller's account root",
			source:  docPrincipal + " #principal-accounts (the account administrator then grants access with identity policies)",
			req:     get(otherUser),
			in:      Inputs{Identity: docs(allowS3), ResourceAccount: custAcct, Resource: bucketPolicy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::777788889999:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::docs-bucket/*"}`)},
			allowed: true,
		},
		{
			name:   "cross account: bucket policy naming another account",
			source: docCross + " (the resource-based policy must allow the requesting principal)",
			req:    get(otherUser),
			in:     Inputs{Identity: docs(allowS3), ResourceAccount: custAcct, Resource: bucketPolicy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::docs-bucket/*"}`)},
			reason: "cross-account request: the resource-based policy does not allow the caller",
		},
		{
			name:   `cross account: "*" still needs the caller's identity policy`,
			source: docCross + ` (identity-based permission is required in the requester's account)`,
			req:    get(otherUser),
			in:     Inputs{ResourceAccount: custAcct, Resource: bucketPolicy(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::docs-bucket/*"}`)},
		},

		// --- role ARN vs session ARN, session policies ---
		{
			name:   "session policy limits a grant to the role ARN",
			source: docEval + " #policy-eval-denyallow (resource-based policies that grant to an IAM role ARN are limited by an implicit deny in a session policy)",
			req:    get(appSess),
			in: Inputs{Session: docs(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}}`),
				ResourceAccount: custAcct, Resource: bucketPolicy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app-role"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::docs-bucket/*"}`)},
		},
		{
			name:   "session policy does not limit a grant to the session ARN",
			source: docEval + " #policy-eval-denyallow (IAM role session: permissions granted directly to a session are not limited by a session policy)",
			req:    get(appSess),
			in: Inputs{Session: docs(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}}`),
				ResourceAccount: custAcct, Resource: bucketPolicy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/app-role/s1"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::docs-bucket/*"}`)},
			allowed: true,
		},
		{
			name:   "session policy narrows the role's identity policy",
			source: docPolicies + " #policies_session (the session's permissions are the intersection of identity-based and session policies)",
			req:    Request{Caller: appSess, Action: "s3:PutObject", Resource: object},
			in:     Inputs{Identity: docs(allowS3), Session: docs(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`)},
			reason: "no session policy allows the action",
		},
		{
			name:    "session policy and identity policy both allow",
			source:  docPolicies + " #policies_session (intersection of identity-based and session policies)",
			req:     get(appSess),
			in:      Inputs{Identity: docs(allowS3), Session: docs(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`)},
			allowed: true,
		},
		{
			name:    "session policy alone grants nothing",
			source:  docPolicies + " #policies_session (session policies cannot grant more than the identity-based policy)",
			req:     get(appSess),
			in:      Inputs{Session: docs(allowS3)},
			allowed: false,
		},
		{
			name:   "role ARN principal must match the role's path",
			source: docPrincipal + " #principal-roles (a role principal is the role's exact ARN)",
			req:    get(pathSess),
			in:     Inputs{ResourceAccount: custAcct, Resource: bucketPolicy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app-role"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::docs-bucket/*"}`)},
		},
		{
			name:   "principal ARNs take no wildcards",
			source: docPrincipal + " #principal-anonymous (you cannot use a wildcard to match part of a principal name or ARN)",
			req:    get(appSess),
			in: Inputs{ResourceAccount: custAcct, Resource: &Document{Version: version2012, Statement: []Statement{{
				Effect: Allow, Principal: &Principals{AWS: []string{"arn:aws:iam::111122223333:role/*"}},
				Action: []string{"s3:GetObject"}, Resource: []string{"arn:aws:s3:::docs-bucket/*"}}}}},
		},

		// --- NotPrincipal ---
		{
			name:   "NotPrincipal Deny exempts a session listed with its role and account",
			source: docNotPrinc + " #specifying-notprincipal (list the assumed-role session, the role and the account)",
			req:    get(appSess),
			in: Inputs{Identity: docs(allowS3), ResourceAccount: custAcct, Resource: bucketPolicy(`{"Effect":"Deny","NotPrincipal":{"AWS":[
				"arn:aws:sts::111122223333:assumed-role/app-role/s1","arn:aws:iam::111122223333:role/app-role","arn:aws:iam::111122223333:root"]},"Action":"s3:*","Resource":"*"}`)},
			allowed: true,
		},
		{
			name:   "NotPrincipal Deny listing only the session still denies it",
			source: docNotPrinc + " #specifying-notprincipal (without the role and account ARNs the policy might deny the role and account)",
			req:    get(appSess),
			in: Inputs{Identity: docs(allowS3), ResourceAccount: custAcct, Resource: bucketPolicy(`{"Effect":"Deny","NotPrincipal":{"AWS":
				"arn:aws:sts::111122223333:assumed-role/app-role/s1"},"Action":"s3:*","Resource":"*"}`)},
			explicitDeny: true,
		},
		{
			name:   "NotPrincipal Deny listing the session and account but not the role still denies",
			source: docNotPrinc + " #specifying-notprincipal (if the NotPrincipal element was missing the ARN of the role, the policy might deny access to the role)",
			req:    get(appSess),
			in: Inputs{Identity: docs(allowS3), ResourceAccount: custAcct, Resource: bucketPolicy(`{"Effect":"Deny","NotPrincipal":{"AWS":[
				"arn:aws:sts::111122223333:assumed-role/app-role/s1","arn:aws:iam::111122223333:root"]},"Action":"s3:*","Resource":"*"}`)},
			explicitDeny: true,
		},
		{
			name:         "NotPrincipal Deny applies to principals not listed",
			source:       docNotPrinc + " #specifying-notprincipal (denied to all principals except the ones specified)",
			req:          get(bob),
			in:           Inputs{Identity: docs(allowS3), ResourceAccount: custAcct, Resource: bucketPolicy(`{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:user/alice","arn:aws:iam::111122223333:root"]},"Action":"s3:*","Resource":"*"}`)},
			explicitDeny: true,
		},
		{
			name:    "NotPrincipal Allow grants everyone else",
			source:  docNotPrinc + " #specifying-notprincipal-allow (allows all principals except the one named)",
			req:     get(bob),
			in:      Inputs{ResourceAccount: custAcct, Resource: bucketPolicy(`{"Effect":"Allow","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:user/alice","arn:aws:iam::111122223333:root"]},"Action":"s3:GetObject","Resource":"*"}`)},
			allowed: true,
		},

		// --- trust policies ---
		{
			name:    "onboarding trust: right external ID",
			source:  docExternalID + " (the trust policy's sts:ExternalId condition must match) and " + docCross,
			req:     assumeClient(asSess, "sts:ExternalId", "customer-specific-external-id-2024"),
			in:      Inputs{Identity: docs(serviceRolePol), Resource: MustParse(onboardingTrust), ResourceAccount: custAcct},
			allowed: true,
			reason:  "cross-account request allowed by identity-based policy and trust policy",
		},
		{
			name:   "onboarding trust: wrong external ID",
			source: docExternalID + " (AssumeRole fails unless the ExternalId matches)",
			req:    assumeClient(asSess, "sts:ExternalId", "someone-elses-id"),
			in:     Inputs{Identity: docs(serviceRolePol), Resource: MustParse(onboardingTrust), ResourceAccount: custAcct},
			reason: "cross-account request: the trust policy does not allow the caller",
		},
		{
			name:   "onboarding trust: missing external ID",
			source: docOperators + " (a key absent from the request context makes StringEquals false)",
			req:    assumeClient(asSess),
			in:     Inputs{Identity: docs(serviceRolePol), Resource: MustParse(onboardingTrust), ResourceAccount: custAcct},
		},
		{
			name:   "onboarding trust: a different role of the trusted account",
			source: docPrincipal + " #principal-roles (only sessions of the named role match)",
			req:    assumeClient(asOther, "sts:ExternalId", "customer-specific-external-id-2024"),
			in:     Inputs{Identity: docs(serviceRolePol), Resource: MustParse(onboardingTrust), ResourceAccount: custAcct},
		},
		{
			name:   "service role policy: ClientRole without suffix is not matched by ClientRole-*",
			source: docResource + " (wildcards match within the ARN; \"-*\" requires the hyphen) and " + docCross,
			req: Request{Caller: asSess, Action: "sts:AssumeRole", Resource: "arn:aws:iam::111122223333:role/AlphaSense-DocumentStorage-ClientRole",
				Context: ctx("sts:ExternalId", "customer-specific-external-id-2024")},
			in:     Inputs{Identity: docs(serviceRolePol), Resource: MustParse(onboardingTrust), ResourceAccount: custAcct},
			reason: "cross-account request: no identity-based policy allows the action",
		},
		{
			name:   "trust naming the account root, caller without identity policy",
			source: docEval + " #policy-eval-denyallow (trust policies must allow principals; the account principal delegates to identity policies)",
			req:    Request{Caller: alice, Action: "sts:AssumeRole", Resource: "arn:aws:iam::111122223333:role/ops"},
			in:     Inputs{ResourceAccount: custAcct, Resource: MustParse(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}}`)},
			reason: "the trust policy delegates to the account but no identity-based policy allows the action",
		},
		{
			name:   "trust naming the account root, caller with identity policy",
			source: docEval + " #policy-eval-denyallow (account principal in a trust policy plus identity-based permission)",
			req:    Request{Caller: alice, Action: "sts:AssumeRole", Resource: "arn:aws:iam::111122223333:role/ops"},
			in: Inputs{Identity: docs(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::111122223333:role/ops"}}`),
				ResourceAccount: custAcct, Resource: MustParse(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}}`)},
			allowed: true,
		},
		{
			name:   "same account: identity policy alone cannot assume a role whose trust omits the caller",
			source: docEval + " #policy-eval-denyallow (IAM role trust policies are an exception: they must explicitly allow access)",
			req:    Request{Caller: alice, Action: "sts:AssumeRole", Resource: "arn:aws:iam::111122223333:role/ops"},
			in: Inputs{Identity: docs(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}}`),
				ResourceAccount: custAcct, Resource: MustParse(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`)},
			reason: "the trust policy does not allow the caller",
		},
		{
			name:    "same account: trust naming the user grants without identity policy",
			source:  docEval + " #policy-eval-denyallow (resource-based grants to an IAM user ARN are not limited by identity-based policies)",
			req:     Request{Caller: alice, Action: "sts:AssumeRole", Resource: "arn:aws:iam::111122223333:role/ops"},
			in:      Inputs{ResourceAccount: custAcct, Resource: MustParse(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"sts:AssumeRole"}}`)},
			allowed: true,
		},
		{
			name:    "same account: trust naming the caller's role grants its sessions",
			source:  docPrincipal + " #principal-roles (a role ARN principal matches sessions of that role)",
			req:     Request{Caller: appSess, Action: "sts:AssumeRole", Resource: "arn:aws:iam::111122223333:role/ops"},
			in:      Inputs{ResourceAccount: custAcct, Resource: MustParse(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app-role"},"Action":"sts:AssumeRole"}}`)},
			allowed: true,
		},
		{
			name:   "cross account: trust naming the caller's account root, identity policy allows",
			source: docCross + " (trust policy delegating to the account plus the caller's identity policy)",
			req:    assumeClient(asSess),
			in: Inputs{Identity: docs(serviceRolePol), ResourceAccount: custAcct,
				Resource: MustParse(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"sts:AssumeRole"}}`)},
			allowed: true,
		},

		// --- KMS key policies ---
		{
			name:    "default key policy delegates to identity policies",
			source:  docKMSDefault + " #key-policy-default-allow-root-enable-iam (the root statement enables IAM policies)",
			req:     decrypt(appSess),
			in:      Inputs{Identity: docs(kmsUsePolicy), Resource: MustParse(defaultKeyPolicy), ResourceAccount: custAcct, KeyPolicy: true},
			allowed: true,
			reason:  "allowed by identity-based policy under key policy delegation to the account",
		},
		{
			name:   "key policy without the root statement: identity policy is not enough",
			source: docKMSAccess + " (to use an IAM policy to allow access to a KMS key, the key policy must explicitly allow it)",
			req:    decrypt(appSess),
			in:     Inputs{Identity: docs(kmsUsePolicy), Resource: MustParse(noRootKeyPolicy), ResourceAccount: custAcct, KeyPolicy: true},
			reason: "the key policy does not allow the caller",
		},
		{
			name:   "default key policy without identity policy",
			source: docKMSDefault + " #key-policy-default-allow-root-enable-iam (the root statement does not itself grant principals access)",
			req:    decrypt(appSess),
			in:     Inputs{Resource: MustParse(defaultKeyPolicy), ResourceAccount: custAcct, KeyPolicy: true},
		},
		{
			name:    "key policy naming the role grants without identity policy",
			source:  docEval + " #policy-eval-denyallow (a KMS key policy that explicitly allows the principal)",
			req:     decrypt(appSess),
			in:      Inputs{Resource: MustParse(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app-role"},"Action":"kms:Decrypt","Resource":"*"}}`), ResourceAccount: custAcct, KeyPolicy: true},
			allowed: true,
		},
		{
			name:    "cross-account key: key policy names the caller's account and identity policy allows",
			source:  docKMSCross + " (the key policy allows the external account and its IAM policies delegate)",
			req:     decrypt(otherUser),
			in:      Inputs{Identity: docs(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}}`), Resource: MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::777788889999:root"},"Action":"kms:Decrypt","Resource":"*"}]}`), ResourceAccount: custAcct, KeyPolicy: true},
			allowed: true,
		},
		{
			name:   "cross-account key: key policy allows the account but identity policy does not",
			source: docKMSCross + " (cross-account use needs both the key policy and an IAM policy)",
			req:    decrypt(otherUser),
			in:     Inputs{Resource: MustParse(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::777788889999:root"},"Action":"kms:Decrypt","Resource":"*"}}`), ResourceAccount: custAcct, KeyPolicy: true},
			reason: "cross-account request: no identity-based policy allows the action",
		},
		{
			name:   "cross-account key: default key policy only trusts the key's own account",
			source: docKMSCross + " (the key policy must name the external account)",
			req:    decrypt(otherUser),
			in:     Inputs{Identity: docs(kmsUsePolicy), Resource: MustParse(defaultKeyPolicy), ResourceAccount: custAcct, KeyPolicy: true},
			reason: "cross-account request: the key policy does not allow the caller",
		},

		// --- service principals ---
		{
			name:    "bucket policy naming a service principal",
			source:  docPrincipal + " #principal-services (a service principal is granted by resource-based policies)",
			req:     Request{Caller: s3Service, Action: "s3:PutObject", Resource: object},
			in:      Inputs{ResourceAccount: custAcct, Resource: bucketPolicy(`{"Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::docs-bucket/*"}`)},
			allowed: true,
		},
		{
			name:   "bucket policy naming another service principal",
			source: docPrincipal + " #principal-services",
			req:    Request{Caller: s3Service, Action: "s3:PutObject", Resource: object},
			in:     Inputs{ResourceAccount: custAcct, Resource: bucketPolicy(`{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::docs-bucket/*"}`)},
		},

		// --- Action / NotAction ---
		{
			name:    "action names are case-insensitive",
			source:  docAction + " (action names are case insensitive)",
			req:     get(alice),
			in:      Inputs{Identity: docs(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"S3:getobject","Resource":"*"}}`)},
			allowed: true,
		},
		{
			name:    "action * wildcard",
			source:  docAction + " (you can use wildcards (*) to specify multiple actions)",
			req:     get(alice),
			in:      Inputs{Identity: docs(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}}`)},
			allowed: true,
		},
		{
			name:   "action * wildcard does not reach other verbs",
			source: docAction,
			req:    Request{Caller: alice, Action: "s3:PutObject", Resource: object},
			in:     Inputs{Identity: docs(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}}`)},
		},
		{
			name:    "action ? wildcard",
			source:  docAction + " (single-character ? wildcard)",
			req:     get(alice),
			in:      Inputs{Identity: docs(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:?etObject","Resource":"*"}}`)},
			allowed: true,
		},
		{
			name:    "NotAction allows everything but the listed actions",
			source:  docNotAction + " (NotAction with Allow matches everything except the listed actions)",
			req:     get(alice),
			in:      Inputs{Identity: docs(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`)},
			allowed: true,
		},
		{
			name:   "NotAction does not allow the listed actions",
			source: docNotAction,
			req:    Request{Caller: alice, Action: "iam:CreateUser", Resource: "arn:aws:iam::111122223333:user/x"},
			in:     Inputs{Identity: docs(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`)},
		},

		// --- Resource / NotResource ---
		{
			name:   "resource ARNs are case-sensitive",
			source: docResource + " (resource ARNs are case sensitive)",
			req:    get(alice),
			in:     Inputs{Identity: docs(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::Docs-Bucket/*"}}`)},
		},
		{
			name:    "resource * spans slashes",
			source:  docResource + " (wildcards in the resource path)",
			req:     Request{Caller: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::docs-bucket/a/b/c.txt"},
			in:      Inputs{Identity: docs(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::docs-bucket/*"}}`)},
			allowed: true,
		},
		{
			name:    "resource ? wildcard",
			source:  docResource + " (? matches a single character)",
			req:     Request{Caller: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::docs-bucket/r1.txt"},
			in:      Inputs{Identity: docs(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::docs-bucket/r?.txt"}}`)},
			allowed: true,
		},
		{
			name:   "s3:ListBucket granted on bucket/* does not list the bucket",
			source: docS3Actions + " (ListBucket applies to the bucket ARN; object actions to arn:aws:s3:::bucket/*)",
			req:    Request{Caller: alice, Action: "s3:ListBucket", Resource: bucket},
			in:     Inputs{Identity: docs(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:ListBucket","s3:GetObject"],"Resource":"arn:aws:s3:::docs-bucket/*"}}`)},
		},
		{
			name:    "s3:ListBucket granted on the bucket ARN",
			source:  docS3Actions,
			req:     Request{Caller: alice, Action: "s3:ListBucket", Resource: bucket},
			in:      Inputs{Identity: docs(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::docs-bucket"}}`)},
			allowed: true,
		},
		{
			name:   "NotResource Deny hits resources outside the list",
			source: docNotRes + " (Deny with NotResource denies everything except the listed resources)",
			req:    Request{Caller: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::other-bucket/x"},
			in: Inputs{Identity: docs(allowS3,
				`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::docs-bucket","arn:aws:s3:::docs-bucket/*"]}}`)},
			explicitDeny: true,
		},
		{
			name:   "NotResource Deny spares the listed resources",
			source: docNotRes,
			req:    get(alice),
			in: Inputs{Identity: docs(allowS3,
				`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::docs-bucket","arn:aws:s3:::docs-bucket/*"]}}`)},
			allowed: true,
		},
		{
			name:    "resource ${aws:username} variable",
			source:  docVariables + " #policy-vars-resourceelement",
			req:     Request{Caller: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::docs-bucket/home/alice/x"},
			in:      Inputs{Identity: docs(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::docs-bucket/home/${aws:username}/*"}}`)},
			allowed: true,
		},
		{
			name:   "resource ${aws:username} variable: another user's home",
			source: docVariables + " #policy-vars-resourceelement",
			req:    Request{Caller: bob, Action: "s3:GetObject", Resource: "arn:aws:s3:::docs-bucket/home/alice/x"},
			in:     Inputs{Identity: docs(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::docs-bucket/home/${aws:username}/*"}}`)},
		},
		{
			name:   "resource variable without a value: role sessions have no aws:username",
			source: docVariables + " #principaltable (not present: any attempt to match it fails)",
			req:    Request{Caller: appSess, Action: "s3:GetObject", Resource: "arn:aws:s3:::docs-bucket/home/s1/x"},
			in:     Inputs{Identity: docs(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::docs-bucket/home/${aws:username}/*"}}`)},
		},
		{
			name:   "policy variables are literal under Version 2008-10-17",
			source: docVariables + " #policy-vars-intro (earlier versions treat ${aws:username} as a literal string)",
			req:    Request{Caller: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::docs-bucket/home/alice/x"},
			in:     Inputs{Identity: docs(`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::docs-bucket/home/${aws:username}/*"}}`)},
		},
		{
			name:    "${*} escapes a literal asterisk",
			source:  docVariables + " #policy-vars-specialchars",
			req:     Request{Caller: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::docs-bucket/star*"},
			in:      Inputs{Identity: docs(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::docs-bucket/star${*}"}}`)},
			allowed: true,
		},
		{
			name:   "${*} does not act as a wildcard",
			source: docVariables + " #policy-vars-specialchars",
			req:    Request{Caller: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::docs-bucket/starlight"},
			in:     Inputs{Identity: docs(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::docs-bucket/star${*}"}}`)},
		},

		// --- condition operators ---
		condCase("StringEquals matches", docOperators+" #Conditions_String", `{"StringEquals":{"aws:PrincipalTag/team":"docs"}}`, true, "aws:PrincipalTag/team", "docs"),
		condCase("StringEquals is case-sensitive", docOperators+" #Conditions_String (exact matching, case sensitive)", `{"StringEquals":{"aws:PrincipalTag/team":"docs"}}`, false, "aws:PrincipalTag/team", "Docs"),
		condCase("StringEquals with the key missing", docOperators+" (key not present: the condition is false)", `{"StringEquals":{"aws:PrincipalTag/team":"docs"}}`, false),
		condCase("StringNotEquals with the key missing is true", docOperators+" (negated operators with the key absent: the condition is true)", `{"StringNotEquals":{"aws:PrincipalTag/team":"ops"}}`, true),
		condCase("StringNotEquals with a listed value", docOperators+" #Conditions_String (negated matching)", `{"StringNotEquals":{"aws:PrincipalTag/team":["ops","sec"]}}`, false, "aws:PrincipalTag/team", "sec"),
		condCase("StringEqualsIgnoreCase", docOperators+" #Conditions_String (exact matching, ignoring case)", `{"StringEqualsIgnoreCase":{"aws:PrincipalTag/team":"DOCS"}}`, true, "aws:PrincipalTag/team", "docs"),
		condCase("StringNotEqualsIgnoreCase", docOperators+" #Conditions_String (negated matching, ignoring case)", `{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/team":"DOCS"}}`, false, "aws:PrincipalTag/team", "docs"),
		condCase("StringLike with wildcards", docOperators+" #Conditions_String (StringLike wildcards)", `{"StringLike":{"s3:prefix":["home/*","sh?red/"]}}`, true, "s3:prefix", "shared/"),
		condCase("StringLike with ${aws:username}", docOperators+" #Conditions_String (policy variable in StringLike)", `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`, true, "s3:prefix", "home/alice/x"),
		condCase("StringLike with another user's prefix", docOperators+" #Conditions_String", `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`, false, "s3:prefix", "home/bob/x"),
		condCase("StringNotLike", docOperators+" #Conditions_String (negated case-sensitive matching)", `{"StringNotLike":{"s3:prefix":"private/*"}}`, false, "s3:prefix", "private/x"),
		condCase("StringEquals with a variable default", docVariables+" #policy-vars-default-values", `{"StringEquals":{"aws:PrincipalTag/team":"${aws:PrincipalTag/dept, 'docs'}"}}`, true, "aws:PrincipalTag/team", "docs"),
		condCase("NumericLessThanEquals within the limit", docOperators+" #Conditions_Numeric (s3:max-keys example)", `{"NumericLessThanEquals":{"s3:max-keys":"10"}}`, true, "s3:max-keys", "10"),
		condCase("NumericLessThanEquals over the limit", docOperators+" #Conditions_Numeric", `{"NumericLessThanEquals":{"s3:max-keys":10}}`, false, "s3:max-keys", "50"),
		condCase("NumericEquals with decimals", docOperators+" #Conditions_Numeric (integer or decimal values)", `{"NumericEquals":{"s3:max-keys":"1.0"}}`, true, "s3:max-keys", "1"),
		condCase("NumericNotEquals", docOperators+" #Conditions_Numeric", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, true, "s3:max-keys", "11"),
		condCase("NumericLessThan", docOperators+" #Conditions_Numeric", `{"NumericLessThan":{"s3:max-keys":"10"}}`, false, "s3:max-keys", "10"),
		condCase("NumericGreaterThan", docOperators+" #Conditions_Numeric", `{"NumericGreaterThan":{"s3:max-keys":"10"}}`, true, "s3:max-keys", "11"),
		condCase("NumericGreaterThanEquals", docOperators+" #Conditions_Numeric", `{"NumericGreaterThanEquals":{"s3:max-keys":"10"}}`, true, "s3:max-keys", "10"),
		condCase("DateLessThan with RFC 3339", docOperators+" #Conditions_Date (W3C ISO 8601 dates)", `{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`, true, "aws:CurrentTime", "2026-05-01T12:00:00Z"),
		condCase("DateGreaterThan with epoch seconds", docOperators+" #Conditions_Date (epoch (UNIX) time)", `{"DateGreaterThan":{"aws:EpochTime":"1893456000"}}`, false, "aws:EpochTime", "1777636800"),
		condCase("DateEquals across formats", docOperators+" #Conditions_Date", `{"DateEquals":{"aws:TokenIssueTime":"2024-01-01T00:00:00Z"}}`, true, "aws:TokenIssueTime", "1704067200"),
		condCase("DateNotEquals", docOperators+" #Conditions_Date", `{"DateNotEquals":{"aws:TokenIssueTime":"2024-01-01"}}`, false, "aws:TokenIssueTime", "2024-01-01T00:00:00Z"),
		condCase("DateLessThanEquals", docOperators+" #Conditions_Date", `{"DateLessThanEquals":{"aws:CurrentTime":"2024-01-01T00:00:00+01:00"}}`, true, "aws:CurrentTime", "2023-12-31T23:00:00Z"),
		condCase("DateGreaterThanEquals", docOperators+" #Conditions_Date", `{"DateGreaterThanEquals":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}`, false, "aws:CurrentTime", "2023-12-31T23:59:59Z"),
		condCase("Bool", docOperators+" #Conditions_Boolean", `{"Bool":{"aws:SecureTransport":true}}`, true, "aws:SecureTransport", "true"),
		condCase("Bool mismatch", docOperators+" #Conditions_Boolean", `{"Bool":{"aws:SecureTransport":"true"}}`, false, "aws:SecureTransport", "false"),
		condCase("BinaryEquals", docOperators+" #Conditions_BinaryEquals (byte for byte against base-64)", `{"BinaryEquals":{"ex:blob":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`, true, "ex:blob", "QmluYXJ5VmFsdWVJbkJhc2U2NA=="),
		condCase("BinaryEquals mismatch", docOperators+" #Conditions_BinaryEquals", `{"BinaryEquals":{"ex:blob":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`, false, "ex:blob", "b3RoZXI="),
		condCase("IpAddress in range", docOperators+" #Conditions_IPAddress", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, true, "aws:SourceIp", "203.0.113.7"),
		condCase("IpAddress out of range", docOperators+" #Conditions_IPAddress", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, false, "aws:SourceIp", "198.51.100.7"),
		condCase("IpAddress bare address means /32, IPv6 ranges", docOperators+" #Conditions_IPAddress (no prefix means /32; IPv6 supported)", `{"IpAddress":{"aws:SourceIp":["198.51.100.7","2001:DB8:1234:5678::/64"]}}`, true, "aws:SourceIp", "2001:db8:1234:5678::1"),
		condCase("NotIpAddress", docOperators+" #Conditions_IPAddress (all addresses except the range)", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, false, "aws:SourceIp", "203.0.113.7"),
		condCase("ArnEquals", docOperators+" #Conditions_ARN", `{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111122223333:topic-*"}}`, true, "aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:topic-a"),
		condCase("ArnLike wildcards stay within one ARN part", docOperators+" #Conditions_ARN (the first asterisk matches only us-east-2)", `{"ArnLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}`, false, "aws:SourceArn", "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"),
		condCase("StringLike wildcards cross ARN parts", docOperators+" #Conditions_ARN (with a StringLike condition the match succeeds)", `{"StringLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}`, true, "aws:SourceArn", "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"),
		condCase("ArnNotEquals", docOperators+" #Conditions_ARN (negated matching)", `{"ArnNotEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111122223333:topic-a"}}`, true, "aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:topic-b"),
		condCase("ArnNotLike with the key missing is true", docOperators+" (ArnNotLike with the key absent: true)", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}`, true),
		condCase("Null true: key absent", docOperators+" #Conditions_Null", `{"Null":{"aws:TokenIssueTime":"true"}}`, true),
		condCase("Null true: key present", docOperators+" #Conditions_Null", `{"Null":{"aws:TokenIssueTime":"true"}}`, false, "aws:TokenIssueTime", "2024-01-01T00:00:00Z"),
		condCase("Null false: key present", docOperators+" #Conditions_Null", `{"Null":{"aws:TokenIssueTime":"false"}}`, true, "aws:TokenIssueTime", "2024-01-01T00:00:00Z"),
		condCase("IfExists with the key missing", docOperators+" #Conditions_IfExists (key not present: the condition is true)", `{"StringEqualsIfExists":{"ec2:InstanceType":"t3.micro"}}`, true),
		condCase("IfExists with a wrong value", docOperators+" #Conditions_IfExists (if present, process the key as specified)", `{"StringEqualsIfExists":{"ec2:InstanceType":"t3.micro"}}`, false, "ec2:InstanceType", "m5.large"),
		condCase("NumericLessThanIfExists with the key missing", docOperators+" #Conditions_IfExists (IfExists on any operator but Null)", `{"NumericLessThanIfExists":{"s3:max-keys":"10"}}`, true),
		condCase("ForAnyValue: one value matches", docMultiKeys+" (ForAnyValue: at least one request value matches)", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["team","env"]}}`, true, "aws:TagKeys", "owner,env"),
		condCase("ForAnyValue: key missing", docMultiKeys+" (ForAnyValue returns false when the key is missing)", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["team","env"]}}`, false),
		condCase("ForAllValues: every value listed", docMultiKeys+" (ForAllValues: every request value matches a policy value)", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]}}`, true, "aws:TagKeys", "team,env"),
		condCase("ForAllValues: a value not listed", docMultiKeys, `{"ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]}}`, false, "aws:TagKeys", "team,owner"),
		condCase("ForAllValues: key missing is true", docMultiKeys+" (ForAllValues returns true when the key is missing or empty)", `{"ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]}}`, true),
		condCase("ForAllValues:StringLikeIfExists", docMultiKeys, `{"ForAllValues:StringLikeIfExists":{"aws:TagKeys":"t*"}}`, true, "aws:TagKeys", "team,tier"),
		condCase("ForAnyValue:StringNotEquals", docMultiKeys+" (negated operator per value)", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":"team"}}`, true, "aws:TagKeys", "team,env"),
		condCase("values of one key are ORed", docCondLogic+" (multiple values for one key: logical OR)", `{"StringEquals":{"aws:PrincipalTag/team":["ops","docs"]}}`, true, "aws:PrincipalTag/team", "docs"),
		condCase("keys are ANDed", docCondLogic+" (multiple keys: logical AND)", `{"StringEquals":{"aws:PrincipalTag/team":"docs","aws:PrincipalTag/env":"prod"}}`, false, "aws:PrincipalTag/team", "docs", "aws:PrincipalTag/env", "dev"),
		condCase("operators are ANDed", docCondLogic+" (multiple condition operators: logical AND)", `{"StringEquals":{"aws:PrincipalTag/team":"docs"},"Bool":{"aws:SecureTransport":"true"}}`, false, "aws:PrincipalTag/team", "docs", "aws:SecureTransport", "false"),
		condCase("condition keys are case-insensitive", docVariables+" #policy-vars-infoallreqs (key names are case-insensitive)", `{"IpAddress":{"AWS:SOURCEIP":"203.0.113.0/24"}}`, true, "aws:sourceip", "203.0.113.7"),
		condCase("aws:PrincipalType comes from the caller", docVariables+" #principaltable (IAM user: aws:PrincipalType is User)", `{"StringEquals":{"aws:PrincipalType":"User"}}`, true),
		condCase("numeric operator with a non-number fails closed", docOperators+" #Conditions_Numeric (integer or decimal values only)", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, false, "s3:max-keys", "ten"),
		condCase("IP operator with a malformed address fails closed", docOperators+" #Conditions_IPAddress (values must be IP addresses)", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, false, "aws:SourceIp", "not-an-ip"),
		condCase("aws:PrincipalAccount comes from the caller", docVariables+" #policy-vars-infoallreqs", `{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}`, true),
		{
			name:   "unknown condition operator fails closed",
			source: docOperators + " (only the listed operators exist; an unknown one cannot match)",
			req:    get(alice),
			in: Inputs{Identity: []*Document{{Version: version2012, Statement: []Statement{{Effect: Allow, Action: []string{"s3:*"}, Resource: []string{"*"},
				Condition: []Condition{{Operator: "StringEqualz", Key: "aws:PrincipalTag/team", Values: []string{"docs"}}}}}}}},
		},
		{
			name:         "Bool Deny on insecure transport",
			source:       docOperators + " #Conditions_Boolean (deny all S3 actions if the request is not over SSL)",
			req:          get(alice, "aws:SecureTransport", "false"),
			in:           Inputs{Identity: docs(allowS3), ResourceAccount: custAcct, Resource: bucketPolicy(`{"Sid":"BooleanExample","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::docs-bucket","arn:aws:s3:::docs-bucket/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}`)},
			explicitDeny: true,
		},
		{
			name:         "StringNotEqualsIfExists Deny with the key missing",
			source:       docOperators + " #Conditions_IfExists (Deny with a negated IfExists operator: denied even if the key is missing)",
			req:          get(alice),
			in:           Inputs{Identity: docs(allowS3, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}}`)},
			explicitDeny: true,
		},
		{
			name:    "KMS kms:ViaService condition satisfied",
			source:  docKMSAccess + " (kms:ViaService limits use to requests from a service)",
			req:     decrypt(appSess),
			in:      Inputs{Identity: docs(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}}`), Resource: MustParse(defaultKeyPolicy), ResourceAccount: custAcct, KeyPolicy: true},
			allowed: true,
		},
		{
			name:   "KMS kms:ViaService condition without the key",
			source: docOperators + " (key not present: the condition is false)",
			req:    Request{Caller: appSess, Action: "kms:Decrypt", Resource: keyARN},
			in:     Inputs{Identity: docs(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}}`), Resource: MustParse(defaultKeyPolicy), ResourceAccount: custAcct, KeyPolicy: true},
		},
	}
}

func TestEvaluate(t *testing.T) {
	cases := evalCases()
	if len(cases) < 60 {
		t.Fatalf("only %d cases", len(cases))
	}
	names := map[string]bool{}
	for _, tc := range cases {
		if tc.source == "" || !strings.HasPrefix(tc.source, "https://docs.aws.amazon.com/") {
			t.Errorf("%s: source must cite AWS documentation, got %q", tc.name, tc.source)
		}
		if names[tc.name] {
			t.Errorf("duplicate case name %q", tc.name)
		}
		names[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			got := Evaluate(tc.req, tc.in)
			if got.Allowed != tc.allowed || got.ExplicitDeny != tc.explicitDeny {
				t.Errorf("got Allowed=%v ExplicitDeny=%v (%s), want Allowed=%v ExplicitDeny=%v\nsource: %s",
					got.Allowed, got.ExplicitDeny, got.Reason, tc.allowed, tc.explicitDeny, tc.source)
			}
			if tc.reason != "" && got.Reason != tc.reason {
				t.Errorf("reason %q, want %q", got.Reason, tc.reason)
			}
			if got.Reason == "" {
				t.Error("empty reason")
			}
		})
	}
}

func TestStatementMatches(t *testing.T) {
	st := MustParse(serviceRolePol).Statement[0]
	for role, want := range map[string]bool{
		"arn:aws:iam::111122223333:role/AlphaSense-DocumentStorage-ClientRole-acme": true,
		"arn:aws:iam::999999999999:role/AlphaSense-DocumentStorage-ClientRole-x":    true,
		"arn:aws:iam::111122223333:role/AlphaSense-DocumentStorage-ClientRole":      false,
		"arn:aws:iam::111122223333:role/alphasense-documentstorage-clientrole-acme": false,
	} {
		req := Request{Caller: asSess, Action: "sts:AssumeRole", Resource: role}
		if got := st.Matches(req); got != want {
			t.Errorf("Matches(%s) = %v, want %v", role, got, want)
		}
	}
	trust := MustParse(onboardingTrust).Statement[0]
	if !trust.Matches(assumeClient(asSess, "sts:ExternalId", "customer-specific-external-id-2024")) {
		t.Error("trust statement should match the right external ID")
	}
	if trust.Matches(assumeClient(asSess, "STS:EXTERNALID", "customer-specific-external-id-2025")) {
		t.Error("trust statement matched a wrong external ID")
	}
}

func TestContext(t *testing.T) {
	c := Context{}.Set("AWS:SourceIp", "203.0.113.7").Set("aws:TagKeys", "a", "b")
	if v, ok := c.Get("aws:sourceip"); !ok || len(v) != 1 || v[0] != "203.0.113.7" {
		t.Errorf("Get(aws:sourceip) = %v, %v", v, ok)
	}
	if v, _ := c.Get("AWS:TAGKEYS"); len(v) != 2 {
		t.Errorf("Get(AWS:TAGKEYS) = %v", v)
	}
	if _, ok := c.Get("aws:username"); ok {
		t.Error("missing key reported present")
	}
	long := strings.Repeat("K", 100)
	c.Set(long, "v")
	if _, ok := c.Get(strings.ToLower(long)); !ok {
		t.Error("long key not found")
	}
}
