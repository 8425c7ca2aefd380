// Package policy writes and reads the customer's side of a tenant's AWS
// setup. Render turns the onboarding guides' templates (seed 000 and 004,
// whose policies carry placeholders: "AlphaSense will provide you the exact
// policy including the complete ARN") into the exact documents and AWS CLI
// commands for one tenant. Lint reads the documents a customer actually
// applied and explains each problem with its fix, before the operator's
// checks fail against AWS with a bare AccessDenied.
package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/tenantstorage/tenantstorage-operator/internal/externalid"
)

// GuideS3Actions is the S3 action list of the onboarding guides (and the
// CRD's default for spec.s3Actions).
var GuideS3Actions = []string{"s3:GetObject", "s3:PutObject", "s3:RestoreObject", "s3:ListBucket", "s3:DeleteObject"}

// GuideKMSActions are the KMS actions of guide 000 ("For KMS Only Access"),
// spelled as the guide grants them.
var GuideKMSActions = []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"}

// kmsUses are the concrete calls behind each guide KMS action that the
// vendor makes (and the operator's key check probes): ReEncrypt is
// authorized as kms:ReEncryptFrom on the source key and kms:ReEncryptTo on
// the destination, both this key.
var kmsUses = map[string][]string{
	"kms:Encrypt":          {"kms:Encrypt"},
	"kms:Decrypt":          {"kms:Decrypt"},
	"kms:ReEncrypt*":       {"kms:ReEncryptFrom", "kms:ReEncryptTo"},
	"kms:GenerateDataKey*": {"kms:GenerateDataKey"},
	"kms:DescribeKey":      {"kms:DescribeKey"},
}

// Names from guide 000's CLI commands.
const (
	// PermissionsPolicyName is the managed policy the guide's CLI creates.
	PermissionsPolicyName = "AlphaSense-DocumentStorage-Policy"
	// TestSessionName is the session name of the guide's assume-role test.
	TestSessionName = "test-session"
)

// RenderInput is one tenant, as the vendor knows it.
type RenderInput struct {
	// ServiceRoleARN is the vendor's service role (guide 000's
	// document-storage-role), which assumes the client role, or in direct
	// mode uses the bucket and key itself.
	ServiceRoleARN string `json:"serviceRoleArn"`
	// ClientRoleARN is the customer's client role; empty for direct access
	// (guide 004, Option A).
	ClientRoleARN string `json:"clientRoleArn,omitempty"`
	Region        string `json:"region"`
	ExternalID    string `json:"externalId,omitempty"`
	// BucketARN and KeyARN: at least one.
	BucketARN string `json:"bucketArn,omitempty"`
	KeyARN    string `json:"keyArn,omitempty"`
	// S3Actions defaults to GuideS3Actions.
	S3Actions []string `json:"s3Actions,omitempty"`
}

// Mode is how the customer grants access.
type Mode string

// The modes of the guides.
const (
	// Chained: the vendor's service role assumes the customer's client role
	// with the ExternalId; the role may use the bucket and the key (guide
	// 000, Steps 2-4).
	Chained Mode = "Chained"
	// KeyOnly: chained, with the customer's key only; the documents stay in
	// the vendor's bucket (guide 000, "For KMS Only Access").
	KeyOnly Mode = "KeyOnly"
	// Direct: no client role; the bucket and key policies name the vendor's
	// service role (guide 004, Option A).
	Direct Mode = "Direct"
)

// tenant is a checked RenderInput with its ARNs taken apart.
type tenant struct {
	in                 RenderInput
	mode               Mode
	service, client    arn.ARN
	bucketName         string
	key                arn.ARN
	hasBucket, hasKey  bool
	bucketActions      []string // s3:ListBucket, on the bucket ARN
	objectActions      []string // the others, on bucket/*
	roleName, rolePath string   // of the client role
}

