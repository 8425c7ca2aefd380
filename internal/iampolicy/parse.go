package iampolicy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// ParseError is a policy IAM would refuse. Message is the text AWS puts after
// "MalformedPolicyDocument: " so the emulator can answer with the same error.
type ParseError struct {
	Message string
}

func (e *ParseError) Error() string { return "MalformedPolicyDocument: " + e.Message }

// The messages below are the ones IAM answers for the same faults; the moto
// project records them from live AWS in tests/test_iam/test_iam_policies.py.
var (
	errSyntax      = &ParseError{"Syntax errors in policy."}
	errLegacy      = &ParseError{"The policy failed legacy parsing"}
	errDupSid      = &ParseError{"Statement IDs (SID) in a single policy must be unique."}
	errNoActions   = &ParseError{"Policy statement must contain actions."}
	errNoVendor    = &ParseError{"Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."}
	errActionColon = &ParseError{"Actions/Condition can contain only one colon."}
)

var (
	topElements       = []string{"Version", "Id", "Statement"}
	statementElements = []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}
	principalTypes    = []string{"AWS", "Service", "Federated", "CanonicalUser"}
)

// parsed carries what the later validation passes need to know about a
// statement beyond the Statement itself.
type parsed struct {
	st          Statement
	legacyFault bool // a fault IAM reports as "failed legacy parsing"
}

// Parse accepts the JSON forms AWS accepts: Statement as object or array;
// Action/Resource/Principal values as string or array; condition values as
// string/number/bool or arrays of them. It rejects what IAM rejects, checking
// in IAM's order so the first fault reported is the one IAM would report.
// Whether a Principal belongs in the document (identity vs resource policy)
// is left to the caller.
func Parse(data []byte) (*Document, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // keep numbers as written: condition values are strings to IAM
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, errSyntax
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errSyntax
	}
	top, ok := raw.(map[string]any)
	if !ok {
		return nil, errSyntax
	}
	for k := range top {
		if !slices.Contains(topElements, k) {
			return nil, errSyntax
		}
	}
	doc := &Document{}
	if v, ok := top["Version"]; ok {
		s, ok := v.(string)
		if !ok || (s != version2012 && s != "2008-10-17") {
			return nil, errSyntax
		}
		doc.Version = s
	}
	if v, ok := top["Id"]; ok {
		s, ok := v.(string)
		if !ok {
			return nil, errSyntax
		}
		doc.ID = s
	}
	var rawStatements []any
	switch v := top["Statement"].(type) {
	case map[string]any:
		rawStatements = []any{v}
	case []any:
		rawStatements = v
	}
	if len(rawStatements) == 0 {
		return nil, errSyntax
	}
	stmts := make([]parsed, 0, len(rawStatements))
	for _, r := range rawStatements {
		m, ok := r.(map[string]any)
		if !ok {
			return nil, errSyntax
		}
		p, err := parseStatement(m)
		if err != nil {
			return nil, err
		}
		stmts = append(stmts, p)
	}
	if err := validate(stmts); err != nil {
		return nil, err
	}
	doc.Statement = make([]Statement, len(stmts))
	for i := range stmts {
		doc.Statement[i] = stmts[i].st
	}
	return doc, nil
}

// MustParse is Parse for policies written in code; it panics on error.
func MustParse(s string) *Document {
	d, err := Parse([]byte(s))
	if err != nil {
		panic(fmt.Sprintf("iampolicy.MustParse: %v", err))
	}
	return d
}

// parseStatement does IAM's syntax pass over one statement.
func parseStatement(m map[string]any) (parsed, error) {
	var p parsed
	for k := range m {
		if !slices.Contains(statementElements, k) {
			return p, errSyntax
		}
	}
	for _, pair := range [][2]string{{"Action", "NotAction"}, {"Resource", "NotResource"}, {"Principal", "NotPrincipal"}} {
		_, a := m[pair[0]]
		_, b := m[pair[1]]
		if a && b {
			return p, errSyntax
		}
	}
	if v, ok := m["Sid"]; ok {
		s, ok := v.(string)
		if !ok {
			return p, errSyntax
		}
		p.st.Sid = s
	}
	effect, ok := m["Effect"].(string)
	switch {
	case !ok:
		return p, errSyntax
	case effect == string(Allow) || effect == string(Deny):
	case strings.EqualFold(effect, string(Allow)) || strings.EqualFold(effect, string(Deny)):
		// IAM's syntax pass ignores case; its legacy pass then refuses it.
		p.legacyFault = true
	default:
		return p, errSyntax
	}
	p.st.Effect = Effect(effect)

	var err error
	fields := []struct {
		name string
		dst  *[]string
	}{
		{"Action", &p.st.Action}, {"NotAction", &p.st.NotAction},
		{"Resource", &p.st.Resource}, {"NotResource", &p.st.NotResource},
	}
	for _, f := range fields {
		if v, ok := m[f.name]; ok {
			if *f.dst, err = stringList(v); err != nil {
				return p, err
			}
		}
	}
	if v, ok := m["Principal"]; ok {
		if p.st.Principal, err = parsePrincipals(v); err != nil {
			return p, err
		}
	}
	if v, ok := m["NotPrincipal"]; ok {
		if p.st.NotPrincipal, err = parsePrincipals(v); err != nil {
			return p, err
		}
	}
	if v, ok := m["Condition"]; ok {
		var dateFault bool
		if p.st.Condition, dateFault, err = parseConditions(v); err != nil {
			return p, err
		}
		p.legacyFault = p.legacyFault || dateFault
	}
	for _, list := range [][]string{p.st.Resource, p.st.NotResource} {
		for _, r := range list {
			p.legacyFault = p.legacyFault || legacyResourceFault(r)
		}
	}
	return p, nil
}

