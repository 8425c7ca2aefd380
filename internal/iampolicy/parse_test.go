package iampolicy

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// Expected messages are those live IAM answers, as recorded by moto in
// tests/test_iam/test_iam_policies.py, and the policy grammar:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html

var acceptedPolicies = []struct {
	name string
	json string
	want *Document // checked when set
}{
	{
		name: "onboarding trust policy",
		json: onboardingTrust,
		want: &Document{Version: "2012-10-17", Statement: []Statement{{
			Effect:    Allow,
			Principal: &Principals{AWS: []string{"arn:aws:iam::444455556666:role/document-storage-role"}},
			Action:    []string{"sts:AssumeRole"},
			Condition: []Condition{{Operator: "StringEquals", Key: "sts:ExternalId", Values: []string{"customer-specific-external-id-2024"}}},
		}}},
	},
	{
		name: "onboarding service role policy",
		json: serviceRolePol,
		want: &Document{Version: "2012-10-17", Statement: []Statement{{
			Effect: Allow, Action: []string{"sts:AssumeRole"},
			Resource: []string{"arn:aws:iam::*:role/AlphaSense-DocumentStorage-ClientRole-*"},
		}}},
	},
	{
		name: "statement as object, lists as arrays",
		json: `{"Version":"2012-10-17","Id":"p1","Statement":{"Sid":"S1","Effect":"Deny","NotAction":["s3:Get*","s3:List*"],"NotResource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}}`,
		want: &Document{Version: "2012-10-17", ID: "p1", Statement: []Statement{{
			Sid: "S1", Effect: Deny, NotAction: []string{"s3:Get*", "s3:List*"},
			NotResource: []string{"arn:aws:s3:::b", "arn:aws:s3:::b/*"},
		}}},
	},
	{
		name: `Principal "*"`,
		json: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
		want: &Document{Version: "2012-10-17", Statement: []Statement{{
			Effect: Allow, Principal: &Principals{Wildcard: true}, Action: []string{"s3:GetObject"}, Resource: []string{"arn:aws:s3:::b/*"},
		}}},
	},
	{
		name: `Principal {"AWS":"*"} is the same wildcard`,
		json: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
		want: &Document{Version: "2012-10-17", Statement: []Statement{{
			Effect: Allow, Principal: &Principals{Wildcard: true}, Action: []string{"s3:GetObject"}, Resource: []string{"arn:aws:s3:::b/*"},
		}}},
	},
	{
		name: "every principal type",
		json: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":["111122223333","arn:aws:iam::111122223333:user/a"],"Service":"s3.amazonaws.com","Federated":"cognito-identity.amazonaws.com","CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"s3:GetObject","Resource":"*"}]}`,
		want: &Document{Version: "2012-10-17", Statement: []Statement{{
			Effect: Allow,
			NotPrincipal: &Principals{AWS: []string{"111122223333", "arn:aws:iam::111122223333:user/a"}, Service: []string{"s3.amazonaws.com"},
				Federated: []string{"cognito-identity.amazonaws.com"}, CanonicalUser: []string{"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}},
			Action: []string{"s3:GetObject"}, Resource: []string{"*"},
		}}},
	},
	{
		name: "condition values as numbers, bools and arrays",
		json: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"NumericLessThanEquals":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":true},"ForAnyValue:StringLike":{"s3:prefix":["a/*",1.50]},"DateGreaterThan":{"aws:EpochTime":1700000000}}}}`,
		want: &Document{Version: "2012-10-17", Statement: []Statement{{
			Effect: Allow, Action: []string{"s3:ListBucket"}, Resource: []string{"arn:aws:s3:::b"},
			Condition: []Condition{
				{Operator: "Bool", Key: "aws:SecureTransport", Values: []string{"true"}},
				{Operator: "DateGreaterThan", Key: "aws:EpochTime", Values: []string{"1700000000"}},
				{Operator: "ForAnyValue:StringLike", Key: "s3:prefix", Values: []string{"a/*", "1.50"}},
				{Operator: "NumericLessThanEquals", Key: "s3:max-keys", Values: []string{"10"}},
			},
		}}},
	},
	{
		name: "no Version (defaults to 2008-10-17)",
		json: `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`,
	},
	{
		name: "Version 2008-10-17",
		json: `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
	},
	{
		name: "KMS default key policy with a Sid containing spaces",
		json: defaultKeyPolicy,
	},
	{
		name: "empty Condition and empty operator blocks",
		json: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"DateGreaterThan":{},"a":{}}}}`,
		want: &Document{Version: "2012-10-17", Statement: []Statement{{Effect: Allow, Action: []string{"s3:ListBucket"}, Resource: []string{"arn:aws:s3:::b"}}}},
	},
	{
		name: "empty condition value list",
		json: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"DateGreaterThan":{"a":[]}}}}`,
	},
	{
		name: "IAM's own unusual but valid forms",
		json: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam: asdf safdsf af ","Resource":["arn:aws:s3:::example_bucket","*"]},{"Effect":"Allow","Action":"fsx:ListBucket","Resource":"arn:aws:fdsasf"}]}`,
	},
	{
		name: "every operator form with IfExists and set prefixes",
		json: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{
			"StringEqualsIgnoreCaseIfExists":{"k1":"v"},"ForAllValues:StringNotEqualsIfExists":{"k2":"v"},"ArnLikeIfExists":{"k3":"arn:aws:s3:::b"},
			"NumericGreaterThanEqualsIfExists":{"k4":"1"},"DateNotEquals":{"k5":"2024-01-01T00:00:00Z"},"BinaryEquals":{"k6":"QQ=="},
			"NotIpAddress":{"k7":"10.0.0.0/8"},"Null":{"k8":"true"},"ArnNotEquals":{"k9":"arn:aws:s3:::b"}}}}`,
	},
}

var rejectedPolicies = []struct {
	name, json, msg string
}{
	{"not JSON", `This is not a json document`, "Syntax errors in policy."},
	{"trailing data", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}} {}`, "Syntax errors in policy."},
	{"array document", `[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]`, "Syntax errors in policy."},
	{"unknown Version", `{"Version":"2013-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}}`, "Syntax errors in policy."},
	{"no Statement", `{"Version":"2012-10-17"}`, "Syntax errors in policy."},
	{"empty Statement list", `{"Version":"2012-10-17","Statement":[]}`, "Syntax errors in policy."},
	{"statement not an object", `{"Version":"2012-10-17","Statement":["afd"]}`, "Syntax errors in policy."},
	{"unknown top-level element", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"},"Extra field":"value"}`, "Syntax errors in policy."},
	{"top-level Condition", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"},"Condition":{}}`, "Syntax errors in policy."},
	{"unknown statement element", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Extra field":"value"}}`, "Syntax errors in policy."},
	{"Id not a string", `{"Version":"2012-10-17","Id":["x"],"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, "Syntax errors in policy."},
	{"Sid not a string", `{"Version":"2012-10-17","Statement":{"Sid":{},"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, "Syntax errors in policy."},
	{"bad Effect", `{"Version":"2012-10-17","Statement":{"Effect":"invalid","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}}`, "Syntax errors in policy."},
	{"missing Effect", `{"Version":"2012-10-17","Statement":{"Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}}`, "Syntax errors in policy."},
	{"Effect in the wrong case", `{"Version":"2012-10-17","Statement":{"Effect":"denY","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}}`, "The policy failed legacy parsing"},
	{"both Action and NotAction", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"s3:ListBucket","Action":"iam:dsf","Resource":"arn:aws:s3:::b"}}`, "Syntax errors in policy."},
	{"both Resource and NotResource", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","NotResource":"*"}}`, "Syntax errors in policy."},
	{"both Principal and NotPrincipal", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"s3:*","Resource":"*"}}`, "Syntax errors in policy."},
	{"no Action", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Resource":"arn:aws:s3:::example_bucket"}}`, "Policy statement must contain actions."},
	{"empty Action list", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":[],"Resource":"arn:aws:s3:::b"}}`, "Policy statement must contain actions."},
	{"second statement without Action", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny"},{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}]}`, "Policy statement must contain actions."},
	{"Action object", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":{},"Resource":"arn:aws:s3:::b"}}`, "Syntax errors in policy."},
	{"Action nested list", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":[[]],"Resource":"arn:aws:s3:::b"}}`, "Syntax errors in policy."},
	{"Action without vendor", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"invalid","Resource":"arn:aws:s3:::b"}}`, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."},
	{"Action with two colons", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:List:Bucket","Resource":"arn:aws:s3:::b"}}`, "Actions/Condition can contain only one colon."},
	{"Action with a bad vendor", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"a a:ListBucket","Resource":"arn:aws:s3:::b"}}`, "Vendor a a is not valid"},
	{"Resource not an ARN", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"invalid resource"}}`, `Resource invalid resource must be in ARN format or "*".`},
	{"empty Resource", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":""}}`, `Resource  must be in ARN format or "*".`},
	{"Resource object", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":{"a":"arn:aws:s3:::b"}}}`, "Syntax errors in policy."},
	{"Resource list with an object", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:ListBucket","Resource":["adfdf",{}]}}`, "Syntax errors in policy."},
	{"short ARN", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3::example_bucket"}}`, "The policy failed legacy parsing"},
	{"Condition list", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":[]}}`, "Syntax errors in policy."},
	{"Condition operator value not an object", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"a":"b"}}}`, "Syntax errors in policy."},
	{"unknown condition operator", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"x":{"a":"1"}}}}`, "Syntax errors in policy."},
	{"malformed set prefix", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"ForAnyValue::StringEqualsIfExists":{"a":"asf"}}}}`, "Syntax errors in policy."},
	{"NullIfExists", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"NullIfExists":{"a":"true"}}}}`, "Syntax errors in policy."},
	{"condition value object", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"DateGreaterThan":{"a":{}}}}}`, "Syntax errors in policy."},
	{"condition value null", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringEquals":{"a":null}}}}`, "Syntax errors in policy."},
	{"bad date", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"DateGreaterThan":{"a":"sdfdsf"}}}}`, "The policy failed legacy parsing"},
	{"duplicate Sid", `{"Version":"2012-10-17","Statement":[{"Sid":"sdf","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"},{"Sid":"sdf","Effect":"Allow"}]}`, "Statement IDs (SID) in a single policy must be unique."},
	{"wildcard inside a principal ARN", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/*"},"Action":"s3:*","Resource":"*"}}`, `Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:role/*"`},
	{"Principal string other than *", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"111122223333","Action":"s3:*","Resource":"*"}}`, `Invalid principal in policy: "111122223333"`},
	{"unknown principal type", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"User":"bob"},"Action":"s3:*","Resource":"*"}}`, "Syntax errors in policy."},
	{"empty principal object", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{},"Action":"s3:*","Resource":"*"}}`, "Syntax errors in policy."},
	{"empty principal list", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":[]},"Action":"s3:*","Resource":"*"}}`, "Syntax errors in policy."},
}

