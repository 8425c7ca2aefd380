// Package gitops checks how GitOps tools read a TenantStorage's health:
// kstatus (sigs.k8s.io/cli-utils, used by Flux, kpt and kapply) from the
// conditions the operator writes, and Argo CD through the Lua health check
// shipped in docs/argocd-health.lua.
package gitops

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/internal/argohealth"
)

func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// load reads a fixture as an unstructured object, after checking that it
// is a valid TenantStorage (every field exists in the API), so that the
// fixtures cannot drift from what the operator writes.
func load(t *testing.T, name string) *unstructured.Unstructured {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var typed storagev1alpha1.TenantStorage
	if err := yaml.UnmarshalStrict(raw, &typed); err != nil {
		t.Fatalf("%s is not a TenantStorage: %v", name, err)
	}
	// As the API server serves it: integers are int64.
	j, err := yaml.YAMLToJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(j); err != nil {
		t.Fatal(err)
	}
	return u
}

func argoScript(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root(), "docs", "argocd-health.lua"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestKstatus(t *testing.T) {
	for _, tc := range []struct {
		fixture string
		want    status.Status
		message string
	}{
		// observedGeneration == generation, Ready True, neither
		// Reconciling nor Stalled.
		{"ready.yaml", status.CurrentStatus, "Resource is Ready"},
		// Ready False and Stalled True.
		{"failing.yaml", status.FailedStatus, "TrustVerified: AccessDenied: the role's trust policy refused the ExternalId globex-external-id-2025"},
		// Reconciling True.
		{"reconciling.yaml", status.InProgressStatus, "retrying after a transient AWS error: AWS did not answer definitively (Throttling: Rate exceeded); retrying"},
		// observedGeneration behind generation, whatever Ready says.
		{"generation-behind.yaml", status.InProgressStatus, "TenantStorage generation is 2, but latest observed generation is 1"},
		// kstatus's known limit, documented in docs/gitops.md: with no
		// status there is no observedGeneration to compare.
		{"new.yaml", status.CurrentStatus, "Resource is current"},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			res, err := status.Compute(load(t, tc.fixture))
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tc.want || res.Message != tc.message {
				t.Errorf("kstatus = %s %q, want %s %q", res.Status, res.Message, tc.want, tc.message)
			}
		})
	}
}

func TestArgoCDHealthCheck(t *testing.T) {
	script := argoScript(t)
	for _, tc := range []struct {
		fixture string
		want    argohealth.Status
	}{
		{"ready.yaml", argohealth.Status{Status: argohealth.Healthy,
			Message: "trust, permissions, encryption and key access verified; the Secret is current"}},
		{"failing.yaml", argohealth.Status{Status: argohealth.Degraded,
			Message: "AssumeRoleDenied: TrustVerified: AccessDenied: the role's trust policy refused the ExternalId globex-external-id-2025"}},
		{"reconciling.yaml", argohealth.Status{Status: argohealth.Progressing,
			Message: "TransientError: retrying after a transient AWS error: AWS did not answer definitively (Throttling: Rate exceeded); retrying"}},
		{"generation-behind.yaml", argohealth.Status{Status: argohealth.Progressing,
			Message: "Waiting for the operator to verify generation 2 (status describes generation 1)"}},
		{"new.yaml", argohealth.Status{Status: argohealth.Progressing,
			Message: "Waiting for the operator to verify the tenant's AWS setup"}},
		{"suspended.yaml", argohealth.Status{Status: argohealth.Suspended,
			Message: "Verification is suspended (spec.suspend is true)"}},
		// A person must act; a retry elsewhere does not change that.
		{"stalled-and-retrying.yaml", argohealth.Status{Status: argohealth.Degraded,
			Message: "AssumeRoleDenied: TrustVerified: AccessDenied"}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			got, err := argohealth.Evaluate(script, load(t, tc.fixture).Object)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Argo CD health = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestArgoCDAndKstatusAgree checks that the two readings never contradict
// each other on the fixtures both understand.
func TestArgoCDAndKstatusAgree(t *testing.T) {
	script := argoScript(t)
	agree := map[status.Status]string{
		status.CurrentStatus:    argohealth.Healthy,
		status.InProgressStatus: argohealth.Progressing,
		status.FailedStatus:     argohealth.Degraded,
	}
	for _, f := range []string{"ready.yaml", "failing.yaml", "reconciling.yaml", "generation-behind.yaml"} {
		u := load(t, f)
		res, err := status.Compute(u)
		if err != nil {
			t.Fatal(err)
		}
		got, err := argohealth.Evaluate(script, u.Object)
		if err != nil {
			t.Fatal(err)
		}
		if agree[res.Status] != got.Status {
			t.Errorf("%s: kstatus %s but Argo CD %s", f, res.Status, got.Status)
		}
	}
}

// TestArgoCDHealthCheckRejectsBadScripts shows that the harness can fail:
// Argo CD refuses scripts that error, return no table or an unknown status,
// or use the string library it does not load.
func TestArgoCDHealthCheckRejectsBadScripts(t *testing.T) {
	obj := load(t, "ready.yaml").Object
	for name, script := range map[string]string{
		"error":          `error("boom")`,
		"no table":       `return "Healthy"`,
		"unknown status": `return {status = "Fine"}`,
		"string library": `local hs = {status = "Healthy"}; hs.message = string.upper(obj.metadata.name); return hs`,
		"string method":  `local hs = {status = "Healthy"}; hs.message = obj.metadata.name:upper(); return hs`,
	} {
		if got, err := argohealth.Evaluate(script, obj); err == nil {
			t.Errorf("%s: got %+v, want an error", name, got)
		}
	}
}

// TestGitopsDocEmbedsTheScript checks that the argocd-cm snippet in
// docs/gitops.md carries docs/argocd-health.lua verbatim.
func TestGitopsDocEmbedsTheScript(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(root(), "docs", "gitops.md"))
	if err != nil {
		t.Fatal(err)
	}
	const key = "resource.customizations.health.storage.tenantstorage.dev_TenantStorage: |"
	m := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(doc, -1)
	var block string
	for _, b := range m {
		if strings.Contains(string(b[1]), key) {
			block = string(b[1])
		}
	}
	if block == "" {
		t.Fatalf("docs/gitops.md has no yaml block with %q", key)
	}
	var cm struct {
		Kind string            `json:"kind"`
		Data map[string]string `json:"data"`
	}
	if err := yaml.Unmarshal([]byte(block), &cm); err != nil {
		t.Fatalf("the argocd-cm snippet is not valid YAML: %v", err)
	}
	embedded := cm.Data[strings.TrimSuffix(key, ": |")]
	if cm.Kind != "ConfigMap" || embedded == "" {
		t.Fatalf("the snippet is not a ConfigMap with the health key: %+v", cm)
	}
	if embedded != argoScript(t) {
		t.Errorf("docs/gitops.md's argocd-cm snippet differs from docs/argocd-health.lua; paste the file into the snippet again")
	}
	if _, err := argohealth.Evaluate(embedded, load(t, "ready.yaml").Object); err != nil {
		t.Errorf("the embedded script: %v", err)
	}
}
