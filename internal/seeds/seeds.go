// Package seeds holds the policy documents of the customer onboarding
// documents (the "seeds") verbatim, and fills in their placeholders.
//
// The documents are embedded from policies/*.json; policies/SOURCES.md names
// the seed file and section each one comes from. Keeping them byte for byte
// lets tests prove that what customers are told to paste actually works (or,
// where the seeds contradict each other, shows how it fails).
package seeds

import (
	"embed"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

//go:embed policies/*.json
var files embed.FS

// Names of the embedded documents.
const (
	TrustPolicyBasic      = "000-trust-policy-basic.json"
	TrustPolicyExternalID = "000-trust-policy-external-id.json"
	ServiceRolePolicy     = "000-service-role-policy.json"
	ClientS3Policy        = "000-client-s3-policy.json"
	ClientKMSPolicy       = "000-client-kms-policy.json"
	ClientTrustPolicy     = "000-client-trust-policy.json"
	BucketPolicy          = "000-bucket-policy.json"
	KMSKeyPolicyStatement = "000-kms-key-policy-statement.json"
	CLITrustPolicy        = "000-cli-trust-policy.json"
	CLIPermissionsPolicy  = "000-cli-permissions-policy.json"
	OptionABucketPolicy   = "004-option-a-bucket-policy.json"
)

// rootStatementFmt is the statement AWS puts in a default key policy to let
// the account's IAM policies govern the key.
const rootStatementFmt = `{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"kms:*","Resource":"*"}`

// Names lists the embedded documents, sorted.
func Names() []string {
	entries, err := files.ReadDir("policies")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// Raw returns a document exactly as it appears in the seed.
func Raw(name string) ([]byte, error) {
	b, err := files.ReadFile("policies/" + name)
	if err != nil {
		return nil, fmt.Errorf("seeds: no document %q", name)
	}
	return b, nil
}

// Values replace the seeds' placeholders and example literals.
type Values struct {
	// VendorAccountID replaces [AlphaSense-Account-ID].
	VendorAccountID string
	// CustomerAccountID replaces [Your-Account-ID] and the example account
	// 123456789012.
	CustomerAccountID string
	// ClientRoleName replaces [Your-Client-Role-Name].
	ClientRoleName string
	// KMSKeyID replaces [Your-KMS-Key-ID] and the example key ID
	// 12345678-1234-1234-1234-123456789012.
	KMSKeyID string
	// BucketName replaces [Your-Bucket-Name] and the example bucket
	// your-document-bucket.
	BucketName string
	// CustomerFacingRoleName replaces [customer-facing-role-name] (seed 004).
	CustomerFacingRoleName string
	// ExternalID replaces the example ExternalId values
	// (unique-external-id-12345, customer-specific-external-id-2024,
	// your-unique-external-id).
	ExternalID string
}

// placeholders pairs each text to replace with the Values field it takes.
// The example key ID comes before the example account because it ends with
// the same twelve digits.
var placeholders = []struct {
	text  string
	field string
	value func(Values) string
}{
	{"[AlphaSense-Account-ID]", "VendorAccountID", func(v Values) string { return v.VendorAccountID }},
	{"[Your-Account-ID]", "CustomerAccountID", func(v Values) string { return v.CustomerAccountID }},
	{"[Your-Client-Role-Name]", "ClientRoleName", func(v Values) string { return v.ClientRoleName }},
	{"[Your-KMS-Key-ID]", "KMSKeyID", func(v Values) string { return v.KMSKeyID }},
	{"[Your-Bucket-Name]", "BucketName", func(v Values) string { return v.BucketName }},
	{"[customer-facing-role-name]", "CustomerFacingRoleName", func(v Values) string { return v.CustomerFacingRoleName }},
	{"12345678-1234-1234-1234-123456789012", "KMSKeyID", func(v Values) string { return v.KMSKeyID }},
	{"123456789012", "CustomerAccountID", func(v Values) string { return v.CustomerAccountID }},
	{"your-document-bucket", "BucketName", func(v Values) string { return v.BucketName }},
	{"unique-external-id-12345", "ExternalID", func(v Values) string { return v.ExternalID }},
	{"customer-specific-external-id-2024", "ExternalID", func(v Values) string { return v.ExternalID }},
	{"your-unique-external-id", "ExternalID", func(v Values) string { return v.ExternalID }},
}

var leftover = regexp.MustCompile(`\[[A-Za-z-]+\]`)

// Fill returns the named document with every placeholder and example literal
// it contains replaced. It fails when a needed value is empty, so a test
// cannot silently run against "[Your-Account-ID]".
func Fill(name string, v Values) ([]byte, error) {
	raw, err := Raw(name)
	if err != nil {
		return nil, err
	}
	text := string(raw)
	var pairs []string
	for _, p := range placeholders {
		if !strings.Contains(text, p.text) {
			continue
		}
		val := p.value(v)
		if val == "" {
			return nil, fmt.Errorf("seeds: %s needs Values.%s for %q", name, p.field, p.text)
		}
		pairs = append(pairs, p.text, val)
	}
	text = strings.NewReplacer(pairs...).Replace(text)
	if m := leftover.FindString(text); m != "" {
		return nil, fmt.Errorf("seeds: %s still contains placeholder %s", name, m)
	}
	return []byte(text), nil
}

// MustFill is Fill for tests and fixtures whose values are known to be
// complete.
func MustFill(name string, v Values) string {
	b, err := Fill(name, v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// KeyPolicy wraps a single key policy statement (such as the filled
// KMSKeyPolicyStatement, which the seed gives without a document around it)
// into a complete key policy. With withRoot it first adds the standard
// statement delegating the key to the account's IAM policies; without it,
// only principals the statement names can use the key, whatever their
// identity policies say.
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
func KeyPolicy(statement []byte, accountID string, withRoot bool) ([]byte, error) {
	if !json.Valid(statement) {
		return nil, fmt.Errorf("seeds: key policy statement is not valid JSON")
	}
	stmts := []json.RawMessage{}
	if withRoot {
		if accountID == "" {
			return nil, fmt.Errorf("seeds: the root statement needs the key's account ID")
		}
		stmts = append(stmts, json.RawMessage(fmt.Sprintf(rootStatementFmt, accountID)))
	}
	stmts = append(stmts, json.RawMessage(statement))
	return json.Marshal(struct {
		Version   string            `json:"Version"`
		Statement []json.RawMessage `json:"Statement"`
	}{"2012-10-17", stmts})
}
