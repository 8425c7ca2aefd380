package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tenantstorage/tenantstorage-operator/internal/iampolicy"
)

// File names of the rendered documents; the CLI commands refer to them.
const (
	TrustPolicyFile        = "trust-policy.json"
	PermissionsPolicyFile  = "permissions-policy.json"
	BucketPolicyFile       = "bucket-policy.json"
	KeyPolicyFile          = "key-policy.json"
	KeyPolicyStatementFile = "key-policy-statement.json"
)

// Sids of the key policy statements: the root statement is the one AWS puts
// in a default key policy, the other the guide's (KMS Key Policy).
const (
	RootStatementSid        = "Enable IAM User Permissions"
	ClientRoleStatementSid  = "Allow access through client role"
	ServiceRoleStatementSid = "Allow access by the vendor service role"
)

// Documents are the customer's documents for one tenant. A document the
// tenant's mode does not use is empty.
type Documents struct {
	Mode   Mode        `json:"mode"`
	Tenant RenderInput `json:"tenant"`
	// TrustPolicy is the client role's trust policy (Chained, KeyOnly).
	TrustPolicy json.RawMessage `json:"trustPolicy,omitempty"`
	// PermissionsPolicy is the client role's policy (Chained, KeyOnly).
	PermissionsPolicy json.RawMessage `json:"permissionsPolicy,omitempty"`
	// BucketPolicy is the bucket's policy (with a bucket).
	BucketPolicy json.RawMessage `json:"bucketPolicy,omitempty"`
	// KeyPolicy is a complete key policy: the account root statement and
	// KeyPolicyStatement (with a key).
	KeyPolicy json.RawMessage `json:"keyPolicy,omitempty"`
	// KeyPolicyStatement is the one statement to add to an existing key
	// policy.
	KeyPolicyStatement json.RawMessage `json:"keyPolicyStatement,omitempty"`
	// Commands are guide 000's AWS CLI commands, reading the files above.
	Commands string `json:"commands"`
}

// File is one rendered document with the name the commands use.
type File struct {
	Name    string
	Purpose string
	Content []byte
}

// Files lists the documents that are not empty, in the order the commands
// use them.
func (d *Documents) Files() []File {
	var out []File
	for _, f := range []File{
		{TrustPolicyFile, "the client role's trust policy", d.TrustPolicy},
		{PermissionsPolicyFile, "the client role's permissions policy", d.PermissionsPolicy},
		{BucketPolicyFile, "the bucket policy", d.BucketPolicy},
		{KeyPolicyFile, "the complete key policy", d.KeyPolicy},
		{KeyPolicyStatementFile, "the key policy statement, to add to an existing key policy", d.KeyPolicyStatement},
	} {
		if len(f.Content) > 0 {
			out = append(out, f)
		}
	}
	return out
}

// Render writes the exact documents and commands for one tenant.
func Render(in RenderInput) (*Documents, error) {
	t, err := parse(in, true)
	if err != nil {
		return nil, err
	}
	d := &Documents{Mode: t.mode, Tenant: t.in}
	if t.mode != Direct {
		if d.TrustPolicy, err = pretty(t.trustPolicy()); err != nil {
			return nil, err
		}
		if d.PermissionsPolicy, err = pretty(t.permissionsPolicy()); err != nil {
			return nil, err
		}
	}
	if t.hasBucket {
		if d.BucketPolicy, err = pretty(t.bucketPolicy()); err != nil {
			return nil, err
		}
	}
	if t.hasKey {
		if d.KeyPolicy, err = pretty(t.keyPolicy()); err != nil {
			return nil, err
		}
		statement := statementJSON(t.keyStatement())
		if d.KeyPolicyStatement, err = pretty(&statement); err != nil {
			return nil, err
		}
	}
	d.Commands = t.commands()
	return d, nil
}

func document(statements ...iampolicy.Statement) *iampolicy.Document {
	return &iampolicy.Document{Version: "2012-10-17", Statement: statements}
}

func awsPrincipal(principal string) *iampolicy.Principals {
	return &iampolicy.Principals{AWS: []string{principal}}
}

// trustPolicy lets the vendor's service role, and only it, assume the
// client role, and only with the tenant's ExternalId (guide 000, Step 3).
func (t *tenant) trustPolicy() *iampolicy.Document {
	return document(iampolicy.Statement{
		Sid:       "TrustVendorServiceRole",
		Effect:    iampolicy.Allow,
		Principal: awsPrincipal(t.in.ServiceRoleARN),
		Action:    []string{"sts:AssumeRole"},
		Condition: []iampolicy.Condition{{Operator: "StringEquals", Key: "sts:ExternalId", Values: []string{t.in.ExternalID}}},
	})
}

// s3Statements grant the tenant's S3 actions, s3:ListBucket on the bucket
// and the object actions on bucket/*, to principal (nil in an identity
// policy).
func (t *tenant) s3Statements(principal *iampolicy.Principals) []iampolicy.Statement {
	var out []iampolicy.Statement
	if len(t.bucketActions) > 0 {
		out = append(out, iampolicy.Statement{Sid: "TenantBucket", Effect: iampolicy.Allow, Principal: principal,
			Action: t.bucketActions, Resource: []string{t.in.BucketARN}})
	}
	if len(t.objectActions) > 0 {
		out = append(out, iampolicy.Statement{Sid: "TenantObjects", Effect: iampolicy.Allow, Principal: principal,
			Action: t.objectActions, Resource: []string{t.objectsARN()}})
	}
	return out
}