// parse checks in and takes it apart. strict refuses what Render cannot
// render; Lint reports those problems as findings instead.
func parse(in RenderInput, strict bool) (*tenant, error) {
	t := &tenant{in: in}
	if len(t.in.S3Actions) == 0 {
		t.in.S3Actions = slices.Clone(GuideS3Actions)
	}
	var err error
	if t.service, err = roleARN("service role ARN", in.ServiceRoleARN); err != nil {
		return nil, err
	}
	if in.Region == "" {
		return nil, fmt.Errorf("the tenant's region is required")
	}
	if in.BucketARN == "" && in.KeyARN == "" {
		return nil, fmt.Errorf("the tenant has neither a bucket ARN nor a key ARN: it brings a bucket, a key, or both")
	}
	t.mode = Direct
	if in.ClientRoleARN != "" {
		if t.client, err = roleARN("client role ARN", in.ClientRoleARN); err != nil {
			return nil, err
		}
		t.mode = Chained
		if in.BucketARN == "" {
			t.mode = KeyOnly
		}
		t.roleName, t.rolePath = splitRole(t.client.Resource)
		if strict && !externalid.Valid(in.ExternalID) {
			return nil, fmt.Errorf("the tenant has no valid ExternalId (%q): a client role's trust policy must require one (2-1224 characters of [\\w+=,.@:/-])", in.ExternalID)
		}
	}
	if in.BucketARN != "" {
		b, err := arn.Parse(in.BucketARN)
		if err != nil || b.Service != "s3" || b.Region != "" || b.AccountID != "" || b.Resource == "" || strings.ContainsAny(b.Resource, "/*?") {
			return nil, fmt.Errorf("bucket ARN %q is not an S3 bucket ARN such as arn:aws:s3:::document-bucket", in.BucketARN)
		}
		t.hasBucket, t.bucketName = true, b.Resource
	}
	if in.KeyARN != "" {
		if t.key, err = arn.Parse(in.KeyARN); err != nil || t.key.Service != "kms" || !strings.HasPrefix(t.key.Resource, "key/") {
			return nil, fmt.Errorf("key ARN %q is not a KMS key ARN such as arn:aws:kms:us-east-1:123456789012:key/<key id>", in.KeyARN)
		}
		if strict && t.key.Region != in.Region {
			return nil, fmt.Errorf("key %s is in %s but the tenant's region is %s: S3 can only use a key in the bucket's region", in.KeyARN, t.key.Region, in.Region)
		}
		t.hasKey = true
	}
	for _, a := range t.in.S3Actions {
		if !strings.HasPrefix(a, "s3:") {
			return nil, fmt.Errorf("S3 action %q is not spelled as in IAM policies, e.g. s3:GetObject", a)
		}
		// ListBucket is the one bucket-level action of the list: it is
		// granted on the bucket ARN, the others on object ARNs.
		if strings.EqualFold(a, "s3:ListBucket") {
			t.bucketActions = append(t.bucketActions, a)
		} else {
			t.objectActions = append(t.objectActions, a)
		}
	}
	return t, nil
}

func roleARN(what, s string) (arn.ARN, error) {
	a, err := arn.Parse(s)
	if err != nil || a.Service != "iam" || a.AccountID == "" || !strings.HasPrefix(a.Resource, "role/") {
		return arn.ARN{}, fmt.Errorf("%s %q is not an IAM role ARN such as arn:aws:iam::123456789012:role/name", what, s)
	}
	return a, nil
}

// splitRole splits "role/path/name" into name and path ("/" when none).
func splitRole(resource string) (name, path string) {
	rest := strings.TrimPrefix(resource, "role")
	i := strings.LastIndex(rest, "/")
	return rest[i+1:], rest[:i+1]
}

func (t *tenant) objectsARN() string { return t.in.BucketARN + "/*" }

// grantee is who the bucket and key policies must let in: the client role,
// or in direct mode the vendor's service role.
func (t *tenant) grantee() string {
	if t.mode == Direct {
		return t.in.ServiceRoleARN
	}
	return t.in.ClientRoleARN
}

func (t *tenant) granteeName() string {
	if t.mode == Direct {
		return "the vendor's service role " + t.in.ServiceRoleARN
	}
	return "the client role " + t.in.ClientRoleARN
}
