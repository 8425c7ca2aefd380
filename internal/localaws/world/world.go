// Package world describes what exists in an emulated AWS: accounts with
// their IAM users, roles and managed policies, S3 buckets and KMS keys. A
// world is read from YAML (see the localaws README for the format) and
// validated as a whole before a server uses it, so a typo in a test fixture
// fails loudly at load time instead of turning into a puzzling AccessDenied.
package world

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/tenantstorage/tenantstorage-operator/internal/iampolicy"
)

// World is the whole emulated AWS.
type World struct {
	Accounts []Account `json:"accounts"`
}

// Account is an AWS account and everything it owns.
type Account struct {
	ID       string          `json:"id"`
	Name     string          `json:"name,omitempty"`
	Users    []User          `json:"users,omitempty"`
	Roles    []Role          `json:"roles,omitempty"`
	Policies []ManagedPolicy `json:"policies,omitempty"`
	Buckets  []Bucket        `json:"buckets,omitempty"`
	Keys     []Key           `json:"keys,omitempty"`
}

// User is an IAM user: the long-term identity (access keys) a workload
// starts from.
type User struct {
	Name            string            `json:"name"`
	Path            string            `json:"path,omitempty"`
	AccessKeys      []AccessKey       `json:"accessKeys,omitempty"`
	InlinePolicies  map[string]Policy `json:"inlinePolicies,omitempty"`
	ManagedPolicies []string          `json:"managedPolicies,omitempty"`
	Tags            map[string]string `json:"tags,omitempty"`
}

// AccessKey is a user's long-term credential.
type AccessKey struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

// Role is an IAM role that principals named by its trust policy may assume.
type Role struct {
	Name            string            `json:"name"`
	Path            string            `json:"path,omitempty"`
	TrustPolicy     Policy            `json:"trustPolicy"`
	InlinePolicies  map[string]Policy `json:"inlinePolicies,omitempty"`
	ManagedPolicies []string          `json:"managedPolicies,omitempty"`
	// MaxSessionDuration in seconds, 3600 (the default) to 43200.
	MaxSessionDuration int               `json:"maxSessionDuration,omitempty"`
	Tags               map[string]string `json:"tags,omitempty"`
}

// ManagedPolicy is a customer managed policy; users and roles of the same
// account attach it by ARN (arn:aws:iam::ACCOUNT:policy{path}{name}).
type ManagedPolicy struct {
	Name     string `json:"name"`
	Path     string `json:"path,omitempty"`
	Document Policy `json:"document"`
}

// Bucket is an S3 general purpose bucket.
type Bucket struct {
	Name       string     `json:"name"`
	Region     string     `json:"region"`
	Policy     *Policy    `json:"policy,omitempty"`
	Encryption Encryption `json:"encryption,omitempty"`
	// Versioning is "" (never enabled), "Enabled" or "Suspended".
	Versioning        string             `json:"versioning,omitempty"`
	PublicAccessBlock *PublicAccessBlock `json:"publicAccessBlock,omitempty"`
}

// Encryption is a bucket's default encryption. AWS applies SSE-S3 to every
// bucket without another configuration since January 2023, so there is no
// "none": an empty Type means AES256.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-encryption-faq.html
type Encryption struct {
	// Type is "AES256" (SSE-S3) or "aws:kms" (SSE-KMS).
	Type string `json:"type,omitempty"`
	// KMSKeyID is the full key ARN for aws:kms. AWS resolves a bare key ID or
	// alias in the requester's account, which is rarely what a bucket owner
	// means, so the world insists on the ARN.
	KMSKeyID         string `json:"kmsKeyId,omitempty"`
	BucketKeyEnabled bool   `json:"bucketKeyEnabled,omitempty"`
}

// PublicAccessBlock is recorded and reported but not enforced (see README).
type PublicAccessBlock struct {
	BlockPublicAcls       bool `json:"blockPublicAcls"`
	IgnorePublicAcls      bool `json:"ignorePublicAcls"`
	BlockPublicPolicy     bool `json:"blockPublicPolicy"`
	RestrictPublicBuckets bool `json:"restrictPublicBuckets"`
}

// Key is a KMS key.
type Key struct {
	ID          string `json:"id"`
	Region      string `json:"region"`
	Description string `json:"description,omitempty"`
	// Policy is the key policy; when absent the key gets the default key
	// policy (the account root statement), as CreateKey does.
	Policy *Policy `json:"policy,omitempty"`
	// State is Enabled (default), Disabled or PendingDeletion.
	State   string   `json:"state,omitempty"`
	Aliases []string `json:"aliases,omitempty"`
	// KeySpec defaults to SYMMETRIC_DEFAULT, KeyUsage to ENCRYPT_DECRYPT.
	KeySpec  string `json:"keySpec,omitempty"`
	KeyUsage string `json:"keyUsage,omitempty"`
}

