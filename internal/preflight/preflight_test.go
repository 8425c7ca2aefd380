package preflight

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/tenantstorage/tenantstorage-operator/internal/awsauth"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/localawstest"
	"github.com/tenantstorage/tenantstorage-operator/internal/seedworld"
	"github.com/tenantstorage/tenantstorage-operator/internal/verify"
)

var (
	vendor = seedworld.Vendor{}.Fill()
	// acme followed guide 000 to the letter; initech chose guide 004's
	// Option A and pasted its bucket policy, which grants s3:ListBucket on
	// bucket/* only.
	acme    = seedworld.Customer{Name: "acme", AccountID: "222222222222", Mode: seedworld.Chained}.Fill()
	initech = seedworld.Customer{Name: "initech", AccountID: "444444444444", Mode: seedworld.Direct}.Fill()
)

// verifier serves the vendor and the customers from an in-process
// localaws, reached through the SDK's standard variables only.
func verifier(t *testing.T) *verify.Verifier {
	t.Helper()
	w, err := seedworld.World(vendor, acme, initech)
	if err != nil {
		t.Fatal(err)
	}
	localawstest.Serve(t, w, localawstest.Identity{AccessKeyID: vendor.AccessKeyID, SecretAccessKey: vendor.SecretAccessKey, Region: "us-east-1"})
	base, err := awsauth.LoadBase(context.Background(), awsauth.BaseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return &verify.Verifier{Sessions: awsauth.New(base, vendor.ServiceRoleARN()), ClientRolePattern: vendor.ClientRolePattern}
}

func tenantFile(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tenant.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// rows splits the printed tables into cells: tabwriter pads with at least
// two spaces, and no cell holds two spaces in a row.
func rows(out string) [][]string {
	var rs [][]string
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		rs = append(rs, regexp.MustCompile(`\s{2,}`).Split(strings.TrimRight(line, " "), -1))
	}
	return rs
}

// assertRows compares the printed report with want, row by row.
func assertRows(t *testing.T, want [][]string, out string) {
	t.Helper()
	got := rows(out)
	if reflect.DeepEqual(want, got) {
		return
	}
	for i := range max(len(want), len(got)) {
		var w, g []string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if !reflect.DeepEqual(w, g) {
			t.Errorf("row %d:\nwant %q\n got %q", i+1, w, g)
		}
	}
	t.Fatalf("report:\n%s", out)
}

func TestRunGoodTenant(t *testing.T) {
	v := verifier(t)
	// As config/samples has it: only what the customer sent back, the CRD
	// defaults fill the rest.
	ts, err := LoadFile(tenantFile(t, `apiVersion: storage.tenantstorage.dev/v1alpha1
kind: TenantStorage
metadata:
  name: acme
spec:
  roleArn: `+acme.RoleARN()+`
  region: us-east-1
  externalId: acme-external-id-2024
  bucketArn: `+acme.BucketARN()+`
  kmsKeyArn: `+acme.KeyARN()+`
`), "")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	ok, err := Run(context.Background(), v, ts, &out)
	if err != nil {
		t.Fatal(err)
	}
	session := "arn:aws:sts::222222222222:assumed-role/AlphaSense-DocumentStorage-ClientRole/ts-default.acme"
	want := [][]string{
		{"TenantStorage default/acme"},
		{"Identity " + session},
		{""},
		{"CONDITION", "STATUS", "REASON", "MESSAGE"},
		{"TrustVerified", "True", "Verified", "assumed " + acme.RoleARN() + " as " + session + " with the ExternalId; without it and with a wrong one AWS refused, as it should"},
		{"PermissionsVerified", "True", "Verified", "5 S3 actions allowed in s3://acme-document-bucket/.tenantstorage-probe/"},
		{"EncryptionVerified", "True", "Verified", "new objects are encrypted with SSE-KMS and " + acme.KeyARN()},
		{"KeyAccessVerified", "True", "Verified", acme.KeyARN() + " is an enabled symmetric key in us-east-1; DescribeKey, GenerateDataKey, Decrypt, Encrypt and ReEncrypt succeeded"},
		{""},
		{"ACTION", "RESULT", "MESSAGE"},
		{"s3:GetObject", "Allowed"}, {"s3:PutObject", "Allowed"}, {"s3:RestoreObject", "Allowed"}, {"s3:ListBucket", "Allowed"}, {"s3:DeleteObject", "Allowed"},
		{"kms:DescribeKey", "Allowed"}, {"kms:GenerateDataKey", "Allowed"}, {"kms:Decrypt", "Allowed"}, {"kms:Encrypt", "Allowed"}, {"kms:ReEncrypt", "Allowed"},
		{""},
		{"All checks passed."},
	}
	assertRows(t, want, out.String())
	if !ok {
		t.Fatal("Run reported a failure")
	}
}

func TestRunBrokenTenant(t *testing.T) {
	v := verifier(t)
	ts, err := LoadFile(tenantFile(t, `apiVersion: storage.tenantstorage.dev/v1alpha1
kind: TenantStorage
metadata:
  name: initech
  namespace: customers
spec:
  region: us-east-1
  bucketArn: `+initech.BucketARN()+`
  kmsKeyArn: `+initech.KeyARN()+`
`), "")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	ok, err := Run(context.Background(), v, ts, &out)
	if err != nil {
		t.Fatal(err)
	}
	service := "arn:aws:sts::111111111111:assumed-role/document-storage-role/tenantstorage-operator"
	listDenied := "s3:ListBucket is denied on arn:aws:s3:::initech-document-bucket. It is granted on the bucket ARN itself, not on arn:aws:s3:::initech-document-bucket/* (onboarding guide 004's Option A bucket policy makes this mistake): " +
		"add arn:aws:s3:::initech-document-bucket to the Resource of the bucket policy statement that names " + vendor.ServiceRoleARN() + ", and make sure no Deny statement matches it (onboarding guide 004, Option A)"
	want := [][]string{
		{"TenantStorage customers/initech"},
		{"Identity " + service},
		{""},
		{"CONDITION", "STATUS", "REASON", "MESSAGE"},
		{"TrustVerified", "True", "DirectAccess", "no roleArn: the operator's service identity " + service + " uses the bucket and key directly, so their policies must name it (onboarding guide 004, Option A)"},
		{"PermissionsVerified", "False", "ActionsDenied", listDenied},
		{"EncryptionVerified", "True", "Verified", "new objects are encrypted with SSE-KMS and " + initech.KeyARN()},
		{"KeyAccessVerified", "True", "Verified", initech.KeyARN() + " is an enabled symmetric key in us-east-1; DescribeKey, GenerateDataKey, Decrypt, Encrypt and ReEncrypt succeeded"},
		{""},
		{"ACTION", "RESULT", "MESSAGE"},
		{"s3:GetObject", "Allowed"}, {"s3:PutObject", "Allowed"}, {"s3:RestoreObject", "Allowed"}, {"s3:ListBucket", "Denied", listDenied}, {"s3:DeleteObject", "Allowed"},
		{"kms:DescribeKey", "Allowed"}, {"kms:GenerateDataKey", "Allowed"}, {"kms:Decrypt", "Allowed"}, {"kms:Encrypt", "Allowed"}, {"kms:ReEncrypt", "Allowed"},
		{""},
		{"1 of 4 checks did not pass."},
	}
	assertRows(t, want, out.String())
	if ok {
		t.Fatal("Run reported success")
	}
}
