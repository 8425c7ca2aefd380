package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/tenantstorage/tenantstorage-operator/internal/awsauth"
	"github.com/tenantstorage/tenantstorage-operator/internal/externalid"
	"github.com/tenantstorage/tenantstorage-operator/internal/iampolicy"
)

// Severity says whether a finding stops the vendor (Error) or only weakens
// the setup (Warning).
type Severity string

// Severities.
const (
	Error   Severity = "Error"
	Warning Severity = "Warning"
)

// Document names, as findings report them.
const (
	DocTenant      = "tenant"
	DocTrust       = "trust policy"
	DocPermissions = "permissions policy"
	DocBucket      = "bucket policy"
	DocKey         = "key policy"
)

// Finding is one problem in the customer's documents.
type Finding struct {
	Severity Severity `json:"severity"`
	Document string   `json:"document"`
	// Statement is the statement's Sid, or "#n" (1-based) without one; ""
	// for a problem of the whole document.
	Statement string `json:"statement,omitempty"`
	Problem   string `json:"problem"`
	Fix       string `json:"fix"`
}

func (f Finding) String() string {
	where := f.Document
	if f.Statement != "" {
		where += " statement " + f.Statement
	}
	return fmt.Sprintf("%s: %s: %s Fix: %s", f.Severity, where, f.Problem, f.Fix)
}

// HasErrors reports whether any finding is an Error.
func HasErrors(findings []Finding) bool {
	return slices.ContainsFunc(findings, func(f Finding) bool { return f.Severity == Error })
}

// LintInput is the tenant and the documents the customer applied; a nil
// document is not checked.
type LintInput struct {
	Tenant RenderInput
	// ProbePrefix is where the operator's probe object lives (default
	// ".tenantstorage-probe/"): object actions are checked on a key there,
	// so a policy scoped to the tenant's prefix passes when the probe
	// prefix is inside it.
	ProbePrefix       string
	TrustPolicy       []byte
	PermissionsPolicy []byte
	BucketPolicy      []byte
	KeyPolicy         []byte
}

// Session names of the callers the linter evaluates requests for; they
// only matter to policies that name sessions.
const (
	serviceSessionName = "tenantstorage-operator"
	tenantSessionName  = "tenantstorage-lint"
	defaultProbePrefix = ".tenantstorage-probe/"
)

// linter carries one Lint run.
type linter struct {
	t        *tenant
	object   string // the object ARN object actions are checked on
	vendor   iampolicy.Caller
	grantee  iampolicy.Caller // the client role's session, or the vendor in direct mode
	findings []Finding
}

