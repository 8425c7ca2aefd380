package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/tenantstorage/tenantstorage-operator/internal/policy"
)

func lint(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flagSet("lint", "(-f tenant.yaml | --name n [--namespace ns]) --service-role-arn arn [--trust-policy f] [--permissions-policy f] [--bucket-policy f] [--key-policy f] [-o text|json]", stderr)
	var tenant tenantFlags
	tenant.register(fs, true)
	serviceRole := serviceRoleFlag(fs)
	externalID := fs.String("external-id", "", "the tenant's ExternalId (default: spec.externalId, else status.externalId)")
	docs := map[string]*string{
		policy.DocTrust:       fs.String("trust-policy", "", "the client role's trust policy (JSON), as applied"),
		policy.DocPermissions: fs.String("permissions-policy", "", "the client role's permissions policy (JSON), as applied"),
		policy.DocBucket:      fs.String("bucket-policy", "", "the bucket policy (JSON), as applied"),
		policy.DocKey:         fs.String("key-policy", "", "the key policy (JSON), as applied"),
	}
	output := fs.String("o", "text", "output format: text or json")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if *output != "text" && *output != "json" {
		return fail(stderr, "lint", fmt.Errorf("-o must be text or json, not %q", *output))
	}
	ts, err := tenant.load(ctx)
	if err != nil {
		return fail(stderr, "lint", err)
	}
	in := policy.LintInput{Tenant: renderInput(ts, *serviceRole, *externalID), ProbePrefix: ts.Spec.ProbePrefix}
	var checked []string
	for _, d := range []struct {
		name string
		dst  *[]byte
	}{
		{policy.DocTrust, &in.TrustPolicy}, {policy.DocPermissions, &in.PermissionsPolicy},
		{policy.DocBucket, &in.BucketPolicy}, {policy.DocKey, &in.KeyPolicy},
	} {
		if *d.dst, err = readFile(*docs[d.name]); err != nil {
			return fail(stderr, "lint", err)
		}
		if *d.dst != nil {
			checked = append(checked, d.name)
		}
	}
	if len(checked) == 0 {
		return fail(stderr, "lint", fmt.Errorf("give at least one document: --trust-policy, --permissions-policy, --bucket-policy or --key-policy"))
	}
	findings, err := policy.Lint(in)
	if err != nil {
		return fail(stderr, "lint", fmt.Errorf("TenantStorage %s/%s: %w", ts.Namespace, ts.Name, err))
	}
	code := exitOK
	if policy.HasErrors(findings) {
		code = exitFailed
	}
	if *output == "json" {
		if findings == nil {
			findings = []policy.Finding{}
		}
		b, err := json.MarshalIndent(findings, "", "  ")
		if err != nil {
			return fail(stderr, "lint", err)
		}
		return emit(stdout, stderr, "lint", string(b)+"\n", code)
	}
	return emit(stdout, stderr, "lint", findingsText(checked, findings), code)
}

// findingsText is one finding per paragraph: where, what, and the fix on
// its own line, then a count.
func findingsText(checked []string, findings []policy.Finding) string {
	var w strings.Builder
	errs, warnings := 0, 0
	for _, f := range findings {
		where := f.Document
		if f.Statement != "" {
			where += ", statement " + f.Statement
		}
		fmt.Fprintf(&w, "%s %s: %s\n  fix: %s\n", strings.ToUpper(string(f.Severity)), where, f.Problem, f.Fix)
		if f.Severity == policy.Error {
			errs++
		} else {
			warnings++
		}
	}
	if len(findings) > 0 {
		w.WriteString("\n")
	}
	fmt.Fprintf(&w, "Checked %s: %d %s, %d %s.\n", strings.Join(checked, ", "), errs, plural(errs, "error"), warnings, plural(warnings, "warning"))
	return w.String()
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
