package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/tenantstorage/tenantstorage-operator/internal/policy"
)

func render(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flagSet("render", "(-f tenant.yaml | --name n [--namespace ns]) --service-role-arn arn [-o text|json] [--out-dir dir]", stderr)
	var tenant tenantFlags
	tenant.register(fs, true)
	serviceRole := serviceRoleFlag(fs)
	externalID := fs.String("external-id", "", "the ExternalId to render (default: spec.externalId, else the one the operator generated, status.externalId)")
	output := fs.String("o", "text", "output format: text (Markdown) or json")
	outDir := fs.String("out-dir", "", "also write each document, and README.md, to this directory, under the names the commands use")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if *output != "text" && *output != "json" {
		return fail(stderr, "render", fmt.Errorf("-o must be text or json, not %q", *output))
	}
	ts, err := tenant.load(ctx)
	if err != nil {
		return fail(stderr, "render", err)
	}
	d, err := policy.Render(renderInput(ts, *serviceRole, *externalID))
	if err != nil {
		return fail(stderr, "render", fmt.Errorf("TenantStorage %s/%s: %w", ts.Namespace, ts.Name, err))
	}
	if *outDir != "" {
		if err := writeFiles(*outDir, d); err != nil {
			return fail(stderr, "render", err)
		}
	}
	if *output == "json" {
		b, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			return fail(stderr, "render", err)
		}
		return emit(stdout, stderr, "render", string(b)+"\n", exitOK)
	}
	return emit(stdout, stderr, "render", d.Markdown(), exitOK)
}

// writeFiles writes the documents where the commands expect them.
func writeFiles(dir string, d *policy.Documents) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := append(d.Files(), policy.File{Name: "README.md", Content: []byte(d.Markdown())})
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Content, 0o644); err != nil {
			return err
		}
	}
	return nil
}
