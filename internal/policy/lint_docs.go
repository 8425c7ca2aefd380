package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/tenantstorage/tenantstorage-operator/internal/iampolicy"
)

// allowAll stands for the vendor's own policy, which is the vendor's part:
// the linter judges the customer's documents only.
var allowAll = iampolicy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)

// assume is the vendor's AssumeRole request into the client role, with
// externalID (nil: without one).
func (l *linter) assume(externalID *string) iampolicy.Request {
	ctx := iampolicy.Context{}.Set("aws:SecureTransport", "true")
	if externalID != nil {
		ctx.Set("sts:ExternalId", *externalID)
	}
	return iampolicy.Request{Caller: l.vendor, Action: "sts:AssumeRole", Resource: l.t.in.ClientRoleARN, Context: ctx}
}

func (l *linter) assumeAllowed(req iampolicy.Request, d *iampolicy.Document) iampolicy.Decision {
	return iampolicy.Evaluate(req, iampolicy.Inputs{Identity: []*iampolicy.Document{allowAll}, Resource: d, ResourceAccount: l.t.client.AccountID})
}

func (l *linter) errorCount() int {
	n := 0
	for _, f := range l.findings {
		if f.Severity == Error {
			n++
		}
	}
	return n
}

// trust checks that the vendor's service role, and nobody else, may assume
// the client role, and only with the tenant's ExternalId (guide 000,
// Step 3; AWS: "Always use External IDs for cross-account roles").
func (l *linter) trust(d *iampolicy.Document) {
	t := l.t
	id := t.in.ExternalID
	withID := l.assume(&id)
	svc := t.in.ServiceRoleARN
	conditionFix := fmt.Sprintf(`use exactly "Condition": {"StringEquals": {"sts:ExternalId": %q}}.`, id)
	errorsBefore := l.errorCount()
	vendorAdmitted := false
	var others []int // statements for principals other than the vendor
	for i, s := range d.Statement {
		lb := label(s, i)
		if s.Effect == iampolicy.Deny {
			if s.Matches(withID) {
				l.add(Error, DocTrust, lb, fmt.Sprintf("this Deny statement applies to the vendor's service role %s assuming the role with the ExternalId: a Deny wins over every Allow.", svc),
					fmt.Sprintf("exclude %s from it, or remove it.", svc))
			}
			continue
		}
		if !coversAction(s, "sts:AssumeRole") {
			continue
		}
		switch {
		case s.NotPrincipal != nil || s.Principal.Wildcard:
			l.add(Error, DocTrust, lb, `the Principal is "*" (or a NotPrincipal): every AWS account may try to assume the role, and only the ExternalId, which AWS says is not a secret, stands in the way.`,
				fmt.Sprintf(`name the vendor's service role only: "Principal": {"AWS": %q}.`, svc))
		case !admits(s, l.vendor):
			// The customer's own principals are its business, unless no
			// statement lets the vendor in: then this one meant to.
			others = append(others, i)
			continue
		default:
			l.trustPrincipals(s, lb)
		}
		vendorAdmitted = true
		l.trustCondition(s, lb, conditionFix)
	}
	if !vendorAdmitted {
		for _, i := range others {
			s := d.Statement[i]
			l.add(Error, DocTrust, label(s, i), fmt.Sprintf("the Principal names %s, not the vendor's service role %s: the vendor cannot assume the role (guide 000, Common Issue 3).", principalList(s.Principal), svc),
				fmt.Sprintf(`set "Principal": {"AWS": %q}.`, svc))
		}
	}
	if l.errorCount() > errorsBefore {
		return
	}
	// Nothing above explains a failure: let IAM's evaluation decide.
	wrong := "tenantstorage-lint-wrong-external-id"
	switch {
	case !vendorAdmitted:
		l.add(Error, DocTrust, "", fmt.Sprintf("no statement allows sts:AssumeRole to the vendor's service role %s.", svc),
			"add the statement of the rendered trust policy.")
	case !l.assumeAllowed(withID, d).Allowed:
		l.add(Error, DocTrust, "", fmt.Sprintf("the vendor's service role cannot assume the role with the tenant's ExternalId: %s.", l.assumeAllowed(withID, d).Reason),
			"compare it with the rendered trust policy.")
	case l.assumeAllowed(l.assume(nil), d).Allowed || l.assumeAllowed(l.assume(&wrong), d).Allowed:
		l.add(Error, DocTrust, "", "the role can also be assumed without the tenant's ExternalId (the confused-deputy problem).", conditionFix)
	}
}