func TestParseAccepts(t *testing.T) {
	for _, tc := range acceptedPolicies {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := Parse([]byte(tc.json))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if tc.want != nil && !reflect.DeepEqual(doc, tc.want) {
				t.Errorf("got  %#v\nwant %#v", doc, tc.want)
			}
			checkRoundTrip(t, doc)
		})
	}
}

func TestParseRejects(t *testing.T) {
	for _, tc := range rejectedPolicies {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.json))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a *ParseError", err)
			}
			if pe.Message != tc.msg {
				t.Errorf("message %q, want %q", pe.Message, tc.msg)
			}
			if want := "MalformedPolicyDocument: " + tc.msg; err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
		})
	}
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "MalformedPolicyDocument") {
			t.Errorf("recover() = %v", r)
		}
	}()
	MustParse(`{}`)
}

func TestMarshalCanonical(t *testing.T) {
	doc := MustParse(`{"Statement":[{"Resource":["arn:aws:s3:::b/*"],"Condition":{"StringEquals":{"k":["a","b"]},"Bool":{"x":false}},"Action":["s3:GetObject"],"Principal":{"AWS":["*","111122223333"]},"Effect":"Allow","Sid":"A"}],"Version":"2012-10-17"}`)
	got, err := doc.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Principal":{"AWS":["*","111122223333"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"x":"false"},"StringEquals":{"k":["a","b"]}}}]}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestMarshalRefusesDuplicateConditions(t *testing.T) {
	doc := &Document{Version: version2012, Statement: []Statement{{Effect: Allow, Action: []string{"s3:*"}, Condition: []Condition{
		{Operator: "StringEquals", Key: "k", Values: []string{"a"}},
		{Operator: "StringEquals", Key: "k", Values: []string{"b"}},
	}}}}
	if _, err := doc.MarshalJSON(); err == nil {
		t.Error("want an error for a repeated condition")
	}
}

// checkRoundTrip asserts MarshalJSON's output parses back to an equal
// document and is itself a fixed point.
func checkRoundTrip(t *testing.T, doc *Document) {
	t.Helper()
	out, err := doc.MarshalJSON()
	if err != nil {
		t.Fatalf("MarshalJSON: %v", err)
	}
	again, err := Parse(out)
	if err != nil {
		t.Fatalf("re-Parse of %s: %v", out, err)
	}
	if !reflect.DeepEqual(doc, again) {
		t.Fatalf("round trip changed the document\nbefore %#v\nafter  %#v\njson %s", doc, again, out)
	}
	out2, err := again.MarshalJSON()
	if err != nil || !bytes.Equal(out, out2) {
		t.Fatalf("MarshalJSON not stable: %s vs %s (%v)", out, out2, err)
	}
}

func FuzzParse(f *testing.F) {
	for _, tc := range acceptedPolicies {
		f.Add([]byte(tc.json))
	}
	for _, tc := range rejectedPolicies {
		f.Add([]byte(tc.json))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Parse(data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			return
		}
		checkRoundTrip(t, doc)
	})
}