// Policy is a policy document, written in the world file either as a JSON
// string (so a document can be pasted verbatim) or as a YAML/JSON object.
// Doc is set by validation.
type Policy struct {
	Text string              `json:"-"`
	Doc  *iampolicy.Document `json:"-"`
}

// UnmarshalJSON keeps the document text; parsing waits for validation so
// errors can say which document is wrong.
func (p *Policy) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		p.Text = s
		return nil
	}
	if len(b) == 0 || b[0] != '{' {
		return fmt.Errorf("a policy must be a JSON string or an object, not %s", b)
	}
	p.Text = string(b)
	return nil
}

// Load reads and validates a world file.
func Load(path string) (*World, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	w, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return w, nil
}

// Parse reads and validates a world from YAML (or JSON). Unknown fields are
// errors: a misspelt "trustPolicy" must not silently become no policy.
func Parse(data []byte) (*World, error) {
	var w World
	if err := yaml.UnmarshalStrict(data, &w); err != nil {
		return nil, fmt.Errorf("world: %w", err)
	}
	if err := w.Validate(); err != nil {
		return nil, err
	}
	return &w, nil
}

// UserARN is the ARN of a user in an account.
func UserARN(account, path, name string) string {
	return "arn:aws:iam::" + account + ":user" + normPath(path) + name
}

// RoleARN is the ARN of a role in an account.
func RoleARN(account, path, name string) string {
	return "arn:aws:iam::" + account + ":role" + normPath(path) + name
}

// PolicyARN is the ARN of a customer managed policy.
func PolicyARN(account, path, name string) string {
	return "arn:aws:iam::" + account + ":policy" + normPath(path) + name
}

// KeyARN is the ARN of a KMS key.
func KeyARN(region, account, id string) string {
	return "arn:aws:kms:" + region + ":" + account + ":key/" + id
}

// AliasARN is the ARN of a KMS alias ("alias/name").
func AliasARN(region, account, alias string) string {
	return "arn:aws:kms:" + region + ":" + account + ":" + alias
}

// BucketARN is the ARN of a bucket.
func BucketARN(bucket string) string { return "arn:aws:s3:::" + bucket }

// ObjectARN is the ARN of an object.
func ObjectARN(bucket, key string) string { return "arn:aws:s3:::" + bucket + "/" + key }

func normPath(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// DefaultKeyPolicy is the policy KMS gives a key created without one: the
// account's IAM policies decide who may use it.
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
func DefaultKeyPolicy(account string) string {
	return `{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` +
		account + `:root"},"Action":"kms:*","Resource":"*"}]}`
}

// PolicyKind says where a document is used, which decides whether it may or
// must name principals.
type PolicyKind int

// The kinds of policy documents.
const (
	IdentityPolicy PolicyKind = iota // user/role/managed/session policies
	ResourcePolicy                   // bucket and key policies
	TrustPolicy                      // role trust policies
)

// CheckKind applies the rules IAM, S3 and KMS add on top of the policy
// grammar: identity policies name no principal; resource and trust policies
// name one in every statement; trust policies name no resource.
func CheckKind(doc *iampolicy.Document, kind PolicyKind) error {
	for _, st := range doc.Statement {
		hasPrincipal := st.Principal != nil || st.NotPrincipal != nil
		switch kind {
		case IdentityPolicy:
			if hasPrincipal {
				return &iampolicy.ParseError{Message: "Policy document should not specify a principal."}
			}
		case ResourcePolicy, TrustPolicy:
			if !hasPrincipal {
				return &iampolicy.ParseError{Message: "Missing required field Principal"}
			}
			if kind == TrustPolicy && (len(st.Resource) > 0 || len(st.NotResource) > 0) {
				return &iampolicy.ParseError{Message: "Has prohibited field Resource"}
			}
		}
	}
	return nil
}

// errList collects validation errors with the place they were found.
type errList []string

func (e *errList) add(where, format string, args ...any) {
	*e = append(*e, where+": "+fmt.Sprintf(format, args...))
}

func (e errList) err() error {
	if len(e) == 0 {
		return nil
	}
	return fmt.Errorf("world is invalid:\n  %s", strings.Join(e, "\n  "))
}