// Lint reads the customer's documents and explains every problem that
// would stop the vendor, or that weakens the tenant's isolation. It fails
// only when the tenant itself cannot be read.
func Lint(in LintInput) ([]Finding, error) {
	t, err := parse(in.Tenant, false)
	if err != nil {
		return nil, err
	}
	prefix := in.ProbePrefix
	if prefix == "" {
		prefix = defaultProbePrefix
	}
	l := &linter{t: t, object: t.in.BucketARN + "/" + prefix + "probe"}
	l.vendor = iampolicy.Caller{ARN: awsauth.SessionARN(t.in.ServiceRoleARN, serviceSessionName), Account: t.service.AccountID, RoleARN: t.in.ServiceRoleARN}
	l.grantee = l.vendor
	if t.mode != Direct {
		l.grantee = iampolicy.Caller{ARN: awsauth.SessionARN(t.in.ClientRoleARN, tenantSessionName), Account: t.client.AccountID, RoleARN: t.in.ClientRoleARN}
	}

	if t.hasKey && t.key.Region != t.in.Region {
		l.add(Error, DocTenant, "", fmt.Sprintf("the key %s is in %s, but the tenant's region is %s.", t.in.KeyARN, t.key.Region, t.in.Region),
			fmt.Sprintf("S3 can only use a key in the bucket's region: use a key in %s, or move the tenant (bucket and key) to %s.", t.in.Region, t.key.Region))
	}
	if t.mode != Direct && !externalid.Valid(t.in.ExternalID) {
		problem := "the tenant has no ExternalId: its trust policy cannot require one, so any other customer of the vendor could get the vendor to use this role."
		if t.in.ExternalID != "" {
			problem = fmt.Sprintf("the tenant's ExternalId %q is not one AWS accepts (2-1224 characters of letters, digits and _+=,.@:/-).", t.in.ExternalID)
		}
		l.add(Error, DocTenant, "", problem, "set spec.externalId, or let the operator generate one, and require it in the trust policy.")
	}
	for _, d := range []struct {
		name string
		text []byte
		used bool
		kind docKind
		lint func(*iampolicy.Document)
	}{
		{DocTrust, in.TrustPolicy, t.mode != Direct, trustDoc, l.trust},
		{DocPermissions, in.PermissionsPolicy, t.mode != Direct, identityDoc, l.permissions},
		{DocBucket, in.BucketPolicy, t.hasBucket, resourceDoc, l.bucket},
		{DocKey, in.KeyPolicy, t.hasKey, resourceDoc, l.key},
	} {
		if d.text == nil {
			continue
		}
		if !d.used {
			l.add(Warning, d.name, "", "this tenant does not use a "+d.name+" ("+unusedBecause(t, d.name)+"), so it was not checked.",
				"check that the tenant's configuration is the one you meant.")
			continue
		}
		doc, err := iampolicy.Parse(d.text)
		if err == nil {
			err = checkKind(doc, d.kind)
		}
		if err != nil {
			l.add(Error, d.name, "", "AWS would refuse this document: "+strings.TrimSuffix(err.Error(), ".")+".", "start from the rendered "+d.name+".")
			continue
		}
		d.lint(doc)
	}
	return l.findings, nil
}

func unusedBecause(t *tenant, doc string) string {
	switch doc {
	case DocTrust, DocPermissions:
		return "it has no client role: direct access"
	case DocBucket:
		return "it has no bucket"
	}
	return "it has no key"
}

func (l *linter) add(sev Severity, doc, statement, problem, fix string) {
	l.findings = append(l.findings, Finding{Severity: sev, Document: doc, Statement: statement, Problem: problem, Fix: fix})
}

type docKind int

const (
	identityDoc docKind = iota
	resourceDoc
	trustDoc
)

// checkKind applies the rules IAM, S3 and KMS add to the policy grammar:
// identity policies name no principal, resource and trust policies name one
// in every statement, trust policies name no resource.
func checkKind(doc *iampolicy.Document, kind docKind) error {
	for i, s := range doc.Statement {
		hasPrincipal := s.Principal != nil || s.NotPrincipal != nil
		switch {
		case kind == identityDoc && hasPrincipal:
			return fmt.Errorf("statement %s names a Principal, which a policy attached to a role must not", label(s, i))
		case kind != identityDoc && !hasPrincipal:
			return fmt.Errorf("statement %s has no Principal", label(s, i))
		case kind == trustDoc && (len(s.Resource) > 0 || len(s.NotResource) > 0):
			return fmt.Errorf("statement %s has a Resource, which a trust policy must not", label(s, i))
		}
	}
	return nil
}

func label(s iampolicy.Statement, i int) string {
	if s.Sid != "" {
		return s.Sid
	}
	return fmt.Sprintf("#%d", i+1)
}

// need is one request the vendor makes.
type need struct {
	action   string // as evaluated, e.g. kms:ReEncryptFrom
	display  string // as the guides grant it, e.g. kms:ReEncrypt*
	resource string
}

func (l *linter) s3Needs() []need {
	var out []need
	for _, a := range l.t.in.S3Actions {
		r := l.object
		if slices.Contains(l.t.bucketActions, a) {
			r = l.t.in.BucketARN
		}
		out = append(out, need{a, a, r})
	}
	return out
}

