package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/internal/awsauth"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/localawstest"
	"github.com/tenantstorage/tenantstorage-operator/internal/policy"
	"github.com/tenantstorage/tenantstorage-operator/internal/seeds"
	"github.com/tenantstorage/tenantstorage-operator/internal/seedworld"
)

var (
	vendor  = seedworld.Vendor{}.Fill()
	acme    = seedworld.Customer{Name: "acme", AccountID: "222222222222", Mode: seedworld.Chained}.Fill()
	initech = seedworld.Customer{Name: "initech", AccountID: "444444444444", Mode: seedworld.Direct}.Fill()
	svc     = vendor.ServiceRoleARN()
)

// run calls Run as main would, with the files it needs in t.TempDir().
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	handled, code := Run(args, &out, &errOut)
	if !handled {
		t.Fatalf("Run(%q) did not handle the subcommand", args)
	}
	return code, out.String(), errOut.String()
}

func write(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func tenantYAML(name string, c seedworld.Customer, externalID string) string {
	y := "apiVersion: storage.tenantstorage.dev/v1alpha1\nkind: TenantStorage\nmetadata:\n  name: " + name + "\nspec:\n  region: " + c.Region + "\n"
	if c.RoleARN() != "" {
		y += "  roleArn: " + c.RoleARN() + "\n"
	}
	if externalID != "" {
		y += "  externalId: " + externalID + "\n"
	}
	return y + "  bucketArn: " + c.BucketARN() + "\n  kmsKeyArn: " + c.KeyARN() + "\n"
}

func acmeInput() policy.RenderInput {
	return policy.RenderInput{ServiceRoleARN: svc, ClientRoleARN: acme.RoleARN(), Region: "us-east-1", ExternalID: acme.ExternalID,
		BucketARN: acme.BucketARN(), KeyARN: acme.KeyARN(), S3Actions: policy.GuideS3Actions}
}

func TestRunLeavesOtherArgumentsToTheManager(t *testing.T) {
	for _, args := range [][]string{nil, {}, {"--metrics-bind-address=:8080"}, {"-leader-elect"}, {"serve"}, {"Render"}} {
		var out bytes.Buffer
		if handled, code := Run(args, &out, &out); handled || code != 0 || out.Len() > 0 {
			t.Errorf("Run(%q) = %v, %d, %q; want the manager to run", args, handled, code, out.String())
		}
	}
}

func TestUsageListsTheSubcommands(t *testing.T) {
	want := "Subcommands (run one with -h for its flags):\n" +
		"  lint       explain the problems in the policy documents a customer applied\n" +
		"  preflight  run the operator's checks for a TenantStorage file against AWS, without a cluster\n" +
		"  render     write the exact trust, permissions, bucket and key policies and AWS CLI commands for a tenant\n"
	if got := Usage(); got != want {
		t.Fatalf("Usage() = %q", got)
	}
}

func TestRenderFromFile(t *testing.T) {
	file := write(t, "acme.yaml", tenantYAML("acme", acme, acme.ExternalID))
	code, out, errOut := run(t, "render", "-f", file, "--service-role-arn", svc)
	want, err := policy.Render(acmeInput())
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 || errOut != "" || out != want.Markdown() {
		t.Fatalf("code %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
}

func TestRenderJSONAndFiles(t *testing.T) {
	file := write(t, "acme.yaml", tenantYAML("acme", acme, acme.ExternalID))
	dir := filepath.Join(t.TempDir(), "acme")
	code, out, errOut := run(t, "render", "-f", file, "--service-role-arn", svc, "-o", "json", "--out-dir", dir)
	if code != 0 || errOut != "" {
		t.Fatalf("code %d, stderr %q", code, errOut)
	}
	want, _ := policy.Render(acmeInput())
	var got policy.Documents
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	// JSON output nests the documents as objects; compare them compacted.
	for name, pair := range map[string][2][]byte{
		"trust": {got.TrustPolicy, want.TrustPolicy}, "permissions": {got.PermissionsPolicy, want.PermissionsPolicy},
		"bucket": {got.BucketPolicy, want.BucketPolicy}, "key": {got.KeyPolicy, want.KeyPolicy},
	} {
		var a, b bytes.Buffer
		_ = json.Compact(&a, pair[0])
		_ = json.Compact(&b, pair[1])
		if a.String() != b.String() {
			t.Errorf("%s policy: got %s want %s", name, a.String(), b.String())
		}
	}
	if got.Mode != policy.Chained || got.Commands != want.Commands || !reflect.DeepEqual(got.Tenant, want.Tenant) {
		t.Errorf("got %+v", got)
	}
	for _, f := range append(want.Files(), policy.File{Name: "README.md", Content: []byte(want.Markdown())}) {
		b, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil || !bytes.Equal(b, f.Content) {
			t.Errorf("%s: %v, content differs: %v", f.Name, err, !bytes.Equal(b, f.Content))
		}
	}
}

// From the cluster, the ExternalId is the one the operator generated and
// wrote to status when spec has none.
func TestRenderFromCluster(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := storagev1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	ts := &storagev1alpha1.TenantStorage{
		ObjectMeta: metav1.ObjectMeta{Namespace: "tenants", Name: "acme"},
		Spec:       storagev1alpha1.TenantStorageSpec{RoleArn: acme.RoleARN(), Region: "us-east-1", BucketArn: acme.BucketARN(), KMSKeyArn: acme.KeyARN()},
		Status:     storagev1alpha1.TenantStorageStatus{ExternalID: "ts-generated0000000000000000000000"},
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(ts).WithStatusSubresource(ts).Build()
	var kubeconfig string
	prev := newClusterClient
	newClusterClient = func(path string) (client.Client, string, error) {
		kubeconfig = path
		return c, "tenants", nil
	}
	t.Cleanup(func() { newClusterClient = prev })

	code, out, errOut := run(t, "render", "--name", "acme", "--kubeconfig", "/etc/kube/config", "--service-role-arn", svc)
	in := acmeInput()
	in.ExternalID = "ts-generated0000000000000000000000"
	want, _ := policy.Render(in)
	if code != 0 || errOut != "" || out != want.Markdown() || kubeconfig != "/etc/kube/config" {
		t.Fatalf("code %d, stderr %q, kubeconfig %q, stdout:\n%s", code, errOut, kubeconfig, out)
	}

	code, _, errOut = run(t, "render", "--name", "acme", "--namespace", "other", "--service-role-arn", svc)
	if code != 2 || errOut != `render: reading TenantStorage other/acme: tenantstorages.storage.tenantstorage.dev "acme" not found`+"\n" {
		t.Fatalf("code %d, stderr %q", code, errOut)
	}
}

func TestRenderRefusesBadInput(t *testing.T) {
	file := write(t, "acme.yaml", tenantYAML("acme", acme, ""))
	for _, c := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"-f", file}, `render: TenantStorage default/acme: service role ARN "" is not an IAM role ARN such as arn:aws:iam::123456789012:role/name` + "\n"},
		{[]string{"-f", file, "--service-role-arn", svc}, `render: TenantStorage default/acme: the tenant has no valid ExternalId (""): a client role's trust policy must require one (2-1224 characters of [\w+=,.@:/-])` + "\n"},
		{[]string{"--service-role-arn", svc}, "render: name the tenant: -f file.yaml, or --name (and --namespace) to read it from the cluster\n"},
		{[]string{"-f", file, "--service-role-arn", svc, "--external-id", "x1", "-o", "yaml"}, "render: -o must be text or json, not \"yaml\"\n"},
		{[]string{"-f", file, "extra"}, "render: unexpected argument \"extra\"\n"},
	} {
		code, out, errOut := run(t, append([]string{"render"}, c.args...)...)
		if code != 2 || out != "" || errOut != c.stderr {
			t.Errorf("render %q: code %d, stdout %q, stderr %q; want 2 and %q", c.args, code, out, errOut, c.stderr)
		}
	}
	code, _, errOut := run(t, "render", "--no-such-flag")
	if code != 2 || !strings.HasPrefix(errOut, "flag provided but not defined: -no-such-flag\nUsage: render ") {
		t.Errorf("code %d, stderr %q", code, errOut)
	}
	code, _, errOut = run(t, "render", "-h")
	if code != 0 || !strings.Contains(errOut, "-service-role-arn string") {
		t.Errorf("-h: code %d, stderr %q", code, errOut)
	}
}

func TestLintGuide004OptionA(t *testing.T) {
	tenant := write(t, "initech.yaml", tenantYAML("initech", initech, ""))
	optionA := write(t, "bucket-policy.json", seeds.MustFill(seeds.OptionABucketPolicy, seeds.Values{
		VendorAccountID: vendor.AccountID, BucketName: initech.BucketName(), CustomerFacingRoleName: "document-storage-role",
	}))
	code, out, errOut := run(t, "lint", "-f", tenant, "--service-role-arn", svc, "--bucket-policy", optionA)
	bucket := initech.BucketARN()
	want := "ERROR bucket policy, statement #1: s3:ListBucket is granted only on object ARNs (" + bucket + "/*): it is a bucket-level action, authorized on the bucket ARN " + bucket + ", so this grants no listing (guide 004's Option A example makes this mistake).\n" +
		"  fix: add " + bucket + " to this statement's Resource, or grant s3:ListBucket on it in a statement of its own.\n" +
		"\n" +
		"Checked bucket policy: 1 error, 0 warnings.\n"
	if code != 1 || errOut != "" || out != want {
		t.Fatalf("code %d, stderr %q, stdout:\n%s", code, errOut, out)
	}

	code, out, _ = run(t, "lint", "-f", tenant, "--service-role-arn", svc, "--bucket-policy", optionA, "-o", "json")
	var findings []policy.Finding
	if err := json.Unmarshal([]byte(out), &findings); err != nil || code != 1 || len(findings) != 1 || findings[0].Statement != "#1" || findings[0].Severity != policy.Error {
		t.Fatalf("code %d, err %v, findings %+v", code, err, findings)
	}
}

// What render writes, lint passes; warnings alone do not fail.
func TestLintRenderedDocuments(t *testing.T) {
	tenant := write(t, "acme.yaml", tenantYAML("acme", acme, acme.ExternalID))
	dir := t.TempDir()
	if code, _, errOut := run(t, "render", "-f", tenant, "--service-role-arn", svc, "--out-dir", dir); code != 0 {
		t.Fatal(errOut)
	}
	args := []string{"lint", "-f", tenant, "--service-role-arn", svc,
		"--trust-policy", filepath.Join(dir, policy.TrustPolicyFile), "--permissions-policy", filepath.Join(dir, policy.PermissionsPolicyFile),
		"--bucket-policy", filepath.Join(dir, policy.BucketPolicyFile), "--key-policy", filepath.Join(dir, policy.KeyPolicyFile)}
	code, out, errOut := run(t, args...)
	if code != 0 || errOut != "" || out != "Checked trust policy, permissions policy, bucket policy, key policy: 0 errors, 0 warnings.\n" {
		t.Fatalf("code %d, stderr %q, stdout:\n%s", code, errOut, out)
	}

	// The guide's key policy statement alone, without the root statement.
	statement := filepath.Join(dir, policy.KeyPolicyStatementFile)
	b, _ := os.ReadFile(statement)
	keyPolicy := write(t, "key-policy.json", `{"Version":"2012-10-17","Statement":[`+string(b)+`]}`)
	code, out, _ = run(t, "lint", "-f", tenant, "--service-role-arn", svc, "--key-policy", keyPolicy)
	if code != 0 || !strings.HasPrefix(out, "WARNING key policy: the key policy has no root statement for arn:aws:iam::222222222222:root") ||
		!strings.HasSuffix(out, "Checked key policy: 0 errors, 1 warning.\n") {
		t.Fatalf("code %d, stdout:\n%s", code, out)
	}
}

func TestLintNeedsADocument(t *testing.T) {
	tenant := write(t, "acme.yaml", tenantYAML("acme", acme, acme.ExternalID))
	code, _, errOut := run(t, "lint", "-f", tenant, "--service-role-arn", svc)
	if code != 2 || errOut != "lint: give at least one document: --trust-policy, --permissions-policy, --bucket-policy or --key-policy\n" {
		t.Fatalf("code %d, stderr %q", code, errOut)
	}
	code, _, errOut = run(t, "lint", "-f", tenant, "--service-role-arn", svc, "--trust-policy", "/no/such/file.json")
	if code != 2 || errOut != "lint: open /no/such/file.json: no such file or directory\n" {
		t.Fatalf("code %d, stderr %q", code, errOut)
	}
}

// localAWS serves the vendor and the customers in process; the SDK finds
// it through the standard variables only.
func localAWS(t *testing.T) {
	t.Helper()
	w, err := seedworld.World(vendor, acme, initech)
	if err != nil {
		t.Fatal(err)
	}
	// No region: preflight takes the tenant's.
	localawstest.Serve(t, w, localawstest.Identity{AccessKeyID: vendor.AccessKeyID, SecretAccessKey: vendor.SecretAccessKey})
}

func TestPreflight(t *testing.T) {
	localAWS(t)
	good := write(t, "acme.yaml", tenantYAML("acme", acme, acme.ExternalID))
	// Common Issue 2 of guide 000: the ExternalId differs from the trust
	// policy's.
	wrongID := write(t, "acme-wrong.yaml", tenantYAML("acme", acme, "acme-external-id-2025"))
	session := awsauth.SessionARN(acme.RoleARN(), "ts-default.acme")

	// No AWS_REGION: the service role's STS calls go to the tenant's region.
	code, out, errOut := run(t, "preflight", "-f", good, "--service-role-arn", svc, "--client-role-pattern", vendor.ClientRolePattern)
	lines := strings.Split(out, "\n")
	if code != 0 || errOut != "" || lines[1] != "Identity "+session || !strings.HasPrefix(lines[4], "TrustVerified        True    Verified  assumed ") ||
		!strings.HasSuffix(out, "\nAll checks passed.\n") {
		t.Fatalf("code %d, stderr %q, stdout:\n%s", code, errOut, out)
	}

	code, out, errOut = run(t, "preflight", "-f", wrongID, "--service-role-arn", svc, "--client-role-pattern", vendor.ClientRolePattern)
	lines = strings.Split(out, "\n")
	if code != 1 || errOut != "" || lines[1] != "" ||
		!strings.HasPrefix(lines[3], "TrustVerified        False    AssumeRoleDenied  AccessDenied: User: arn:aws:sts::111111111111:assumed-role/document-storage-role/tenantstorage-operator is not authorized to perform: sts:AssumeRole on resource: "+acme.RoleARN()) ||
		lines[4] != "PermissionsVerified  Unknown  WaitingForTrust   not checked: the tenant's session could not be obtained (see TrustVerified)" ||
		!strings.HasSuffix(out, "\n4 of 4 checks did not pass.\n") {
		t.Fatalf("code %d, stderr %q, stdout:\n%s", code, errOut, out)
	}

	code, _, errOut = run(t, "preflight", "--name", "acme")
	if code != 2 || !strings.HasPrefix(errOut, "Usage: preflight -f tenant.yaml") {
		t.Fatalf("code %d, stderr %q", code, errOut)
	}
	invalid := write(t, "invalid.yaml", "apiVersion: storage.tenantstorage.dev/v1alpha1\nkind: TenantStorage\nmetadata:\n  name: x\nspec:\n  region: us-east-1\n")
	code, _, errOut = run(t, "preflight", "-f", invalid)
	if code != 2 || errOut != "preflight: set spec.bucketArn, spec.kmsKeyArn or both: a tenant brings a bucket, a key, or both\n" {
		t.Fatalf("code %d, stderr %q", code, errOut)
	}
}
