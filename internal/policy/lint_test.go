package policy

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// The tenant of the lint tests: a customer in eu-west-1, so that guide
// 000's example key ARN (hard-coded us-east-1) is in the wrong region.
const (
	svc     = "arn:aws:iam::111111111111:role/document-storage-role"
	client  = "arn:aws:iam::222222222222:role/AlphaSense-DocumentStorage-ClientRole-acme"
	bucket  = "arn:aws:s3:::acme-document-bucket"
	key     = "arn:aws:kms:eu-west-1:222222222222:key/822b33ad-87c1-48a0-820a-5ba7cd5ebcaa"
	extID   = "ts-44hlawux3vtinaitcjxxchh6vzlkzaca"
	region  = "eu-west-1"
	objects = bucket + "/*"
)

func chained() RenderInput {
	return RenderInput{ServiceRoleARN: svc, ClientRoleARN: client, Region: region, ExternalID: extID, BucketARN: bucket, KeyARN: key}
}

func keyOnly() RenderInput {
	in := chained()
	in.BucketARN = ""
	return in
}

func direct() RenderInput {
	in := chained()
	in.ClientRoleARN, in.ExternalID = "", ""
	return in
}

// rendered is the tenant with the documents Render gives it.
func rendered(t *testing.T, in RenderInput) LintInput {
	t.Helper()
	d, err := Render(in)
	if err != nil {
		t.Fatal(err)
	}
	return LintInput{Tenant: in, TrustPolicy: d.TrustPolicy, PermissionsPolicy: d.PermissionsPolicy, BucketPolicy: d.BucketPolicy, KeyPolicy: d.KeyPolicy}
}

func doc(statements ...string) []byte {
	return []byte(`{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`)
}

// Statements the cases combine.
var (
	trustOK       = `{"Sid":"Vendor","Effect":"Allow","Principal":{"AWS":"` + svc + `"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"` + extID + `"}}}`
	s3ListOK      = `{"Sid":"List","Effect":"Allow","Action":"s3:ListBucket","Resource":"` + bucket + `"}`
	s3ObjectsOK   = `{"Sid":"Objects","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:RestoreObject","s3:DeleteObject"],"Resource":"` + objects + `"}`
	kmsOK         = `{"Sid":"Key","Effect":"Allow","Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"` + key + `"}`
	keyRoot       = `{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"kms:*","Resource":"*"}`
	keyForClient  = `{"Sid":"Allow access through client role","Effect":"Allow","Principal":{"AWS":"` + client + `"},"Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"*"}`
	bucketForRole = func(role string) string {
		return fmt.Sprintf(`{"Sid":"Role","Effect":"Allow","Principal":{"AWS":%q},"Action":["s3:GetObject","s3:PutObject","s3:RestoreObject","s3:ListBucket","s3:DeleteObject"],"Resource":[%q,%q]}`, role, bucket, objects)
	}
	keyForRole = func(role string) string {
		return fmt.Sprintf(`{"Sid":"Role","Effect":"Allow","Principal":{"AWS":%q},"Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"*"}`, role)
	}
	externalIDCond = `"Condition":{"StringEquals":{"sts:ExternalId":"` + extID + `"}}`
)

const conditionFix = `use exactly "Condition": {"StringEquals": {"sts:ExternalId": "` + extID + `"}}.`

func TestLintFindsNothingInRenderedDocuments(t *testing.T) {
	for name, in := range map[string]RenderInput{"chained": chained(), "key only": keyOnly(), "direct": direct(),
		"versioned bucket": func() RenderInput {
			in := chained()
			in.S3Actions = []string{"s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:GetObjectVersion", "s3:DeleteObjectVersion"}
			return in
		}(),
	} {
		t.Run(name, func(t *testing.T) {
			lin := rendered(t, in)
			findings, err := Lint(lin)
			if err != nil {
				t.Fatal(err)
			}
			if len(findings) != 0 {
				t.Fatalf("findings in rendered documents:\n%s", findingsText(findings))
			}
			// Every document the mode uses was checked.
			want := map[string]int{"chained": 4, "key only": 3, "direct": 2, "versioned bucket": 4}[name]
			got := 0
			for _, d := range [][]byte{lin.TrustPolicy, lin.PermissionsPolicy, lin.BucketPolicy, lin.KeyPolicy} {
				if d != nil {
					got++
				}
			}
			if got != want {
				t.Fatalf("%d documents rendered, want %d", got, want)
			}
		})
	}
}

func findingsText(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.String() + "\n")
	}
	return b.String()
}

