package policy

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tenantstorage/tenantstorage-operator/internal/iampolicy"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name; go test -update rewrites it
// (then read the diff: these are the documents customers apply).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Fatalf("%s differs; %s", path, firstDifference(string(want), got))
	}
}

// firstDifference shows the first line where want and got differ.
func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl || i >= len(w) || i >= len(g) {
			return fmt.Sprintf("line %d:\nwant %q\n got %q", i+1, wl, gl)
		}
	}
	return "no difference"
}

func TestRenderGolden(t *testing.T) {
	withPath := chained()
	withPath.ClientRoleARN = "arn:aws:iam::222222222222:role/vendors/AlphaSense-DocumentStorage-ClientRole-acme"
	for name, in := range map[string]RenderInput{
		"chained.md": chained(), "key-only.md": keyOnly(), "direct.md": direct(), "role-path.md": withPath,
	} {
		t.Run(name, func(t *testing.T) {
			d, err := Render(in)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name, d.Markdown())
		})
	}
}

func TestRenderModesAndFiles(t *testing.T) {
	for _, c := range []struct {
		in    RenderInput
		mode  Mode
		files []string
	}{
		{chained(), Chained, []string{TrustPolicyFile, PermissionsPolicyFile, BucketPolicyFile, KeyPolicyFile, KeyPolicyStatementFile}},
		{keyOnly(), KeyOnly, []string{TrustPolicyFile, PermissionsPolicyFile, KeyPolicyFile, KeyPolicyStatementFile}},
		{direct(), Direct, []string{BucketPolicyFile, KeyPolicyFile, KeyPolicyStatementFile}},
		{func() RenderInput { in := direct(); in.KeyARN = ""; return in }(), Direct, []string{BucketPolicyFile}},
	} {
		d, err := Render(c.in)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range d.Files() {
			names = append(names, f.Name)
			// Every file is a document (or statement) AWS accepts.
			text := f.Content
			if f.Name == KeyPolicyStatementFile {
				text = doc(string(f.Content))
			}
			if _, err := iampolicy.Parse(text); err != nil {
				t.Errorf("%s %s: %v", c.mode, f.Name, err)
			}
		}
		if d.Mode != c.mode || !slices.Equal(names, c.files) {
			t.Errorf("%+v: mode %s files %v; want %s %v", c.in, d.Mode, names, c.mode, c.files)
		}
	}
}

// The same tenant gives the same bytes, so re-rendering never shows a
// spurious diff to the customer.
func TestRenderIsStable(t *testing.T) {
	a, err := Render(chained())
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		b, _ := Render(chained())
		if !reflect.DeepEqual(a, b) {
			t.Fatal("two renders differ")
		}
	}
	j, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "chained.json", string(j)+"\n")
}

func TestRenderRefusesWhatItCannotRender(t *testing.T) {
	for _, c := range []struct {
		edit func(*RenderInput)
		err  string
	}{
		{func(in *RenderInput) { in.ServiceRoleARN = "" }, `service role ARN "" is not an IAM role ARN such as arn:aws:iam::123456789012:role/name`},
		{func(in *RenderInput) { in.ClientRoleARN = "arn:aws:iam::222222222222:user/acme" }, `client role ARN "arn:aws:iam::222222222222:user/acme" is not an IAM role ARN such as arn:aws:iam::123456789012:role/name`},
		{func(in *RenderInput) { in.Region = "" }, "the tenant's region is required"},
		{func(in *RenderInput) { in.BucketARN, in.KeyARN = "", "" }, "the tenant has neither a bucket ARN nor a key ARN: it brings a bucket, a key, or both"},
		{func(in *RenderInput) { in.ExternalID = "" }, `the tenant has no valid ExternalId (""): a client role's trust policy must require one (2-1224 characters of [\w+=,.@:/-])`},
		{func(in *RenderInput) { in.ExternalID = "has space" }, `the tenant has no valid ExternalId ("has space"): a client role's trust policy must require one (2-1224 characters of [\w+=,.@:/-])`},
		{func(in *RenderInput) { in.BucketARN = objects }, `bucket ARN "arn:aws:s3:::acme-document-bucket/*" is not an S3 bucket ARN such as arn:aws:s3:::document-bucket`},
		{func(in *RenderInput) { in.KeyARN = "arn:aws:kms:eu-west-1:222222222222:alias/acme" }, `key ARN "arn:aws:kms:eu-west-1:222222222222:alias/acme" is not a KMS key ARN such as arn:aws:kms:us-east-1:123456789012:key/<key id>`},
		{func(in *RenderInput) { in.Region = "us-east-1" }, "key " + key + " is in eu-west-1 but the tenant's region is us-east-1: S3 can only use a key in the bucket's region"},
		{func(in *RenderInput) { in.S3Actions = []string{"GetObject"} }, `S3 action "GetObject" is not spelled as in IAM policies, e.g. s3:GetObject`},
	} {
		in := chained()
		c.edit(&in)
		_, err := Render(in)
		if err == nil || err.Error() != c.err {
			t.Errorf("Render(%+v): err = %v, want %s", in, err, c.err)
		}
	}
}
