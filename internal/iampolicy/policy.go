// Package iampolicy parses AWS IAM policy documents and evaluates requests
// against them the way AWS does, so that the offline emulator (localaws)
// grants and refuses exactly what real AWS would.
//
// Evaluation follows
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
// and
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html.
//
// Evaluation only reads its inputs, so parsed Documents can be shared and
// Evaluate called concurrently.
package iampolicy

// Document is a parsed IAM policy document (identity, resource, trust, key or session policy).
type Document struct {
	Version   string
	ID        string
	Statement []Statement
}

// Statement is one element of a document's Statement list.
type Statement struct {
	Sid                   string
	Effect                Effect      // Allow or Deny
	Principal             *Principals // nil when absent
	NotPrincipal          *Principals
	Action, NotAction     []string    // exactly one of the two non-empty
	Resource, NotResource []string    // both empty allowed (trust policies)
	Condition             []Condition // flattened, order irrelevant
}

// Effect is a statement's Effect element.
type Effect string

// The two effects IAM accepts.
const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Principals is a Principal or NotPrincipal element. Wildcard is true for
// "Principal": "*" or {"AWS": "*"}; the "*" itself is not kept in AWS.
type Principals struct {
	Wildcard  bool
	AWS       []string // account IDs, arn:...:root, user/role/assumed-role ARNs
	Service   []string
	Federated []string
	// CanonicalUser is accepted because S3 bucket policies may name one; it
	// never matches a Caller.
	CanonicalUser []string
}

// Condition is one (operator, key) pair of a Condition block.
type Condition struct {
	Operator string   // as written, e.g. "ForAnyValue:StringLikeIfExists"
	Key      string   // as written, e.g. "sts:ExternalId"
	Values   []string // JSON strings, numbers and bools are all kept as strings
}

// version2012 is the only policy language version with policy variables;
// under "2008-10-17" (or no Version) "${...}" is literal text.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-intro
const version2012 = "2012-10-17"
