package policy

import (
	"fmt"
	"strings"
)

// Markdown writes the documents for a person: what the tenant is, each
// file with its purpose, and the commands. It reads as plain text too.
func (d *Documents) Markdown() string {
	var b strings.Builder
	in := d.Tenant
	fmt.Fprintf(&b, "# Storage access for the vendor (%s)\n\n", modeTitle(d.Mode))
	row := func(name, value string) {
		if value != "" {
			fmt.Fprintf(&b, "- %s: `%s`\n", name, value)
		}
	}
	row("Vendor service role", in.ServiceRoleARN)
	row("Client role", in.ClientRoleARN)
	row("ExternalId", in.ExternalID)
	row("Region", in.Region)
	row("Bucket", in.BucketARN)
	row("KMS key", in.KeyARN)
	if in.BucketARN != "" {
		row("S3 actions", strings.Join(in.S3Actions, ", "))
	}
	if in.KeyARN != "" {
		row("KMS actions", strings.Join(GuideKMSActions, ", "))
	}
	if d.Mode == Direct {
		b.WriteString("\nWithout a client role, the bucket and key policies name the vendor's service role\n" +
			"directly (guide 004, Option A). The vendor's own policy for that role is the vendor's part.\n")
	}
	for _, f := range d.Files() {
		fmt.Fprintf(&b, "\n## %s\n\n%s.\n\n```json\n%s```\n", f.Name, capitalize(f.Purpose), f.Content)
	}
	fmt.Fprintf(&b, "\n## AWS CLI commands\n\nRun them in the directory holding the files above.\n\n```sh\n%s```\n", d.Commands)
	return b.String()
}

func modeTitle(m Mode) string {
	switch m {
	case Chained:
		return "client role with bucket and key, guide 000"
	case KeyOnly:
		return "client role with key only, guide 000"
	}
	return "direct access, guide 004 Option A"
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
