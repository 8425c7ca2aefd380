package iampolicy

import (
	"fmt"
	"strings"
)

// Caller describes the principal making a request.
type Caller struct {
	ARN     string // as GetCallerIdentity reports it: arn:aws:iam::111122223333:user/u, arn:aws:sts::111122223333:assumed-role/R/S, arn:aws:iam::111122223333:root
	Account string
	RoleARN string // for an assumed-role session: the role's IAM ARN incl. path, e.g. arn:aws:iam::111122223333:role/path/R ("" otherwise)
	Service string // for a service principal such as "s3.amazonaws.com" ("" otherwise)
}

// Request is one API call to authorize.
type Request struct {
	Caller   Caller
	Action   string // "s3:GetObject"
	Resource string // ARN, or "*" for actions without resources
	// Context holds condition keys. aws:PrincipalArn, aws:PrincipalAccount,
	// aws:PrincipalType, aws:username and aws:PrincipalServiceName are derived
	// from Caller when Context does not set them.
	Context Context
}

// Inputs are the policies that apply to one request.
type Inputs struct {
	Identity        []*Document // identity-based policies of the caller (for a role session: the role's inline+managed policies)
	Session         []*Document // session policies of the caller's session; empty means none
	Resource        *Document   // the resource-based policy: bucket policy, key policy or role trust policy; nil if none
	ResourceAccount string      // account that owns the resource ("" = same as caller, e.g. for actions on "*")
	// KeyPolicy marks Resource as a KMS key policy: it is required; identity
	// policies count only when the key policy allows the key's account root
	// (delegation). Role trust policies (sts:AssumeRole, sts:TagSession,
	// sts:SetSourceIdentity...) are required the same way without this flag.
	KeyPolicy bool
}

// Decision is the outcome of Evaluate.
type Decision struct {
	Allowed      bool
	ExplicitDeny bool
	// Reason explains the outcome in one sentence for logs/tests, e.g.
	// "explicitly denied by resource-based policy statement \"DenyOthers\"",
	// "no identity-based policy allows the action", "cross-account request: the resource-based policy does not allow the caller".
	Reason string
}

// trustActions are authorized against the role's trust policy, which must
// allow the caller even within the role's account.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html#policy-eval-denyallow
// ("IAM role trust policies and KMS key policies are exceptions")
var trustActions = []string{
	"sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity",
	"sts:TagSession", "sts:SetSourceIdentity",
}

// Evaluate decides a request the way AWS does for the given policies:
// an explicit Deny anywhere wins; within one account an identity-based or a
// resource-based Allow suffices (except for key and trust policies, which
// must allow the caller or delegate to the account); across accounts both
// sides must allow.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam
func Evaluate(req Request, in Inputs) Decision {
	ev := &evaluator{req: &req}
	trust := false
	for _, a := range trustActions {
		trust = trust || strings.EqualFold(req.Action, a)
	}
	resKind := "resource-based policy"
	switch {
	case in.KeyPolicy:
		resKind = "key policy"
	case trust:
		resKind = "trust policy"
	}

	if r := ev.findDeny(in.Identity, false); r != "" {
		return Decision{ExplicitDeny: true, Reason: "explicitly denied by identity-based policy " + r}
	}
	if r := ev.findDeny(in.Session, false); r != "" {
		return Decision{ExplicitDeny: true, Reason: "explicitly denied by session policy " + r}
	}
	if in.Resource != nil {
		if r := ev.findDeny([]*Document{in.Resource}, true); r != "" {
			return Decision{ExplicitDeny: true, Reason: "explicitly denied by " + resKind + " " + r}
		}
	}

	c := &req.Caller
	// The root user has every permission in its own account.
	identityAllowed := c.isRoot() || ev.allowLevel(in.Identity, false) != matchNone
	sessionAllowed := len(in.Session) == 0 || ev.allowLevel(in.Session, false) != matchNone
	identityPath := c.Service == "" && identityAllowed && sessionAllowed
	identityFault := "no identity-based policy allows the action"
	if identityAllowed && !sessionAllowed {
		identityFault = "no session policy allows the action"
	}

	resLevel := matchNone
	if in.Resource != nil {
		resLevel = ev.allowLevel([]*Document{in.Resource}, true)
	}
	// A grant to the session itself ignores session policies; a grant to the
	// role (or to everyone) is still limited by them.
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session
	resDirect := resLevel == matchExact || resLevel == matchEntity && sessionAllowed

	allow := func(reason string) Decision { return Decision{Allowed: true, Reason: reason} }
	deny := func(reason string) Decision { return Decision{Reason: reason} }
	switch {
	case c.Service != "":
		// Service principals have no identity policies; only a
		// resource-based policy naming the service grants them access.
		if resDirect {
			return allow("allowed by " + resKind + " naming the service principal")
		}
		return deny("the " + resKind + " does not allow the service principal")

	case in.ResourceAccount != "" && in.ResourceAccount != c.Account:
		if resLevel == matchNone {
			return deny("cross-account request: the " + resKind + " does not allow the caller")
		}
		if !identityPath {
			return deny("cross-account request: " + identityFault)
		}
		return allow("cross-account request allowed by identity-based policy and " + resKind)

	case in.KeyPolicy || trust:
		if resDirect {
			return allow("allowed by " + resKind + " naming the caller")
		}
		if in.Resource == nil {
			return deny("no " + resKind + " applies, and it is required")
		}
		if resLevel == matchNone {
			return deny("the " + resKind + " does not allow the caller")
		}
		if !identityPath {
			return deny("the " + resKind + " delegates to the account but " + identityFault)
		}
		return allow("allowed by identity-based policy under " + resKind + " delegation to the account")
	}

	if identityPath {
		return allow("allowed by identity-based policy")
	}
	if resDirect {
		return allow("allowed by " + resKind)
	}
	return deny(identityFault)
}

