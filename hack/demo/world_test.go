package main

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"sigs.k8s.io/yaml"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/internal/seedworld"
)

const samplesDir = "../../config/samples"

// loadSamples reads config/samples through its kustomization's resources.
func loadSamples(t *testing.T) map[string]storagev1alpha1.TenantStorage {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(samplesDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(raw, &k); err != nil {
		t.Fatal(err)
	}
	out := map[string]storagev1alpha1.TenantStorage{}
	for _, r := range k.Resources {
		raw, err := os.ReadFile(filepath.Join(samplesDir, r))
		if err != nil {
			t.Fatal(err)
		}
		var ts storagev1alpha1.TenantStorage
		if err := yaml.UnmarshalStrict(raw, &ts); err != nil {
			t.Fatalf("%s: %v", r, err)
		}
		out[ts.Name] = ts
	}
	return out
}

// TestSamplesMatchTheWorld keeps config/samples and the demo world in step:
// each sample names its customer's real role, bucket and key, and differs
// from the customer's setup only where the story says so.
func TestSamplesMatchTheWorld(t *testing.T) {
	got := loadSamples(t)
	var names, want []string
	for n := range got {
		names = append(names, n)
	}
	for _, s := range samples {
		want = append(want, s.name)
	}
	sort.Strings(names)
	sort.Strings(want)
	if len(names) != len(want) {
		t.Fatalf("config/samples holds %v, the demo expects %v", names, want)
	}
	for i := range names {
		if names[i] != want[i] {
			t.Fatalf("config/samples holds %v, the demo expects %v", names, want)
		}
	}

	for _, s := range samples {
		spec := got[s.name].Spec
		c := s.customer
		if spec.RoleArn != c.RoleARN() || spec.Region != c.Region || spec.BucketArn != c.BucketARN() || spec.KMSKeyArn != c.KeyARN() {
			t.Errorf("%s: sample names role %q, region %q, bucket %q, key %q; the world has %q, %q, %q, %q",
				s.name, spec.RoleArn, spec.Region, spec.BucketArn, spec.KMSKeyArn, c.RoleARN(), c.Region, c.BucketARN(), c.KeyARN())
		}
		switch s.name {
		case "acme":
			if spec.ExternalID != c.ExternalID {
				t.Errorf("acme: sample externalId %q, trust policy's %q: acme must be set up exactly as the guides say", spec.ExternalID, c.ExternalID)
			}
		case "globex":
			if spec.ExternalID != globexSentExternalID || spec.ExternalID == c.ExternalID || c.ExternalID == "" {
				t.Errorf("globex: sample externalId %q must differ from the trust policy's %q (and be %q)", spec.ExternalID, c.ExternalID, globexSentExternalID)
			}
			if c.Mode != seedworld.Chained {
				t.Errorf("globex must be set up like acme (Chained)")
			}
		case "initech":
			if c.Mode != seedworld.Direct || spec.RoleArn != "" || spec.ExternalID != "" {
				t.Errorf("initech: guide 004 Option A has no client role: mode %v, roleArn %q, externalId %q", c.Mode, spec.RoleArn, spec.ExternalID)
			}
		default:
			t.Errorf("no check for sample %s", s.name)
		}
	}
}

func TestTheDemoWorldBuilds(t *testing.T) {
	w, err := seedworld.World(vendor, customers()...)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Accounts) != 1+len(samples) {
		t.Errorf("%d accounts, want the vendor and %d customers", len(w.Accounts), len(samples))
	}
	seen := map[string]bool{vendor.AccountID: true}
	for _, s := range samples {
		if seen[s.customer.AccountID] {
			t.Errorf("account %s is used twice", s.customer.AccountID)
		}
		seen[s.customer.AccountID] = true
	}
}