// trustPrincipals warns about principals beyond the vendor's service role
// in a statement that admits it.
func (l *linter) trustPrincipals(s iampolicy.Statement, lb string) {
	svc := l.t.in.ServiceRoleARN
	exact, wholeAccount := false, false
	var others []string
	for _, p := range s.Principal.AWS {
		switch acct, ok := accountWide(p); {
		case p == svc:
			exact = true
		case ok && acct == l.t.service.AccountID:
			wholeAccount = true
		default:
			others = append(others, p)
		}
	}
	others = append(append(append(others, s.Principal.Service...), s.Principal.Federated...), s.Principal.CanonicalUser...)
	if wholeAccount && !exact {
		l.add(Warning, DocTrust, lb, fmt.Sprintf("the Principal is the vendor's whole account %s: any identity there whose own policy allows sts:AssumeRole can assume the role, not only the service role.", l.t.service.AccountID),
			fmt.Sprintf(`name the service role instead: "Principal": {"AWS": %q}.`, svc))
	}
	if len(others) > 0 {
		l.add(Warning, DocTrust, lb, fmt.Sprintf("the Principal also names %s: they can assume the role too, with the same ExternalId.", strings.Join(others, ", ")),
			"remove them, or give them a statement of their own with their own ExternalId.")
	}
}

// trustCondition checks the statement's sts:ExternalId condition.
func (l *linter) trustCondition(s iampolicy.Statement, lb, fix string) {
	id := l.t.in.ExternalID
	var conds []iampolicy.Condition
	for _, c := range s.Condition {
		if strings.EqualFold(c.Key, "sts:ExternalId") {
			conds = append(conds, c)
		}
	}
	if len(conds) == 0 {
		l.add(Error, DocTrust, lb, "there is no sts:ExternalId condition: anyone who gets the vendor to use this role ARN reaches the tenant's data (the confused-deputy problem).", "add "+strings.TrimPrefix(fix, "use exactly "))
		return
	}
	for _, c := range conds {
		switch {
		case c.Operator != "StringEquals":
			l.add(Error, DocTrust, lb, fmt.Sprintf("the sts:ExternalId condition uses %s, not StringEquals: %s.", c.Operator, operatorRisk(c.Operator)), fix)
		case id == "":
			// The tenant finding says it; no value to compare with.
		case !slices.Contains(c.Values, id):
			l.add(Error, DocTrust, lb, fmt.Sprintf("the sts:ExternalId condition expects %s, but the tenant's ExternalId is %q: AWS refuses the vendor (guide 000, Common Issue 2).", quoteAll(c.Values), id), fix)
		case len(c.Values) > 1:
			l.add(Error, DocTrust, lb, fmt.Sprintf("the sts:ExternalId condition also accepts %s: whoever is configured with one of them at the vendor, such as another tenant, can assume this role.", quoteAll(slices.DeleteFunc(slices.Clone(c.Values), func(v string) bool { return v == id }))), fix)
		}
	}
}

func operatorRisk(op string) string {
	switch {
	case strings.HasSuffix(op, "IfExists"):
		return "a request without any ExternalId passes it"
	case strings.Contains(op, "Like"):
		return "its wildcards can match other tenants' ExternalIds"
	case strings.Contains(op, "Not"):
		return "it lets in every ExternalId but the ones it lists"
	}
	return "only StringEquals with the tenant's exact value ties the role to this tenant"
}

