// Package authz asks iampolicy whether a caller may do something, with the
// policies AWS would consult and the request context keys AWS would set.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
package authz

import (
	"strconv"
	"time"

	"github.com/tenantstorage/tenantstorage-operator/internal/iampolicy"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/state"
)

// Env is what a request carries besides its parameters.
type Env struct {
	Now    time.Time
	Secure bool   // TLS: aws:SecureTransport
	Region string // the signing region: aws:RequestedRegion
	// SourceIP is the client address; empty when a service calls another
	// on the caller's behalf (S3 calling KMS), where AWS omits aws:SourceIp.
	SourceIP string
	// ViaService is set when S3 calls KMS for the caller; it becomes
	// aws:ViaAWSService=true (kms:ViaService is the caller's to set).
	ViaService bool
}

// Resource is the resource-based policy side of a decision.
type Resource struct {
	Policy    *iampolicy.Document // bucket, key or trust policy; nil if none
	Account   string              // owner of the resource
	KeyPolicy bool                // Policy is a KMS key policy
}

// Query is one authorization question.
type Query struct {
	Principal *state.Principal
	Action    string
	Resource  string
	Res       Resource
	Env       Env
	// Context holds the service-specific keys (s3:prefix, kms:ViaService,
	// sts:ExternalId, ...). Global keys are added by Evaluate.
	Context iampolicy.Context
}

// Result is a decision and, when denied, why in AWS's words (the tail of
// KMS's AccessDeniedException message).
type Result struct {
	iampolicy.Decision
	Why string
}

// Authorizer evaluates queries against the live store.
type Authorizer struct {
	Store *state.Store
}

// allowAll stands in for an identity policy that allows everything, to ask
// the evaluator whether the resource policy alone would stand in the way.
var allowAll = iampolicy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)

// Evaluate decides q.
func (a *Authorizer) Evaluate(q Query) Result {
	req := a.request(q)
	in := iampolicy.Inputs{
		Identity:        a.Store.IdentityPolicies(q.Principal),
		Resource:        q.Res.Policy,
		ResourceAccount: q.Res.Account,
		KeyPolicy:       q.Res.KeyPolicy,
	}
	if s := q.Principal.Session; s != nil && s.Policy != nil {
		in.Session = []*iampolicy.Document{s.Policy}
	}
	d := iampolicy.Evaluate(req, in)
	if d.Allowed {
		return Result{Decision: d}
	}
	return Result{Decision: d, Why: explain(req, in, d)}
}

// explain finds which kind of policy refused, by asking the evaluator again
// with parts of the inputs, in the phrasing of AWS's enhanced AccessDenied
// messages.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
func explain(req iampolicy.Request, in iampolicy.Inputs, d iampolicy.Decision) string {
	onlyResource := iampolicy.Inputs{Resource: in.Resource, ResourceAccount: in.ResourceAccount, KeyPolicy: in.KeyPolicy}
	noSession := in
	noSession.Session = nil
	if d.ExplicitDeny {
		switch {
		case in.Resource != nil && iampolicy.Evaluate(req, onlyResource).ExplicitDeny:
			return "with an explicit deny in a resource-based policy"
		case len(in.Session) > 0 && !iampolicy.Evaluate(req, noSession).ExplicitDeny:
			return "with an explicit deny in a session policy"
		default:
			return "with an explicit deny in an identity-based policy"
		}
	}
	if in.Resource != nil || in.KeyPolicy {
		withAll := onlyResource
		withAll.Identity = []*iampolicy.Document{allowAll}
		if !iampolicy.Evaluate(req, withAll).Allowed {
			return "because no resource-based policy allows the " + req.Action + " action"
		}
	}
	if len(in.Session) > 0 && iampolicy.Evaluate(req, noSession).Allowed {
		return "because no session policy allows the " + req.Action + " action"
	}
	return "because no identity-based policy allows the " + req.Action + " action"
}

// request builds the evaluator's request with the global condition keys
// this caller's request carries.
func (a *Authorizer) request(q Query) iampolicy.Request {
	p := q.Principal
	caller := iampolicy.Caller{ARN: p.ARN, Account: p.Account}
	ctx := iampolicy.Context{}
	for k, v := range q.Context {
		ctx.Set(k, v...)
	}
	principalARN := p.ARN
	if s := p.Session; s != nil {
		caller.RoleARN = s.RoleARN
		principalARN = s.RoleARN // for a session, aws:PrincipalArn is the role
		ctx.Set("aws:TokenIssueTime", s.Issued.UTC().Format(time.RFC3339))
		if s.SourceIdentity != "" {
			ctx.Set("aws:SourceIdentity", s.SourceIdentity)
		}
	} else {
		ctx.Set("aws:username", p.UserName)
	}
	ctx.Set("aws:PrincipalArn", principalARN)
	ctx.Set("aws:PrincipalAccount", p.Account)
	ctx.Set("aws:PrincipalType", p.Type)
	ctx.Set("aws:userid", p.UserID)
	ctx.Set("aws:PrincipalIsAWSService", "false")
	for k, v := range a.Store.PrincipalTags(p) {
		ctx.Set("aws:PrincipalTag/"+k, v)
	}
	ctx.Set("aws:CurrentTime", q.Env.Now.UTC().Format(time.RFC3339))
	ctx.Set("aws:EpochTime", strconv.FormatInt(q.Env.Now.Unix(), 10))
	ctx.Set("aws:SecureTransport", strconv.FormatBool(q.Env.Secure))
	ctx.Set("aws:RequestedRegion", q.Env.Region)
	ctx.Set("aws:ViaAWSService", strconv.FormatBool(q.Env.ViaService))
	if q.Env.SourceIP != "" {
		ctx.Set("aws:SourceIp", q.Env.SourceIP)
	}
	if q.Res.Account != "" {
		ctx.Set("aws:ResourceAccount", q.Res.Account)
	}
	return iampolicy.Request{Caller: caller, Action: q.Action, Resource: q.Resource, Context: ctx}
}
