package iampolicy

import (
	"bytes"
	"encoding/base64"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Condition operators and their semantics:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html

type opKind uint8

const (
	kindString opKind = iota + 1
	kindStringIgnoreCase
	kindStringLike
	kindNumeric
	kindDate
	kindBool
	kindBinary
	kindIP
	kindARN
	kindNull
)

type cmpOp uint8

const (
	cmpEq cmpOp = iota
	cmpLT
	cmpLE
	cmpGT
	cmpGE
)

type setOp uint8

const (
	setNone setOp = iota
	setForAnyValue
	setForAllValues
)

type baseOp struct {
	kind opKind
	cmp  cmpOp
	neg  bool // negated operators: a missing key makes them true
}

var baseOps = map[string]baseOp{
	"StringEquals":              {kind: kindString},
	"StringNotEquals":           {kind: kindString, neg: true},
	"StringEqualsIgnoreCase":    {kind: kindStringIgnoreCase},
	"StringNotEqualsIgnoreCase": {kind: kindStringIgnoreCase, neg: true},
	"StringLike":                {kind: kindStringLike},
	"StringNotLike":             {kind: kindStringLike, neg: true},
	"NumericEquals":             {kind: kindNumeric},
	"NumericNotEquals":          {kind: kindNumeric, neg: true},
	"NumericLessThan":           {kind: kindNumeric, cmp: cmpLT},
	"NumericLessThanEquals":     {kind: kindNumeric, cmp: cmpLE},
	"NumericGreaterThan":        {kind: kindNumeric, cmp: cmpGT},
	"NumericGreaterThanEquals":  {kind: kindNumeric, cmp: cmpGE},
	"DateEquals":                {kind: kindDate},
	"DateNotEquals":             {kind: kindDate, neg: true},
	"DateLessThan":              {kind: kindDate, cmp: cmpLT},
	"DateLessThanEquals":        {kind: kindDate, cmp: cmpLE},
	"DateGreaterThan":           {kind: kindDate, cmp: cmpGT},
	"DateGreaterThanEquals":     {kind: kindDate, cmp: cmpGE},
	"Bool":                      {kind: kindBool},
	"BinaryEquals":              {kind: kindBinary},
	"IpAddress":                 {kind: kindIP},
	"NotIpAddress":              {kind: kindIP, neg: true},
	"ArnEquals":                 {kind: kindARN},
	"ArnLike":                   {kind: kindARN},
	"ArnNotEquals":              {kind: kindARN, neg: true},
	"ArnNotLike":                {kind: kindARN, neg: true},
	"Null":                      {kind: kindNull},
}

type opSpec struct {
	baseOp
	set      setOp
	ifExists bool
}

// parseOperator splits "ForAnyValue:StringLikeIfExists" into its parts.
// IfExists is not allowed on Null.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists
func parseOperator(op string) (opSpec, bool) {
	var s opSpec
	if rest, ok := strings.CutPrefix(op, "ForAnyValue:"); ok {
		s.set, op = setForAnyValue, rest
	} else if rest, ok := strings.CutPrefix(op, "ForAllValues:"); ok {
		s.set, op = setForAllValues, rest
	}
	if rest, ok := strings.CutSuffix(op, "IfExists"); ok {
		s.ifExists, op = true, rest
	}
	b, ok := baseOps[op]
	if !ok || (b.kind == kindNull && s.ifExists) {
		return opSpec{}, false
	}
	s.baseOp = b
	return s, true
}

// eval decides one condition. resolve expands policy variables in String and
// ARN values (nil under policy version 2008-10-17).
func (c *Condition) eval(ctx func(string) ([]string, bool), resolve func(string) (string, bool)) bool {
	spec, ok := parseOperator(c.Operator)
	if !ok {
		return false // unknown operator: fail closed
	}
	vals, present := ctx(c.Key)
	present = present && len(vals) > 0
	if spec.kind == kindNull {
		// "true" asks for an absent key, "false" for a present one.
		// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Null
		for _, v := range c.Values {
			if b, err := strconv.ParseBool(v); err == nil && b != present {
				return true
			}
		}
		return false
	}
	if !present {
		// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
		switch {
		case spec.ifExists:
			return true
		case spec.set == setForAllValues:
			return true
		case spec.set == setForAnyValue:
			return false
		}
		return spec.neg
	}
	if spec.kind != kindString && spec.kind != kindStringIgnoreCase && spec.kind != kindStringLike && spec.kind != kindARN {
		resolve = nil // variables only work with String and ARN operators
	}
	// For each request value the operator holds when the value matches
	// some policy value (negated operators: matches none).
	anyTrue, allTrue := false, true
	for _, v := range vals {
		m, ok := spec.matchAny(v, c.Values, resolve)
		if !ok {
			return false // unparsable or unresolvable value: fail closed
		}
		holds := m != spec.neg
		anyTrue = anyTrue || holds
		allTrue = allTrue && holds
	}
	switch spec.set {
	case setForAllValues:
		return allTrue
	case setForAnyValue:
		return anyTrue
	}
	// Without a set operator a multivalued key matches when any value
	// matches; a negated operator needs every value to miss.
	if spec.neg {
		return allTrue
	}
	return anyTrue
}

// matchAny reports whether the request value v equals/matches any of the
// policy values. ok is false when a value cannot be interpreted.
func (s opSpec) matchAny(v string, policy []string, resolve func(string) (string, bool)) (match, ok bool) {
	for _, pv := range policy {
		m, ok := s.match(v, pv, resolve)
		if !ok {
			return false, false
		}
		if m {
			return true, true
		}
	}
	return false, true
}

func (s opSpec) match(v, pv string, resolve func(string) (string, bool)) (match, ok bool) {
	switch s.kind {
	case kindString, kindStringIgnoreCase:
		pv, ok := expandLiteral(pv, resolve)
		if !ok {
			return false, false
		}
		if s.kind == kindString {
			return v == pv, true
		}
		return strings.EqualFold(v, pv), true
	case kindStringLike:
		var buf [128]patElem
		pat, ok := compileGlob(buf[:0], pv, resolve)
		return ok && globMatch(pat, v, false), ok
	case kindARN:
		return arnLike(pv, v, resolve)
	case kindNumeric:
		a, errA := parseNumber(v)
		b, errB := parseNumber(pv)
		if errA != nil || errB != nil {
			return false, false
		}
		return compare(s.cmp, cmpFloat(a, b)), true
	case kindDate:
		a, okA := parseDate(v)
		b, okB := parseDate(pv)
		if !okA || !okB {
			return false, false
		}
		return compare(s.cmp, a.Compare(b)), true
	case kindBool:
		a, errA := strconv.ParseBool(v)
		b, errB := strconv.ParseBool(pv)
		if errA != nil || errB != nil {
			return false, false
		}
		return a == b, true
	case kindBinary:
		a, errA := base64.StdEncoding.DecodeString(v)
		b, errB := base64.StdEncoding.DecodeString(pv)
		if errA != nil || errB != nil {
			return false, false
		}
		return bytes.Equal(a, b), true
	case kindIP:
		addr, errA := netip.ParseAddr(v)
		prefix, errB := parsePrefix(pv)
		if errA != nil || errB != nil {
			return false, false
		}
		return prefix.Contains(addr.Unmap()), true
	}
	return false, false
}

func compare(op cmpOp, c int) bool {
	switch op {
	case cmpLT:
		return c < 0
	case cmpLE:
		return c <= 0
	case cmpGT:
		return c > 0
	case cmpGE:
		return c >= 0
	}
	return c == 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// parseNumber accepts the integers and decimals IAM compares; it refuses
// NaN and infinities, which strconv would otherwise let through.
func parseNumber(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
		return 0, strconv.ErrSyntax
	}
	return f, err
}

// parsePrefix reads a CIDR; a bare address means that single address (/32
// for IPv4, /128 for IPv6).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IPAddress
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, err
		}
		return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()).Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// dateLayouts are the W3C ISO 8601 profiles IAM accepts for dates.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date
