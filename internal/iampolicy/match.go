package iampolicy

import (
	"strings"
	"unicode/utf8"
)

// patElem is one byte of a compiled wildcard pattern. Text that came from a
// policy variable or a ${*} / ${?} escape is literal even if it is '*' or '?'.
type patElem struct {
	b    byte
	kind uint8
}

const (
	elemLit uint8 = iota
	elemStar
	elemAny
)

// compileGlob turns s into a pattern where '*' and '?' are wildcards.
// resolve expands policy variables; nil leaves "${...}" literal (policy
// version 2008-10-17). ok is false when a variable has no value, which makes
// the element fail to match.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-specialchars
func compileGlob(dst []patElem, s string, resolve func(string) (string, bool)) ([]patElem, bool) {
	return dst, expandVars(s, resolve, func(text string, literal bool) {
		for i := 0; i < len(text); i++ {
			e := patElem{b: text[i]}
			if !literal {
				switch text[i] {
				case '*':
					e.kind = elemStar
				case '?':
					e.kind = elemAny
				}
			}
			dst = append(dst, e)
		}
	})
}

// expandLiteral resolves policy variables in s for operators without
// wildcards.
func expandLiteral(s string, resolve func(string) (string, bool)) (string, bool) {
	if resolve == nil || !strings.Contains(s, "${") {
		return s, true
	}
	var b strings.Builder
	ok := expandVars(s, resolve, func(text string, _ bool) { b.WriteString(text) })
	return b.String(), ok
}

// expandVars splits s into policy text and variable values, emitting each
// piece with whether it must be taken literally. Variables are ${key} or
// ${key, 'default'}; ${*}, ${?} and ${$} stand for the bare characters.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-default-values
func expandVars(s string, resolve func(string) (string, bool), emit func(text string, literal bool)) bool {
	if resolve == nil {
		emit(s, false)
		return true
	}
	for {
		start := strings.Index(s, "${")
		if start < 0 {
			emit(s, false)
			return true
		}
		end := strings.IndexByte(s[start:], '}')
		if end < 0 {
			emit(s, false)
			return true
		}
		emit(s[:start], false)
		name := s[start+2 : start+end]
		s = s[start+end+1:]
		switch name {
		case "*", "?", "$":
			emit(name, true)
			continue
		}
		key, def, hasDefault := strings.Cut(name, ",")
		if hasDefault {
			def = strings.TrimSpace(def)
			if len(def) < 2 || def[0] != '\'' || def[len(def)-1] != '\'' {
				return false
			}
			def = def[1 : len(def)-1]
		}
		val, ok := resolve(strings.TrimSpace(key))
		switch {
		case ok:
			emit(val, true)
		case hasDefault:
			emit(def, true)
		default:
			return false
		}
	}
}

// globMatch matches subject against pat. '*' spans any characters,
// including '/' and ':'; '?' is one character. fold compares ASCII letters
// case-insensitively (action names).
func globMatch(pat []patElem, subject string, fold bool) bool {
	p, i := 0, 0
	starP, starI := -1, 0
	for i < len(subject) {
		if p < len(pat) {
			switch e := pat[p]; e.kind {
			case elemStar:
				starP, starI = p, i
				p++
				continue
			case elemAny:
				_, n := utf8.DecodeRuneInString(subject[i:])
				i += n
				p++
				continue
			default:
				if e.b == subject[i] || fold && lowerASCII(e.b) == lowerASCII(subject[i]) {
					p++
					i++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		_, n := utf8.DecodeRuneInString(subject[starI:])
		starI += n
		p, i = starP+1, starI
	}
	for p < len(pat) && pat[p].kind == elemStar {
		p++
	}
	return p == len(pat)
}

func lowerASCII(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// matchPattern compiles pattern with variables and matches subject.
func matchPattern(pattern, subject string, resolve func(string) (string, bool), fold bool) bool {
	var buf [128]patElem
	pat, ok := compileGlob(buf[:0], pattern, resolve)
	return ok && globMatch(pat, subject, fold)
}

// matchAction: action names are case-insensitive and take wildcards.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
func matchAction(patterns []string, action string) bool {
	for _, p := range patterns {
		if matchPattern(p, action, nil, true) {
			return true
		}
	}
	return false
}

// matchResource: ARNs are case-sensitive and take wildcards. Policy
// variables count only in the resource part, after the fifth colon.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-resourceelement
func matchResource(patterns []string, resource string, resolve func(string) (string, bool)) bool {
	for _, p := range patterns {
		if matchPattern(p, resource, resourceResolver(p, resolve), false) {
			return true
		}
	}
	return false
}

// resourceResolver disables variables in a Resource value whose "${" sits
// before the fifth colon, where AWS does not expand them.
func resourceResolver(p string, resolve func(string) (string, bool)) func(string) (string, bool) {
	if resolve == nil {
		return nil
	}
	v := strings.Index(p, "${")
	if v < 0 {
		return nil
	}
	colons := 0
	for i := 0; i < v; i++ {
		if p[i] == ':' {
			colons++
		}
	}
	if colons < 5 {
		return nil
	}
	return resolve
}