// permissionsPolicy is the client role's least-privilege policy: the
// tenant's actions on the tenant's bucket and key, nothing else.
func (t *tenant) permissionsPolicy() *iampolicy.Document {
	var stmts []iampolicy.Statement
	if t.hasBucket {
		stmts = t.s3Statements(nil)
	}
	if t.hasKey {
		stmts = append(stmts, iampolicy.Statement{Sid: "TenantKey", Effect: iampolicy.Allow,
			Action: GuideKMSActions, Resource: []string{t.in.KeyARN}})
	}
	return document(stmts...)
}

// bucketPolicy names the grantee. Unlike guide 004's Option A example, it
// grants s3:ListBucket on the bucket ARN: on bucket/* it grants nothing.
func (t *tenant) bucketPolicy() *iampolicy.Document {
	return document(t.s3Statements(awsPrincipal(t.grantee()))...)
}

func (t *tenant) keyStatement() iampolicy.Statement {
	sid := ClientRoleStatementSid
	if t.mode == Direct {
		sid = ServiceRoleStatementSid
	}
	return iampolicy.Statement{Sid: sid, Effect: iampolicy.Allow, Principal: awsPrincipal(t.grantee()),
		Action: GuideKMSActions, Resource: []string{"*"}}
}

// keyPolicy keeps the account root statement: without it the account's
// IAM policies cannot grant the key, and KMS refuses a policy that could
// lock everyone out of managing it.
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
func (t *tenant) keyPolicy() *iampolicy.Document {
	root := iampolicy.Statement{Sid: RootStatementSid, Effect: iampolicy.Allow,
		Principal: awsPrincipal(fmt.Sprintf("arn:%s:iam::%s:root", t.key.Partition, t.key.AccountID)),
		Action:    []string{"kms:*"}, Resource: []string{"*"}}
	return document(root, t.keyStatement())
}

// marshaler is a document or a single statement.
type marshaler interface{ MarshalJSON() ([]byte, error) }

// statementJSON marshals one statement through a document, the only
// canonical form iampolicy writes.
type statementJSON iampolicy.Statement

func (s *statementJSON) MarshalJSON() ([]byte, error) {
	b, err := document(iampolicy.Statement(*s)).MarshalJSON()
	if err != nil {
		return nil, err
	}
	var doc struct{ Statement []json.RawMessage }
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	return doc.Statement[0], nil
}

// pretty writes v indented, ending in a newline, so the files diff well and
// the output is the same for the same input.
func pretty(m marshaler) (json.RawMessage, error) {
	b, err := m.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// commands are guide 000's AWS CLI steps for this tenant, reading the
// rendered files from the current directory.
func (t *tenant) commands() string {
	var b strings.Builder
	step := 0
	section := func(title string) {
		step++
		if step > 1 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "# %d. %s\n", step, title)
	}
	if t.mode != Direct {
		section("Create the client role with its trust policy (" + TrustPolicyFile + ")")
		fmt.Fprintf(&b, "aws iam create-role \\\n  --role-name %s \\\n", t.roleName)
		if t.rolePath != "/" {
			fmt.Fprintf(&b, "  --path %s \\\n", t.rolePath)
		}
		fmt.Fprintf(&b, "  --assume-role-policy-document file://%s\n", TrustPolicyFile)

		section("Create the permissions policy (" + PermissionsPolicyFile + ") and attach it to the role")
		fmt.Fprintf(&b, "aws iam create-policy \\\n  --policy-name %s \\\n  --policy-document file://%s\n", PermissionsPolicyName, PermissionsPolicyFile)
		fmt.Fprintf(&b, "aws iam attach-role-policy \\\n  --role-name %s \\\n  --policy-arn arn:%s:iam::%s:policy/%s\n",
			t.roleName, t.client.Partition, t.client.AccountID, PermissionsPolicyName)
	}
	if t.hasBucket {
		section("Set the bucket policy (" + BucketPolicyFile + ")")
		b.WriteString("# put-bucket-policy replaces the bucket's whole policy: if the bucket already\n# has one, add these statements to it instead.\n")
		fmt.Fprintf(&b, "aws s3api put-bucket-policy \\\n  --bucket %s \\\n  --policy file://%s\n", t.bucketName, BucketPolicyFile)
	}
	if t.hasKey {
		section("Set the key policy (" + KeyPolicyFile + ")")
		fmt.Fprintf(&b, "# put-key-policy replaces the key's whole policy. %s is complete (the\n", KeyPolicyFile)
		fmt.Fprintf(&b, "# account root statement and the statement for %s).\n", t.grantee())
		fmt.Fprintf(&b, "# If your key policy has other statements, add the statement of\n# %s to it instead; see the current one with:\n", KeyPolicyStatementFile)
		fmt.Fprintf(&b, "#   aws kms get-key-policy --key-id %s --policy-name default --region %s\n", t.in.KeyARN, t.in.Region)
		fmt.Fprintf(&b, "aws kms put-key-policy \\\n  --key-id %s \\\n  --policy-name default \\\n  --policy file://%s \\\n  --region %s\n",
			t.in.KeyARN, KeyPolicyFile, t.in.Region)
	}
	if t.mode != Direct {
		section("Test the role assumption")
		fmt.Fprintf(&b, "# Only the vendor's service role %s can run this\n", t.in.ServiceRoleARN)
		b.WriteString("# successfully; from any other identity AWS must refuse it.\n")
		fmt.Fprintf(&b, "aws sts assume-role \\\n  --role-arn %s \\\n  --role-session-name %s \\\n  --external-id %s \\\n  --region %s\n",
			t.in.ClientRoleARN, TestSessionName, t.in.ExternalID, t.in.Region)
		b.WriteString("aws sts get-caller-identity\n")
	}
	return b.String()
}
