package preflight

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
)

const header = "apiVersion: storage.tenantstorage.dev/v1alpha1\nkind: TenantStorage\n"

func TestLoad(t *testing.T) {
	two := header + "metadata:\n  name: a\nspec:\n  region: us-east-1\n---\n" + header + "metadata:\n  name: b\nspec:\n  region: eu-west-1\n"
	for _, c := range []struct {
		name, yaml, pick string
		want             string // the loaded tenant's name/region
		err              string
	}{
		{name: "one", yaml: header + "metadata:\n  name: a\nspec:\n  region: us-east-1\n", want: "a/us-east-1"},
		{name: "JSON", yaml: `{"apiVersion":"storage.tenantstorage.dev/v1alpha1","kind":"TenantStorage","metadata":{"name":"j"},"spec":{"region":"us-east-1"}}`, want: "j/us-east-1"},
		{name: "bundle with other kinds", yaml: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n---\n" + header + "metadata:\n  name: a\nspec:\n  region: us-east-1\n", want: "a/us-east-1"},
		{name: "picked by name", yaml: two, pick: "b", want: "b/eu-west-1"},
		{name: "two without a name", yaml: two, err: "2 TenantStorages: pick one by name"},
		{name: "name not there", yaml: two, pick: "c", err: `no TenantStorage named "c"`},
		{name: "none", yaml: "apiVersion: v1\nkind: ConfigMap\n", err: "no TenantStorage (apiVersion storage.tenantstorage.dev/v1alpha1, kind TenantStorage)"},
		{name: "other version", yaml: "apiVersion: storage.tenantstorage.dev/v1\nkind: TenantStorage\n", err: `TenantStorage has apiVersion "storage.tenantstorage.dev/v1"; this operator reads storage.tenantstorage.dev/v1alpha1`},
		// encoding/json would take bucketARN for bucketArn; the API server drops it.
		{name: "misspelt field", yaml: header + "metadata:\n  name: a\nspec:\n  region: us-east-1\n  bucketARN: arn:aws:s3:::b\n", err: `TenantStorage "a": strict decoding error: unknown field "spec.bucketARN"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts, err := Load(strings.NewReader(c.yaml), c.pick)
			got, gotErr := "", ""
			if err != nil {
				gotErr = err.Error()
			} else {
				got = ts.Name + "/" + ts.Spec.Region
			}
			if got != c.want || gotErr != c.err {
				t.Fatalf("Load = %q, %q; want %q, %q", got, gotErr, c.want, c.err)
			}
		})
	}
}

func TestLoadFileNamesTheFile(t *testing.T) {
	path := tenantFile(t, "kind: ConfigMap\n")
	_, err := LoadFile(path, "")
	if err == nil || err.Error() != path+": no TenantStorage (apiVersion storage.tenantstorage.dev/v1alpha1, kind TenantStorage)" {
		t.Fatalf("err = %v", err)
	}
}

func TestDefault(t *testing.T) {
	ts := &storagev1alpha1.TenantStorage{}
	Default(ts)
	if ts.Namespace != "default" || ts.UID != DefaultUID || ts.Spec.ProbePrefix != ".tenantstorage-probe/" ||
		ts.Spec.SessionDuration.Duration != time.Hour || !slices.Equal(ts.Spec.S3Actions, DefaultS3Actions) {
		t.Fatalf("defaulted to %+v", ts)
	}
	// Values that are set stay.
	ts = &storagev1alpha1.TenantStorage{}
	ts.Namespace, ts.UID, ts.Spec.ProbePrefix = "ns", "uid", "tenant/probe/"
	ts.Spec.S3Actions = []storagev1alpha1.S3Action{storagev1alpha1.S3GetObject}
	Default(ts)
	if ts.Namespace != "ns" || ts.UID != "uid" || ts.Spec.ProbePrefix != "tenant/probe/" || len(ts.Spec.S3Actions) != 1 {
		t.Fatalf("overwrote set values: %+v", ts)
	}
}

// Default applies what the CRD's schema defaults say; a changed marker
// must change both.
func TestDefaultMatchesTheCRD(t *testing.T) {
	b, err := os.ReadFile("../../config/crd/bases/storage.tenantstorage.dev_tenantstorages.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.Unmarshal(b, &crd); err != nil {
		t.Fatal(err)
	}
	spec := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties
	ts := &storagev1alpha1.TenantStorage{}
	Default(ts)
	var actions []storagev1alpha1.S3Action
	if err := yaml.Unmarshal(spec["s3Actions"].Default.Raw, &actions); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ field, crd, ours string }{
		{"s3Actions", strings.Join(toStrings(actions), ","), strings.Join(toStrings(ts.Spec.S3Actions), ",")},
		{"probePrefix", string(spec["probePrefix"].Default.Raw), `"` + ts.Spec.ProbePrefix + `"`},
		{"sessionDuration", string(spec["sessionDuration"].Default.Raw), `"` + strings.TrimSuffix(ts.Spec.SessionDuration.Duration.String(), "0m0s") + `"`},
	} {
		if c.crd != c.ours {
			t.Errorf("%s: the CRD defaults to %s, preflight to %s", c.field, c.crd, c.ours)
		}
	}
}

func toStrings(as []storagev1alpha1.S3Action) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = string(a)
	}
	return out
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		spec storagev1alpha1.TenantStorageSpec
		err  string
	}{
		{storagev1alpha1.TenantStorageSpec{Region: "us-east-1", BucketArn: "arn:aws:s3:::b"}, ""},
		{storagev1alpha1.TenantStorageSpec{BucketArn: "arn:aws:s3:::b"}, "spec.region is required"},
		{storagev1alpha1.TenantStorageSpec{Region: "us-east-1"}, "set spec.bucketArn, spec.kmsKeyArn or both: a tenant brings a bucket, a key, or both"},
		{storagev1alpha1.TenantStorageSpec{Region: "us-east-1", BucketArn: "arn:aws:s3:::b", ExternalID: "x1"}, "spec.externalId is only sent when assuming spec.roleArn: set roleArn or remove externalId"},
	} {
		err := Validate(&storagev1alpha1.TenantStorage{Spec: c.spec})
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != c.err {
			t.Errorf("Validate(%+v) = %q, want %q", c.spec, got, c.err)
		}
	}
}