func (l *linter) kmsNeeds() []need {
	var out []need
	for _, a := range GuideKMSActions {
		for _, use := range kmsUses[a] {
			out = append(out, need{use, a, l.t.in.KeyARN})
		}
	}
	return out
}

func (l *linter) request(c iampolicy.Caller, n need) iampolicy.Request {
	ctx := iampolicy.Context{}.Set("aws:SecureTransport", "true")
	if strings.HasPrefix(n.action, "kms:") {
		ctx.Set("kms:CallerAccount", c.Account)
	}
	return iampolicy.Request{Caller: c, Action: n.action, Resource: n.resource, Context: ctx}
}

// coversAction reports whether s's Action (or NotAction) includes action,
// whatever its principal, resource and conditions: the statement is
// stripped to its action and matched with IAM's own rules.
func coversAction(s iampolicy.Statement, action string) bool {
	return iampolicy.Statement{Effect: s.Effect, Action: s.Action, NotAction: s.NotAction}.
		Matches(iampolicy.Request{Action: action, Resource: "*"})
}

// admits reports whether s's Principal (or NotPrincipal) includes c,
// counting a grant to c's account (which delegates to its IAM policies).
func admits(s iampolicy.Statement, c iampolicy.Caller) bool {
	if s.Principal == nil && s.NotPrincipal == nil {
		return true
	}
	return iampolicy.Statement{Effect: s.Effect, Principal: s.Principal, NotPrincipal: s.NotPrincipal, Action: []string{"*"}}.
		Matches(iampolicy.Request{Caller: c, Action: "sts:GetCallerIdentity", Resource: "*"})
}

// resourceMatches reports whether the Resource pattern p covers resource.
func resourceMatches(p, resource string) bool {
	return iampolicy.Statement{Effect: iampolicy.Allow, Action: []string{"*"}, Resource: []string{p}}.
		Matches(iampolicy.Request{Action: "s3:GetObject", Resource: resource})
}

// accountWide returns the account a principal value names as a whole (an
// account ID or arn:...:root).
func accountWide(p string) (string, bool) {
	if len(p) == 12 && strings.Trim(p, "0123456789") == "" {
		return p, true
	}
	a, err := arn.Parse(p)
	if err != nil || a.Service != "iam" || a.Resource != "root" {
		return "", false
	}
	return a.AccountID, true
}

// granted reports whether an Allow statement of doc covers the request.
func granted(doc *iampolicy.Document, req iampolicy.Request) bool {
	return slices.ContainsFunc(doc.Statement, func(s iampolicy.Statement) bool {
		return s.Effect == iampolicy.Allow && s.Matches(req)
	})
}

// denials reports, for each Deny statement of doc that applies to some of
// the vendor's requests, the actions it blocks. A Deny wins over any Allow
// (docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html),
// so these are the vendor's hardest failures to understand from outside.
func (l *linter) denials(doc string, d *iampolicy.Document, c iampolicy.Caller, needs []need) map[need]bool {
	denied := map[need]bool{}
	for i, s := range d.Statement {
		if s.Effect != iampolicy.Deny {
			continue
		}
		var blocked []string
		for _, n := range needs {
			if s.Matches(l.request(c, n)) {
				denied[n] = true
				if !slices.Contains(blocked, n.display) {
					blocked = append(blocked, n.display)
				}
			}
		}
		if len(blocked) > 0 {
			l.add(Error, doc, label(s, i), fmt.Sprintf("this Deny statement applies to %s and blocks %s; a Deny wins over every Allow.", who(c), strings.Join(blocked, ", ")),
				fmt.Sprintf("exclude %s from it (for example with a condition on aws:PrincipalArn), or remove it.", c.RoleARN))
		}
	}
	return denied
}

func who(c iampolicy.Caller) string { return "the session of " + c.RoleARN }
