package world

import (
	"strings"
	"testing"
)

func TestLoadSeedsWorld(t *testing.T) {
	w, err := Load("../testdata/seeds-world.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cust := w.Accounts[1]
	// Defaults are filled in.
	if r := cust.Roles[0]; r.Path != "/" || r.MaxSessionDuration != 3600 || r.TrustPolicy.Doc == nil {
		t.Fatalf("role defaults: %+v", r)
	}
	if k := cust.Keys[0]; k.State != "Enabled" || k.KeySpec != "SYMMETRIC_DEFAULT" || k.KeyUsage != "ENCRYPT_DECRYPT" {
		t.Fatalf("key defaults: %+v", k)
	}
	if b := cust.Buckets[0]; b.Encryption.Type != "aws:kms" || !b.Encryption.BucketKeyEnabled || b.Policy.Doc == nil {
		t.Fatalf("bucket: %+v", b)
	}
}

// Policies may be YAML objects as well as JSON strings; an absent key
// policy becomes KMS's default.
func TestPolicyForms(t *testing.T) {
	w, err := Parse([]byte(`
accounts:
  - id: "123456789012"
    roles:
      - name: r
        trustPolicy:
          Version: "2012-10-17"
          Statement:
            - Effect: Allow
              Principal: {AWS: "arn:aws:iam::123456789012:root"}
              Action: sts:AssumeRole
              Condition: {Bool: {"aws:SecureTransport": true}}
    keys:
      - id: 11111111-2222-4333-8444-555555555555
        region: eu-west-1
    buckets:
      - name: b-1
        region: eu-west-1
`))
	if err != nil {
		t.Fatal(err)
	}
	st := w.Accounts[0].Roles[0].TrustPolicy.Doc.Statement[0]
	if st.Condition[0].Key != "aws:SecureTransport" || st.Condition[0].Values[0] != "true" {
		t.Fatalf("condition: %+v", st.Condition)
	}
	k := w.Accounts[0].Keys[0]
	if k.Policy.Text != DefaultKeyPolicy("123456789012") || k.Policy.Doc == nil {
		t.Fatalf("default key policy: %q", k.Policy.Text)
	}
	if b := w.Accounts[0].Buckets[0]; b.Encryption.Type != "AES256" {
		t.Fatalf("default encryption %q", b.Encryption.Type)
	}
}

func TestValidationReportsEveryProblem(t *testing.T) {
	_, err := Parse([]byte(`
accounts:
  - id: "1234"
    users:
      - name: u
        accessKeys: [{id: BADKEY, secret: ""}]
        inlinePolicies:
          p: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}'
        managedPolicies: [arn:aws:iam::1234:policy/missing]
    roles:
      - name: U
        trustPolicy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}]}'
        maxSessionDuration: 60
      - name: noTrust
    keys:
      - id: not-a-uuid
        region: mars
        state: Broken
        aliases: [alias/aws/s3]
    buckets:
      - name: Bad_Bucket
        region: us-east-1
        encryption: {type: aws:kms, kmsKeyId: "alias/mine"}
        versioning: Paused
      - name: Bad_Bucket
        region: us-east-1
        policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'
`))
	if err == nil {
		t.Fatal("invalid world accepted")
	}
	for _, want := range []string{
		`accounts[0]: id "1234" is not a 12-digit account ID`,
		`users[0] (u): access key id "BADKEY" must be AKIA followed by 12-124 upper-case letters or digits`,
		`users[0] (u): access key BADKEY has no secret`,
		`users[0] (u).inlinePolicies.p: MalformedPolicyDocument: Policy document should not specify a principal.`,
		`users[0] (u): managed policy arn:aws:iam::1234:policy/missing is not declared in this account's policies`,
		`roles[0] (U): role name "U" is already used by accounts[0] (1234).users[0] (u)`,
		`roles[0] (U).trustPolicy: MalformedPolicyDocument: Has prohibited field Resource`,
		`roles[0] (U): maxSessionDuration 60 is outside 3600..43200 seconds`,
		`roles[1] (noTrust): trustPolicy is required`,
		`keys[0] (not-a-uuid): id "not-a-uuid" is not a key ID (a lower-case UUID)`,
		`keys[0] (not-a-uuid): region "mars" is not a region name`,
		`keys[0] (not-a-uuid): state "Broken" must be Enabled, Disabled or PendingDeletion`,
		`keys[0] (not-a-uuid): alias "alias/aws/s3" must be alias/ followed by [a-zA-Z0-9/_-] and not start with alias/aws/`,
		`buckets[0] (Bad_Bucket): name "Bad_Bucket" breaks the bucket naming rules`,
		`buckets[0] (Bad_Bucket): encryption: kmsKeyId "alias/mine" must be a full key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)`,
		`buckets[0] (Bad_Bucket): versioning "Paused" must be Enabled, Suspended or empty`,
		`buckets[1] (Bad_Bucket): bucket name "Bad_Bucket" is already taken`,
		`buckets[1] (Bad_Bucket).policy: MalformedPolicyDocument: Missing required field Principal`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
}

func TestUnknownFieldAndKeyChecks(t *testing.T) {
	_, err := Parse([]byte(`accounts: [{id: "123456789012", roles: [{name: r, trustPolcy: "{}"}]}]`))
	if err == nil || !strings.Contains(err.Error(), `unknown field "trustPolcy"`) {
		t.Fatalf("misspelt field: %v", err)
	}
	_, err = Parse([]byte(`
accounts:
  - id: "123456789012"
    keys:
      - {id: 11111111-2222-4333-8444-555555555555, region: eu-west-1}
    buckets:
      - name: other-region
        region: us-east-1
        encryption: {type: aws:kms, kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-4333-8444-555555555555"}
      - name: missing-key
        region: us-east-1
        encryption: {type: aws:kms, kmsKeyId: "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-4333-8444-555555555555"}
`))
	for _, want := range []string{
		"key arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-4333-8444-555555555555 is in eu-west-1 but the bucket is in us-east-1",
		"key arn:aws:kms:us-east-1:123456789012:key/11111111-2222-4333-8444-555555555555 is not declared in the world",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}