func TestLintExplainsEachProblem(t *testing.T) {
	for _, c := range []struct {
		name string
		// edit changes the rendered documents of the tenant.
		tenant func() RenderInput
		edit   func(*LintInput)
		want   []Finding
	}{
		// The trust policy.
		{
			name: "trust policy without ExternalId (guide 000, Basic Trust Policy)",
			edit: func(l *LintInput) {
				l.TrustPolicy = doc(`{"Effect":"Allow","Principal":{"AWS":"` + svc + `"},"Action":"sts:AssumeRole"}`)
			},
			want: []Finding{{Error, DocTrust, "#1",
				"there is no sts:ExternalId condition: anyone who gets the vendor to use this role ARN reaches the tenant's data (the confused-deputy problem).",
				`add "Condition": {"StringEquals": {"sts:ExternalId": "` + extID + `"}}.`}},
		},
		{
			name: "ExternalId with StringLike",
			edit: func(l *LintInput) {
				l.TrustPolicy = doc(strings.Replace(trustOK, "StringEquals", "StringLike", 1))
			},
			want: []Finding{{Error, DocTrust, "Vendor", "the sts:ExternalId condition uses StringLike, not StringEquals: its wildcards can match other tenants' ExternalIds.", conditionFix}},
		},
		{
			name: "ExternalId with StringEqualsIfExists",
			edit: func(l *LintInput) {
				l.TrustPolicy = doc(strings.Replace(trustOK, "StringEquals", "StringEqualsIfExists", 1))
			},
			want: []Finding{{Error, DocTrust, "Vendor", "the sts:ExternalId condition uses StringEqualsIfExists, not StringEquals: a request without any ExternalId passes it.", conditionFix}},
		},
		{
			name: "the guide's example ExternalId left in (guide 000, Common Issue 2)",
			edit: func(l *LintInput) {
				l.TrustPolicy = doc(strings.Replace(trustOK, extID, "customer-specific-external-id-2024", 1))
			},
			want: []Finding{{Error, DocTrust, "Vendor", `the sts:ExternalId condition expects "customer-specific-external-id-2024", but the tenant's ExternalId is "` + extID + `": AWS refuses the vendor (guide 000, Common Issue 2).`, conditionFix}},
		},
		{
			name: "ExternalId condition accepting another tenant's value too",
			edit: func(l *LintInput) {
				l.TrustPolicy = doc(strings.Replace(trustOK, `"`+extID+`"`, `["`+extID+`","globex-external-id-2024"]`, 1))
			},
			want: []Finding{{Error, DocTrust, "Vendor", `the sts:ExternalId condition also accepts "globex-external-id-2024": whoever is configured with one of them at the vendor, such as another tenant, can assume this role.`, conditionFix}},
		},
		{
			name: "wildcard principal",
			edit: func(l *LintInput) {
				l.TrustPolicy = doc(`{"Sid":"Anyone","Effect":"Allow","Principal":"*","Action":"sts:AssumeRole",` + externalIDCond + `}`)
			},
			want: []Finding{{Error, DocTrust, "Anyone", `the Principal is "*" (or a NotPrincipal): every AWS account may try to assume the role, and only the ExternalId, which AWS says is not a secret, stands in the way.`,
				`name the vendor's service role only: "Principal": {"AWS": "` + svc + `"}.`}},
		},
		{
			name: "the vendor's whole account as principal",
			edit: func(l *LintInput) {
				l.TrustPolicy = doc(`{"Sid":"VendorAccount","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole",` + externalIDCond + `}`)
			},
			want: []Finding{{Warning, DocTrust, "VendorAccount", "the Principal is the vendor's whole account 111111111111: any identity there whose own policy allows sts:AssumeRole can assume the role, not only the service role.",
				`name the service role instead: "Principal": {"AWS": "` + svc + `"}.`}},
		},
		{
			name: "another principal besides the vendor's service role",
			edit: func(l *LintInput) {
				l.TrustPolicy = doc(`{"Sid":"Vendor","Effect":"Allow","Principal":{"AWS":["` + svc + `","333333333333"]},"Action":"sts:AssumeRole",` + externalIDCond + `}`)
			},
			want: []Finding{{Warning, DocTrust, "Vendor", "the Principal also names 333333333333: they can assume the role too, with the same ExternalId.",
				"remove them, or give them a statement of their own with their own ExternalId."}},
		},
		{
			name: "principal is not the vendor's service role (guide 000, Common Issue 3)",
			edit: func(l *LintInput) {
				l.TrustPolicy = doc(strings.Replace(trustOK, "document-storage-role", "document-storage", 1))
			},
			want: []Finding{{Error, DocTrust, "Vendor", "the Principal names arn:aws:iam::111111111111:role/document-storage, not the vendor's service role " + svc + ": the vendor cannot assume the role (guide 000, Common Issue 3).",
				`set "Principal": {"AWS": "` + svc + `"}.`}},
		},
		{
			name: "a statement of the customer's own next to the vendor's",
			edit: func(l *LintInput) {
				l.TrustPolicy = doc(trustOK, `{"Sid":"BreakGlass","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/admin"},"Action":"sts:AssumeRole"}`)
			},
		},
		{
			name: "Deny statement that applies to the vendor",
			edit: func(l *LintInput) {
				l.TrustPolicy = doc(trustOK, `{"Sid":"OnlyOurAdmins","Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringNotLike":{"aws:PrincipalArn":"arn:aws:iam::222222222222:role/admin-*"}}}`)
			},
			want: []Finding{{Error, DocTrust, "OnlyOurAdmins", "this Deny statement applies to the vendor's service role " + svc + " assuming the role with the ExternalId: a Deny wins over every Allow.",
				"exclude " + svc + " from it, or remove it."}},
		},
		{
			name: "trust policy that does not allow sts:AssumeRole",
			edit: func(l *LintInput) {
				l.TrustPolicy = doc(strings.Replace(trustOK, `"sts:AssumeRole"`, `"sts:TagSession"`, 1))
			},
			want: []Finding{{Error, DocTrust, "", "no statement allows sts:AssumeRole to the vendor's service role " + svc + ".", "add the statement of the rendered trust policy."}},
		},
		{
			name: "a second statement without the ExternalId",
			edit: func(l *LintInput) {
				l.TrustPolicy = doc(trustOK, `{"Sid":"Legacy","Effect":"Allow","Principal":{"AWS":"`+svc+`"},"Action":"sts:AssumeRole"}`)
			},
			want: []Finding{{Error, DocTrust, "Legacy",
				"there is no sts:ExternalId condition: anyone who gets the vendor to use this role ARN reaches the tenant's data (the confused-deputy problem).",
				`add "Condition": {"StringEquals": {"sts:ExternalId": "` + extID + `"}}.`}},
		},

		// The permissions policy.
		{
			name: "s3:ListBucket only on bucket/* in the permissions policy",
			edit: func(l *LintInput) {
				l.PermissionsPolicy = doc(`{"Sid":"S3","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:RestoreObject","s3:ListBucket","s3:DeleteObject"],"Resource":"`+objects+`"}`, kmsOK)
			},
			want: []Finding{{Error, DocPermissions, "S3", "s3:ListBucket is granted only on object ARNs (" + objects + "): it is a bucket-level action, authorized on the bucket ARN " + bucket + ", so this grants no listing (guide 004's Option A example makes this mistake).",
				"add " + bucket + " to this statement's Resource, or grant s3:ListBucket on it in a statement of its own."}},
		},
		{
			name: "missing actions",
			edit: func(l *LintInput) {
				l.PermissionsPolicy = doc(s3ListOK, strings.Replace(s3ObjectsOK, `"s3:RestoreObject",`, "", 1), strings.Replace(kmsOK, `,"kms:DescribeKey"`, "", 1))
			},
			want: []Finding{
				{Error, DocPermissions, "", "s3:RestoreObject is not allowed on " + objects + ".", "add s3:RestoreObject to a statement that allows it on " + objects + ", as the rendered permissions policy does."},
				{Error, DocPermissions, "", "kms:DescribeKey is not allowed on " + key + ".", "add kms:DescribeKey to a statement that allows it on " + key + ", as the rendered permissions policy does."},
			},
		},
		{
			name: "a tenant action the guide does not list (versioned bucket)",
			tenant: func() RenderInput {
				in := chained()
				in.S3Actions = append(GuideS3Actions[:len(GuideS3Actions):len(GuideS3Actions)], "s3:GetObjectVersion")
				return in
			},
			edit: func(l *LintInput) { l.PermissionsPolicy = doc(s3ListOK, s3ObjectsOK, kmsOK) },
			want: []Finding{{Error, DocPermissions, "", "s3:GetObjectVersion is not allowed on " + objects + ".", "add s3:GetObjectVersion to a statement that allows it on " + objects + ", as the rendered permissions policy does."}},
		},
		{
			name: "another bucket",
			edit: func(l *LintInput) {
				l.PermissionsPolicy = doc(strings.ReplaceAll(s3ListOK, "acme-document-bucket", "your-document-bucket"), strings.ReplaceAll(s3ObjectsOK, "acme-document-bucket", "your-document-bucket"), kmsOK)
			},
			want: []Finding{
				{Error, DocPermissions, "List", "it names the bucket your-document-bucket, not the tenant's bucket acme-document-bucket.", "use " + bucket + " for s3:ListBucket and " + objects + " for the object actions."},
				{Error, DocPermissions, "Objects", "it names the bucket your-document-bucket, not the tenant's bucket acme-document-bucket.", "use " + bucket + " for s3:ListBucket and " + objects + " for the object actions."},
			},
		},
		{
			name: "the guide's key region (us-east-1) for a tenant in eu-west-1",
			edit: func(l *LintInput) {
				l.PermissionsPolicy = doc(s3ListOK, s3ObjectsOK, strings.Replace(kmsOK, "eu-west-1", "us-east-1", 1))
			},
			want: []Finding{{Error, DocPermissions, "Key", "it names a key in us-east-1 (arn:aws:kms:us-east-1:222222222222:key/822b33ad-87c1-48a0-820a-5ba7cd5ebcaa), but the tenant's key and region are eu-west-1 (" + key + "); guide 000's example policy hard-codes us-east-1.", "use " + key + "."}},
		},
		{
			name: "another key",
			edit: func(l *LintInput) {
				l.PermissionsPolicy = doc(s3ListOK, s3ObjectsOK, strings.Replace(kmsOK, "822b33ad-87c1-48a0-820a-5ba7cd5ebcaa", "12345678-1234-1234-1234-123456789012", 1))
			},
			want: []Finding{{Error, DocPermissions, "Key", "it names the key arn:aws:kms:eu-west-1:222222222222:key/12345678-1234-1234-1234-123456789012, not the tenant's key " + key + ".", "use " + key + "."}},
		},
		{
			name: "Deny statement in the permissions policy",
			edit: func(l *LintInput) {
				l.PermissionsPolicy = doc(s3ListOK, s3ObjectsOK, kmsOK, `{"Sid":"NoDeletes","Effect":"Deny","Action":["s3:Delete*","kms:ReEncrypt*"],"Resource":"*"}`)
			},
			want: []Finding{{Error, DocPermissions, "NoDeletes", "this Deny statement applies to the session of " + client + " and blocks s3:DeleteObject, kms:ReEncrypt*; a Deny wins over every Allow.",
				"exclude " + client + " from it (for example with a condition on aws:PrincipalArn), or remove it."}},
		},
		{
			name: "condition the vendor's requests do not meet",
			edit: func(l *LintInput) {
				l.PermissionsPolicy = doc(s3ListOK, strings.Replace(s3ObjectsOK, `"Resource"`, `"Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}},"Resource"`, 1), kmsOK)
			},
			want: []Finding{{Error, DocPermissions, "Objects", "this statement allows s3:GetObject, s3:PutObject, s3:RestoreObject, s3:DeleteObject only under conditions the vendor's requests do not meet.",
				"remove the condition, or make sure it holds for the vendor's requests."}},
		},

		// The bucket policy.
		{
			name:   "guide 004 Option A bucket policy verbatim (direct)",
			tenant: direct,
			edit: func(l *LintInput) {
				l.BucketPolicy = doc(`{"Effect":"Allow","Principal":{"AWS":"` + svc + `"},"Action":["s3:GetObject","s3:PutObject","s3:RestoreObject","s3:ListBucket","s3:DeleteObject"],"Resource":"` + objects + `"}`)
			},
			want: []Finding{{Error, DocBucket, "#1", "s3:ListBucket is granted only on object ARNs (" + objects + "): it is a bucket-level action, authorized on the bucket ARN " + bucket + ", so this grants no listing (guide 004's Option A example makes this mistake).",
				"add " + bucket + " to this statement's Resource, or grant s3:ListBucket on it in a statement of its own."}},
		},
		{
			name:   "bucket policy naming another role (direct)",
			tenant: direct,
			edit: func(l *LintInput) {
				l.BucketPolicy = doc(bucketForRole("arn:aws:iam::111111111111:role/customer-facing-role-name"))
			},
			want: []Finding{{Error, DocBucket, "", "no statement names the vendor's service role " + svc + " (it names arn:aws:iam::111111111111:role/customer-facing-role-name instead): the vendor, in another account, cannot use the bucket.",
				"add the statements of the rendered bucket policy."}},
		},
		{
			name:   "bucket policy missing an action (direct)",
			tenant: direct,
			edit: func(l *LintInput) {
				l.BucketPolicy = doc(strings.Replace(bucketForRole(svc), `"s3:RestoreObject",`, "", 1))
			},
			want: []Finding{{Error, DocBucket, "", "s3:RestoreObject is not allowed to " + svc + " on " + objects + ".", "add s3:RestoreObject to a statement that allows it on " + objects + ", as the rendered bucket policy does."}},
		},
		{
			name: "bucket policy Deny that catches the client role",
			edit: func(l *LintInput) {
				l.BucketPolicy = doc(bucketForRole(client), `{"Sid":"OnlyFromOurVPC","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["`+bucket+`","`+objects+`"],"Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-0abc"}}}`)
			},
			want: []Finding{{Error, DocBucket, "OnlyFromOurVPC", "this Deny statement applies to the session of " + client + " and blocks s3:GetObject, s3:PutObject, s3:RestoreObject, s3:ListBucket, s3:DeleteObject; a Deny wins over every Allow.",
				"exclude " + client + " from it (for example with a condition on aws:PrincipalArn), or remove it."}},
		},
		{
			name: "bucket policy with s3:ListBucket on bucket/* (chained: the role's policy still grants it)",
			edit: func(l *LintInput) {
				l.BucketPolicy = doc(`{"Sid":"Role","Effect":"Allow","Principal":{"AWS":"` + client + `"},"Action":["s3:GetObject","s3:ListBucket"],"Resource":"` + objects + `"}`)
			},
			want: []Finding{{Warning, DocBucket, "Role", "s3:ListBucket is granted only on object ARNs (" + objects + "): it is a bucket-level action, authorized on the bucket ARN " + bucket + ", so this grants no listing (guide 004's Option A example makes this mistake).",
				"add " + bucket + " to this statement's Resource, or grant s3:ListBucket on it in a statement of its own."}},
		},

		// The key policy.
		{
			name: "key policy without root statement nor a statement for the client role",
			edit: func(l *LintInput) {
				l.KeyPolicy = doc(keyForRole("arn:aws:iam::222222222222:role/AlphaSense-DocumentStorage-ClientRole"))
			},
			want: []Finding{{Error, DocKey, "", "the key policy has neither a statement for the client role " + client + " (it names arn:aws:iam::222222222222:role/AlphaSense-DocumentStorage-ClientRole instead) nor the root statement for arn:aws:iam::222222222222:root that lets the account's IAM policies grant the key: the client role cannot use it.",
				`add the statement "Allow access through client role" of the rendered key policy (key-policy-statement.json), and keep the root statement "Enable IAM User Permissions".`}},
		},
		{
			name: "key policy with only the guide's statement (no root statement)",
			edit: func(l *LintInput) { l.KeyPolicy = doc(keyForClient) },
			want: []Finding{{Warning, DocKey, "", "the key policy has no root statement for arn:aws:iam::222222222222:root: IAM policies in the account cannot grant this key, and unless a principal named here may administer it, nobody can change the key policy again.",
				`add the statement "Enable IAM User Permissions" of the rendered key policy (AWS's default key policy).`}},
		},
		{
			name: "key policy statement missing actions",
			edit: func(l *LintInput) {
				l.KeyPolicy = doc(strings.Replace(keyForClient, `"kms:ReEncrypt*","kms:GenerateDataKey*",`, "", 1))
			},
			want: []Finding{
				{Warning, DocKey, "", "the key policy has no root statement for arn:aws:iam::222222222222:root: IAM policies in the account cannot grant this key, and unless a principal named here may administer it, nobody can change the key policy again.",
					`add the statement "Enable IAM User Permissions" of the rendered key policy (AWS's default key policy).`},
				{Error, DocKey, "", "kms:ReEncrypt* is not allowed to " + client + " on " + key + ".", "add kms:ReEncrypt* to a statement that allows it on " + key + ", as the rendered key policy does."},
				{Error, DocKey, "", "kms:GenerateDataKey* is not allowed to " + client + " on " + key + ".", "add kms:GenerateDataKey* to a statement that allows it on " + key + ", as the rendered key policy does."},
			},
		},
		{
			name:   "direct key policy naming the client role of guide 000 instead of the vendor",
			tenant: direct,
			edit: func(l *LintInput) {
				l.KeyPolicy = doc(keyRoot, keyForRole("arn:aws:iam::222222222222:role/AlphaSense-DocumentStorage-ClientRole"))
			},
			want: []Finding{{Error, DocKey, "", "no statement names the vendor's service role " + svc + " (it names arn:aws:iam::222222222222:role/AlphaSense-DocumentStorage-ClientRole instead): the vendor, in another account, cannot use the key.",
				`add the statement "Allow access by the vendor service role" of the rendered key policy (key-policy-statement.json).`}},
		},
		{
			name: "key policy statement naming another key",
			edit: func(l *LintInput) {
				l.KeyPolicy = doc(keyRoot, strings.Replace(keyForClient, `"Resource":"*"`, `"Resource":"arn:aws:kms:eu-west-1:222222222222:key/00000000-0000-0000-0000-000000000000"`, 1))
			},
			want: []Finding{{Error, DocKey, "Allow access through client role", "it names the key arn:aws:kms:eu-west-1:222222222222:key/00000000-0000-0000-0000-000000000000, not the tenant's key " + key + ".", "use " + key + "."}},
		},
		{
			name: "key policy Deny that catches the client role",
			edit: func(l *LintInput) {
				l.KeyPolicy = doc(keyRoot, keyForClient, `{"Sid":"NoDecryptOutsideS3","Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringNotEquals":{"kms:ViaService":"s3.eu-west-1.amazonaws.com"}}}`)
			},
			want: []Finding{{Error, DocKey, "NoDecryptOutsideS3", "this Deny statement applies to the session of " + client + " and blocks kms:Decrypt; a Deny wins over every Allow.",
				"exclude " + client + " from it (for example with a condition on aws:PrincipalArn), or remove it."}},
		},

		// The tenant and the documents themselves.
		{
			name: "key in another region than the tenant",
			tenant: func() RenderInput {
				in := chained()
				in.Region = "us-east-1"
				return in
			},
			edit: func(l *LintInput) { *l = LintInput{Tenant: l.Tenant} },
			want: []Finding{{Error, DocTenant, "", "the key " + key + " is in eu-west-1, but the tenant's region is us-east-1.", "S3 can only use a key in the bucket's region: use a key in us-east-1, or move the tenant (bucket and key) to eu-west-1."}},
		},
		{
			name: "tenant without ExternalId",
			edit: func(l *LintInput) { l.Tenant.ExternalID = ""; l.TrustPolicy = nil },
			want: []Finding{{Error, DocTenant, "", "the tenant has no ExternalId: its trust policy cannot require one, so any other customer of the vendor could get the vendor to use this role.",
				"set spec.externalId, or let the operator generate one, and require it in the trust policy."}},
		},
		{
			name:   "a trust policy for a tenant without client role",
			tenant: direct,
			edit:   func(l *LintInput) { l.TrustPolicy = doc(trustOK) },
			want: []Finding{{Warning, DocTrust, "", "this tenant does not use a trust policy (it has no client role: direct access), so it was not checked.",
				"check that the tenant's configuration is the one you meant."}},
		},
		{
			name: "malformed document",
			edit: func(l *LintInput) {
				l.BucketPolicy = []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"` + objects + `"}]}`)
			},
			want: []Finding{{Error, DocBucket, "", "AWS would refuse this document: statement #1 has no Principal.", "start from the rendered bucket policy."}},
		},
		{
			name: "not JSON",
			edit: func(l *LintInput) { l.PermissionsPolicy = []byte("Version: 2012-10-17") },
			want: []Finding{{Error, DocPermissions, "", "AWS would refuse this document: MalformedPolicyDocument: Syntax errors in policy.", "start from the rendered permissions policy."}},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := chained()
			if c.tenant != nil {
				in = c.tenant()
			}
			lin := LintInput{Tenant: in}
			if c.name != "key in another region than the tenant" {
				lin = rendered(t, in)
			}
			c.edit(&lin)
			got, err := Lint(lin)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c.want, got) {
				t.Fatalf("findings differ\nwant:\n%s\ngot:\n%s", findingsText(c.want), findingsText(got))
			}
		})
	}
}

func TestLintRefusesAnUnreadableTenant(t *testing.T) {
	_, err := Lint(LintInput{Tenant: RenderInput{ServiceRoleARN: "document-storage-role", Region: region, BucketARN: bucket}})
	if err == nil || err.Error() != `service role ARN "document-storage-role" is not an IAM role ARN such as arn:aws:iam::123456789012:role/name` {
		t.Fatalf("err = %v", err)
	}
}
