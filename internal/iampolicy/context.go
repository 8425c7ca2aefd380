package iampolicy

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Context holds request context keys for conditions. Keys are
// case-insensitive, so they are stored lower-cased; values are multi-valued.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-infoallreqs
type Context map[string][]string

// Set stores values under key (replacing earlier ones) and returns c for
// chaining. c must not be nil.
func (c Context) Set(key string, values ...string) Context {
	c[strings.ToLower(key)] = slices.Clone(values)
	return c
}

// Get returns the values stored under key, ignoring case.
func (c Context) Get(key string) ([]string, bool) {
	// Lower-case into a stack buffer: a map lookup keyed by string(bytes)
	// does not allocate, and Get runs for every condition evaluated.
	var buf [64]byte
	if len(key) > len(buf) || !isASCII(key) {
		v, ok := c[strings.ToLower(key)]
		return v, ok
	}
	b := buf[:len(key)]
	for i := range len(key) {
		b[i] = lowerASCII(key[i])
	}
	v, ok := c[string(b)]
	return v, ok
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