// Matches reports whether a single statement applies to the request
// (principal if present, action, resource, conditions), with policy
// variables enabled as in policy version 2012-10-17. Exported for the
// policy linter.
func (s Statement) Matches(req Request) bool {
	ev := &evaluator{req: &req}
	return s.match(ev, true) != matchNone
}

// evaluator carries one request through the policies.
type evaluator struct {
	req *Request
}

// findDeny names the first Deny statement that applies, or returns "".
func (ev *evaluator) findDeny(docs []*Document, resource bool) string {
	for _, d := range docs {
		if d == nil {
			continue
		}
		for i := range d.Statement {
			s := &d.Statement[i]
			if s.Effect != Deny || resource && !s.hasPrincipal() {
				continue
			}
			if s.match(ev, d.Version == version2012) != matchNone {
				if s.Sid != "" {
					return fmt.Sprintf("statement %q", s.Sid)
				}
				return fmt.Sprintf("statement #%d", i+1)
			}
		}
	}
	return ""
}

// allowLevel returns the strongest grade among Allow statements that apply.
func (ev *evaluator) allowLevel(docs []*Document, resource bool) principalMatch {
	best := matchNone
	for _, d := range docs {
		if d == nil {
			continue
		}
		for i := range d.Statement {
			s := &d.Statement[i]
			if s.Effect != Allow || resource && !s.hasPrincipal() {
				continue
			}
			best = max(best, s.match(ev, d.Version == version2012))
			if best == matchExact {
				return best
			}
		}
	}
	return best
}

// hasPrincipal: resource-based policies must name principals; a statement
// without one applies to nobody.
func (s *Statement) hasPrincipal() bool { return s.Principal != nil || s.NotPrincipal != nil }

// match grades how s applies to the request; matchNone means it does not.
// Statements without Principal/NotPrincipal (identity and session policies)
// apply as matchExact when they match.
func (s *Statement) match(ev *evaluator, vars bool) principalMatch {
	req := ev.req
	level := matchExact
	switch {
	case s.Principal != nil:
		if level = s.Principal.match(&req.Caller); level == matchNone {
			return matchNone
		}
	case s.NotPrincipal != nil:
		if s.NotPrincipal.excludes(&req.Caller) {
			return matchNone
		}
		level = matchEntity
	}
	if len(s.Action) > 0 {
		if !matchAction(s.Action, req.Action) {
			return matchNone
		}
	} else if matchAction(s.NotAction, req.Action) {
		return matchNone
	}
	var resolve func(string) (string, bool)
	if vars {
		resolve = ev.resolve
	}
	// A statement without Resource (trust policies) applies to any resource.
	if len(s.Resource) > 0 {
		if !matchResource(s.Resource, req.Resource, resolve) {
			return matchNone
		}
	} else if len(s.NotResource) > 0 && matchResource(s.NotResource, req.Resource, resolve) {
		return matchNone
	}
	for i := range s.Condition {
		if !s.Condition[i].eval(ev.lookup, resolve) {
			return matchNone
		}
	}
	return level
}

// lookup returns a condition key's values from the request context, falling
// back to the keys AWS derives from the principal.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable
func (ev *evaluator) lookup(key string) ([]string, bool) {
	if v, ok := ev.req.Context.Get(key); ok {
		return v, true
	}
	c := &ev.req.Caller
	var v string
	switch {
	case strings.EqualFold(key, "aws:PrincipalArn"):
		v = c.RoleARN
		if v == "" && c.Service == "" {
			v = c.ARN
		}
	case strings.EqualFold(key, "aws:PrincipalAccount"):
		v = c.Account
	case strings.EqualFold(key, "aws:PrincipalType"):
		v = c.principalType()
	case strings.EqualFold(key, "aws:username"):
		if c.principalType() == "User" {
			v = c.ARN[strings.LastIndexByte(c.ARN, '/')+1:]
		}
	case strings.EqualFold(key, "aws:PrincipalServiceName"):
		v = c.Service
	}
	if v == "" {
		return nil, false
	}
	return []string{v}, true
}

// resolve gives a policy variable its value; multivalued keys cannot be
// used as variables.
func (ev *evaluator) resolve(key string) (string, bool) {
	v, ok := ev.lookup(key)
	if !ok || len(v) != 1 {
		return "", false
	}
	return v[0], true
}

// principalType is the aws:PrincipalType value for the caller.
func (c *Caller) principalType() string {
	switch {
	case c.Service != "":
		return ""
	case c.isRoot():
		return "Account"
	case strings.Contains(c.ARN, ":assumed-role/"):
		return "AssumedRole"
	case strings.Contains(c.ARN, ":federated-user/"):
		return "FederatedUser"
	case strings.Contains(c.ARN, ":user/"):
		return "User"
	}
	return ""
}