var dateLayouts = []string{
	time.RFC3339, // also takes fractional seconds
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseDate reads an ISO 8601 date or epoch seconds (all digits, as IAM's
// legacy parser tells them apart); values without a zone are UTC.
func parseDate(s string) (time.Time, bool) {
	if s != "" && strings.Trim(s, "0123456789") == "" {
		secs, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.Unix(secs, 0).UTC(), true
	}
	u := strings.ToUpper(s)
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, u); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// arnLike matches the six colon-separated ARN parts one by one, each with
// wildcards, as ArnLike/ArnEquals do.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
func arnLike(pattern, v string, resolve func(string) (string, bool)) (match, ok bool) {
	var buf [128]patElem
	pat, ok := compileGlob(buf[:0], pattern, resolve)
	if !ok {
		return false, false
	}
	parts := strings.SplitN(v, ":", 6)
	if len(parts) != 6 {
		return false, true
	}
	for i, part := range parts {
		seg := pat
		if i < len(parts)-1 {
			j := slices.IndexFunc(pat, func(e patElem) bool { return e.b == ':' })
			if j < 0 {
				return false, true
			}
			seg, pat = pat[:j], pat[j+1:]
		}
		if !globMatch(seg, part, false) {
			return false, true
		}
	}
	return true, true
}