// validate runs IAM's checks that come after the syntax pass, in IAM's order.
func validate(stmts []parsed) error {
	for _, p := range stmts {
		if p.legacyFault {
			return errLegacy
		}
	}
	sids := map[string]bool{}
	for _, p := range stmts {
		if p.st.Sid == "" {
			continue
		}
		if sids[p.st.Sid] {
			return errDupSid
		}
		sids[p.st.Sid] = true
	}
	for _, p := range stmts {
		if len(p.st.Action) == 0 && len(p.st.NotAction) == 0 {
			return errNoActions
		}
	}
	for _, p := range stmts {
		for _, list := range [][]string{p.st.Resource, p.st.NotResource} {
			for _, r := range list {
				if r != "*" && !strings.Contains(r, ":") {
					return &ParseError{fmt.Sprintf("Resource %s must be in ARN format or \"*\".", r)}
				}
			}
		}
	}
	for _, p := range stmts {
		for _, list := range [][]string{p.st.Action, p.st.NotAction} {
			for _, a := range list {
				if err := checkActionName(a); err != nil {
					return err
				}
			}
		}
	}
	for _, p := range stmts {
		for _, pr := range []*Principals{p.st.Principal, p.st.NotPrincipal} {
			if err := checkPrincipals(pr); err != nil {
				return err
			}
		}
	}
	return nil
}

// stringList reads an element that may be one string or an array of strings.
// An empty array yields nil, which IAM treats like an absent element.
func stringList(v any) ([]string, error) {
	switch v := v.(type) {
	case string:
		return []string{v}, nil
	case []any:
		if len(v) == 0 {
			return nil, nil
		}
		out := make([]string, len(v))
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, errSyntax
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, errSyntax
}

// legacyResourceFault mirrors IAM's legacy check on ARNs: an ARN that uses
// "::" must have all six parts, and the service part must not be empty.
func legacyResourceFault(r string) bool {
	if r == "*" {
		return false
	}
	if strings.Contains(r, "::") && strings.Count(r, ":") < 5 {
		return true
	}
	parts := strings.SplitN(r, ":", 4)
	return len(parts) > 2 && parts[2] == ""
}

// checkActionName enforces IAM's "vendor:action" form for actions.
func checkActionName(a string) error {
	if a == "*" {
		return nil
	}
	vendor, _, ok := strings.Cut(a, ":")
	if !ok {
		return errNoVendor
	}
	if strings.Count(a, ":") > 1 {
		return errActionColon
	}
	if vendor == "*" {
		return nil
	}
	for _, c := range vendor {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '-' && c != '.' {
			return &ParseError{fmt.Sprintf("Vendor %s is not valid", vendor)}
		}
	}
	return nil
}

// parseConditions flattens a Condition block into (operator, key, values)
// triples sorted by operator and key, so equal blocks parse to equal slices.
// dateFault reports a Date operator value IAM's legacy pass refuses.
func parseConditions(v any) (conds []Condition, dateFault bool, err error) {
	block, ok := v.(map[string]any)
	if !ok {
		return nil, false, errSyntax
	}
	for op, rawKeys := range block {
		keys, ok := rawKeys.(map[string]any)
		if !ok {
			return nil, false, errSyntax
		}
		spec, known := parseOperator(op)
		if !known && len(keys) > 0 {
			return nil, false, errSyntax
		}
		for key, rawVals := range keys {
			vals, err := conditionValues(rawVals)
			if err != nil {
				return nil, false, err
			}
			if spec.kind == kindDate {
				for _, s := range vals {
					if _, ok := parseDate(s); !ok {
						dateFault = true
					}
				}
			}
			conds = append(conds, Condition{Operator: op, Key: key, Values: vals})
		}
	}
	slices.SortFunc(conds, func(a, b Condition) int {
		if c := strings.Compare(a.Operator, b.Operator); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return conds, dateFault, nil
}

// conditionValues reads a condition value: a string, number or bool, or an
// array of them. IAM compares them all as strings.
func conditionValues(v any) ([]string, error) {
	scalar := func(e any) (string, bool) {
		switch e := e.(type) {
		case string:
			return e, true
		case json.Number:
			return e.String(), true
		case bool:
			if e {
				return "true", true
			}
			return "false", true
		}
		return "", false
	}
	if s, ok := scalar(v); ok {
		return []string{s}, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, errSyntax
	}
	if len(arr) == 0 {
		return nil, nil
	}
	out := make([]string, len(arr))
	for i, e := range arr {
		s, ok := scalar(e)
		if !ok {
			return nil, errSyntax
		}
		out[i] = s
	}
	return out, nil
}