func quoteAll(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

func principalList(p *iampolicy.Principals) string {
	all := append(append(append(slices.Clone(p.AWS), p.Service...), p.Federated...), p.CanonicalUser...)
	return strings.Join(all, ", ")
}

// permissions checks the client role's policy: the tenant's S3 actions
// and the guide's KMS actions on exactly the tenant's bucket and key.
func (l *linter) permissions(d *iampolicy.Document) {
	var needs []need
	if l.t.hasBucket {
		needs = l.s3Needs()
	}
	if l.t.hasKey {
		needs = append(needs, l.kmsNeeds()...)
	}
	denied := l.denials(DocPermissions, d, l.grantee, needs)
	explained := l.wrongResources(DocPermissions, d, needs)
	if l.listBucketOnObjects(DocPermissions, d, Error) {
		explained["s3:ListBucket"] = true
	}
	l.missing(DocPermissions, d, needs, denied, explained)
}

// bucket checks the bucket policy. With a client role it is optional
// (guide 000, Step 4: the role's own policy grants access in its account),
// so only what it breaks is reported; in direct mode it is the vendor's
// only grant (guide 004, Option A) and must allow every action.
func (l *linter) bucket(d *iampolicy.Document) {
	needs := l.s3Needs()
	denied := l.denials(DocBucket, d, l.grantee, needs)
	explained := l.wrongResources(DocBucket, d, needs)
	listSeverity := Warning
	if l.t.mode == Direct {
		listSeverity = Error
	}
	if l.listBucketOnObjects(DocBucket, d, listSeverity) {
		explained["s3:ListBucket"] = true
	}
	if l.t.mode != Direct {
		return
	}
	if !l.anyAdmits(d) {
		l.add(Error, DocBucket, "", fmt.Sprintf("no statement names %s%s: the vendor, in another account, cannot use the bucket.", l.t.granteeName(), l.namesInstead(d)),
			"add the statements of the rendered bucket policy.")
		return
	}
	l.missing(DocBucket, d, needs, denied, explained)
}

// key checks the key policy, which KMS requires to allow every use: to the
// grantee itself, or to its account's IAM policies through the root
// statement (docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
func (l *linter) key(d *iampolicy.Document) {
	t := l.t
	needs := l.kmsNeeds()
	denied := l.denials(DocKey, d, l.grantee, needs)
	root := fmt.Sprintf("arn:%s:iam::%s:root", t.key.Partition, t.key.AccountID)
	hasRoot := slices.ContainsFunc(d.Statement, func(s iampolicy.Statement) bool {
		if s.Effect != iampolicy.Allow || s.Principal == nil || !coversAction(s, "kms:PutKeyPolicy") {
			return false
		}
		return slices.ContainsFunc(s.Principal.AWS, func(p string) bool {
			acct, ok := accountWide(p)
			return ok && acct == t.key.AccountID
		})
	})
	switch {
	case !l.anyAdmits(d) && t.mode == Direct:
		l.add(Error, DocKey, "", fmt.Sprintf("no statement names %s%s: the vendor, in another account, cannot use the key.", t.granteeName(), l.namesInstead(d)),
			fmt.Sprintf("add the statement %q of the rendered key policy (%s).", ServiceRoleStatementSid, KeyPolicyStatementFile))
		return
	case !l.anyAdmits(d):
		l.add(Error, DocKey, "", fmt.Sprintf("the key policy has neither a statement for %s%s nor the root statement for %s that lets the account's IAM policies grant the key: the client role cannot use it.", t.granteeName(), l.namesInstead(d), root),
			fmt.Sprintf("add the statement %q of the rendered key policy (%s), and keep the root statement %q.", ClientRoleStatementSid, KeyPolicyStatementFile, RootStatementSid))
		return
	case !hasRoot:
		l.add(Warning, DocKey, "", fmt.Sprintf("the key policy has no root statement for %s: IAM policies in the account cannot grant this key, and unless a principal named here may administer it, nobody can change the key policy again.", root),
			fmt.Sprintf("add the statement %q of the rendered key policy (AWS's default key policy).", RootStatementSid))
	}
	explained := l.wrongResources(DocKey, d, needs)
	l.missing(DocKey, d, needs, denied, explained)
}

// anyAdmits reports whether an Allow statement of the resource policy d
// names the grantee, its account, or everyone.
func (l *linter) anyAdmits(d *iampolicy.Document) bool {
	return slices.ContainsFunc(d.Statement, func(s iampolicy.Statement) bool {
		return s.Effect == iampolicy.Allow && admits(s, l.grantee)
	})
}

// namesInstead lists the roles a resource policy names, for a message that
// says the grantee is not among them: usually a typo in the role ARN.
func (l *linter) namesInstead(d *iampolicy.Document) string {
	var roles []string
	for _, s := range d.Statement {
		if s.Effect != iampolicy.Allow || s.Principal == nil {
			continue
		}
		for _, p := range s.Principal.AWS {
			if strings.Contains(p, ":role/") && p != l.t.grantee() && !slices.Contains(roles, p) {
				roles = append(roles, p)
			}
		}
	}
	if len(roles) == 0 {
		return ""
	}
	return " (it names " + strings.Join(roles, ", ") + " instead)"
}

// wrongResources reports the bucket and key ARNs in the statements that
// apply to the grantee and are not the tenant's, once per statement and
// bucket or key. It returns the actions those statements meant to grant,
// so that they are not reported again as missing.
func (l *linter) wrongResources(doc string, d *iampolicy.Document, needs []need) map[string]bool {
	t := l.t
	explained := map[string]bool{}
	for i, s := range d.Statement {
		if s.Effect != iampolicy.Allow || !admits(s, l.grantee) {
			continue
		}
		seen := map[string]bool{}
		for _, r := range s.Resource {
			a, err := arn.Parse(r)
			if err != nil {
				continue
			}
			var problem, fix, family string
			switch {
			case a.Service == "s3" && t.hasBucket && !resourceMatches(r, t.in.BucketARN) && !resourceMatches(r, l.object):
				bucket, _, _ := strings.Cut(a.Resource, "/")
				if seen["s3:"+bucket] {
					continue
				}
				seen["s3:"+bucket] = true
				family = "s3:"
				problem = fmt.Sprintf("it names the bucket %s, not the tenant's bucket %s.", bucket, t.bucketName)
				fix = fmt.Sprintf("use %s for s3:ListBucket and %s for the object actions.", t.in.BucketARN, t.objectsARN())
			case a.Service == "kms" && t.hasKey && !resourceMatches(r, t.in.KeyARN):
				if seen[r] {
					continue
				}
				seen[r] = true
				family = "kms:"
				problem = fmt.Sprintf("it names the key %s, not the tenant's key %s.", r, t.in.KeyARN)
				if a.Region != "" && !strings.ContainsAny(a.Region, "*?") && a.Region != t.in.Region {
					problem = fmt.Sprintf("it names a key in %s (%s), but the tenant's key and region are %s (%s); guide 000's example policy hard-codes us-east-1.", a.Region, r, t.in.Region, t.in.KeyARN)
				}
				fix = fmt.Sprintf("use %s.", t.in.KeyARN)
			default:
				continue
			}
			l.add(Error, doc, label(s, i), problem, fix)
			for _, n := range needs {
				if strings.HasPrefix(n.action, family) && coversAction(s, n.action) {
					explained[n.display] = true
				}
			}
		}
	}
	return explained
}

// listBucketOnObjects reports statements that mean to grant s3:ListBucket
// but name only object ARNs (bucket/*), where it grants nothing: listing is
// authorized on the bucket ARN. Guide 004's Option A example does this.
func (l *linter) listBucketOnObjects(doc string, d *iampolicy.Document, sev Severity) bool {
	t := l.t
	if !t.hasBucket || len(t.bucketActions) == 0 {
		return false
	}
	list := need{"s3:ListBucket", "s3:ListBucket", t.in.BucketARN}
	if granted(d, l.request(l.grantee, list)) {
		return false
	}
	found := false
	for i, s := range d.Statement {
		if s.Effect != iampolicy.Allow || !admits(s, l.grantee) || !coversAction(s, "s3:ListBucket") {
			continue
		}
		if slices.ContainsFunc(s.Resource, func(r string) bool { return strings.HasPrefix(r, t.in.BucketARN+"/") }) {
			found = true
			l.add(sev, doc, label(s, i), fmt.Sprintf("s3:ListBucket is granted only on object ARNs (%s): it is a bucket-level action, authorized on the bucket ARN %s, so this grants no listing (guide 004's Option A example makes this mistake).", strings.Join(s.Resource, ", "), t.in.BucketARN),
				fmt.Sprintf("add %s to this statement's Resource, or grant s3:ListBucket on it in a statement of its own.", t.in.BucketARN))
		}
	}
	return found
}

// missing reports each action no statement allows, except those already
// explained by a Deny, a wrong ARN or a misplaced s3:ListBucket. An
// action allowed but for the statement's conditions is reported on that
// statement.
func (l *linter) missing(doc string, d *iampolicy.Document, needs []need, denied map[need]bool, explained map[string]bool) {
	reported := map[string]bool{}
	conditional := map[int][]string{}
	to := ""
	if doc != DocPermissions {
		to = " to " + l.t.grantee()
	}
	for _, n := range needs {
		if denied[n] || explained[n.display] || reported[n.display] {
			continue
		}
		req := l.request(l.grantee, n)
		if granted(d, req) {
			continue
		}
		reported[n.display] = true
		if i := conditionallyGranted(d, req); i >= 0 {
			conditional[i] = append(conditional[i], n.display)
			continue
		}
		where := n.resource
		if n.resource == l.object {
			where = l.t.objectsARN()
		}
		l.add(Error, doc, "", fmt.Sprintf("%s is not allowed%s on %s.", n.display, to, where),
			fmt.Sprintf("add %s to a statement that allows it on %s, as the rendered %s does.", n.display, where, doc))
	}
	for i, s := range d.Statement {
		if actions := conditional[i]; len(actions) > 0 {
			l.add(Error, doc, label(s, i), fmt.Sprintf("this statement allows %s only under conditions the vendor's requests do not meet.", strings.Join(actions, ", ")),
				"remove the condition, or make sure it holds for the vendor's requests.")
		}
	}
}

// conditionallyGranted returns the first Allow statement that would cover
// req without its conditions, or -1.
func conditionallyGranted(d *iampolicy.Document, req iampolicy.Request) int {
	for i, s := range d.Statement {
		if s.Effect != iampolicy.Allow || len(s.Condition) == 0 {
			continue
		}
		s.Condition = nil
		if s.Matches(req) {
			return i
		}
	}
	return -1
}
