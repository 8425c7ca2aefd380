package iampolicy

import (
	"fmt"
	"slices"
	"strings"
)

// principalMatch grades how a Principal element names the caller. The grade
// decides which other policies still have to allow the request:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html#policy-eval-denyallow
type principalMatch int

const (
	matchNone principalMatch = iota
	// matchAccount: the caller's account (ID or :root) is named. That only
	// delegates to the account's identity policies.
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts
	matchAccount
	// matchEntity: the caller's role ARN, "*", or everyone-but (NotPrincipal).
	// Session policies still limit such a grant.
	matchEntity
	// matchExact: the caller's own ARN (user, role session, federated user),
	// the root user via its account, or a service principal. Not limited by
	// identity or session policies.
	matchExact
)

// parsePrincipals reads "*" or {"AWS"|"Service"|"Federated"|"CanonicalUser": string or [strings]}.
func parsePrincipals(v any) (*Principals, error) {
	if s, ok := v.(string); ok {
		if s != "*" {
			return nil, invalidPrincipal("", s)
		}
		return &Principals{Wildcard: true}, nil
	}
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return nil, errSyntax
	}
	p := &Principals{}
	for k, raw := range m {
		if !slices.Contains(principalTypes, k) {
			return nil, errSyntax
		}
		vals, err := stringList(raw)
		if err != nil || len(vals) == 0 {
			return nil, errSyntax
		}
		switch k {
		case "AWS":
			for _, a := range vals {
				if a == "*" {
					p.Wildcard = true
				} else {
					p.AWS = append(p.AWS, a)
				}
			}
		case "Service":
			p.Service = vals
		case "Federated":
			p.Federated = vals
		case "CanonicalUser":
			p.CanonicalUser = vals
		}
	}
	return p, nil
}

// checkPrincipals refuses AWS principals that are neither "*", an account ID
// nor a plain ARN: IAM allows no partial wildcards in principals.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-anonymous
func checkPrincipals(p *Principals) error {
	if p == nil {
		return nil
	}
	for _, a := range p.AWS {
		if isAccountID(a) {
			continue
		}
		if !strings.HasPrefix(a, "arn:") || strings.ContainsAny(a, "*?") {
			return invalidPrincipal("AWS", a)
		}
	}
	return nil
}

func invalidPrincipal(kind, value string) error {
	if kind == "" {
		return &ParseError{fmt.Sprintf("Invalid principal in policy: %q", value)}
	}
	return &ParseError{fmt.Sprintf("Invalid principal in policy: %q:%q", kind, value)}
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// principalAccount returns the account an AWS principal value names as a
// whole: a bare 12-digit ID or arn:PARTITION:iam::ACCOUNT:root.
func principalAccount(v string) (string, bool) {
	if isAccountID(v) {
		return v, true
	}
	rest, ok := strings.CutPrefix(v, "arn:")
	if !ok {
		return "", false
	}
	_, rest, ok = strings.Cut(rest, ":") // partition
	if !ok {
		return "", false
	}
	acct, ok := strings.CutPrefix(rest, "iam::")
	if !ok {
		return "", false
	}
	acct, ok = strings.CutSuffix(acct, ":root")
	if !ok || !isAccountID(acct) {
		return "", false
	}
	return acct, true
}

// isRoot reports whether the caller is an account's root user.
func (c *Caller) isRoot() bool {
	acct, ok := principalAccount(c.ARN)
	return ok && acct == c.Account && c.Account != ""
}

// match grades how p names the caller.
func (p *Principals) match(c *Caller) principalMatch {
	if c.Service != "" {
		if p.Wildcard || slices.Contains(p.Service, c.Service) {
			return matchExact
		}
		return matchNone
	}
	best := matchNone
	if p.Wildcard {
		best = matchEntity
	}
	for _, a := range p.AWS {
		switch {
		case c.ARN != "" && a == c.ARN:
			return matchExact
		case c.RoleARN != "" && a == c.RoleARN:
			best = max(best, matchEntity)
		default:
			if acct, ok := principalAccount(a); ok && acct == c.Account && c.Account != "" {
				if c.isRoot() {
					return matchExact
				}
				best = max(best, matchAccount)
			}
		}
	}
	return best
}

// excludes reports whether a NotPrincipal list exempts the caller. AWS checks
// every identity the request carries (account, role, session), so a caller is
// exempt only when all of them are listed.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html#specifying-notprincipal
func (p *Principals) excludes(c *Caller) bool {
	if p.Wildcard {
		return true
	}
	if c.Service != "" {
		return slices.Contains(p.Service, c.Service)
	}
	accountListed := false
	for _, a := range p.AWS {
		if acct, ok := principalAccount(a); ok && acct == c.Account && c.Account != "" {
			accountListed = true
		}
	}
	if !accountListed {
		return false
	}
	if c.isRoot() {
		return true
	}
	if c.ARN == "" || !slices.Contains(p.AWS, c.ARN) {
		return false
	}
	return c.RoleARN == "" || slices.Contains(p.AWS, c.RoleARN)
}
