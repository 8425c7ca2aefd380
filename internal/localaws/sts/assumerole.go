package sts

import (
	"bytes"
	"compress/flate"
	"encoding/xml"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tenantstorage/tenantstorage-operator/internal/iampolicy"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/authz"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/awsreq"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/state"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/world"
)

// Parameter patterns and limits from the AssumeRole API reference and the
// IAM quotas page.
// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
var (
	sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]*$`)
	externalIDRE  = regexp.MustCompile(`^[\w+=,.@:/-]*$`)
	tagKeyRE      = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
	tagValueRE    = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	policyRE      = regexp.MustCompile(`^[\x{0009}\x{000A}\x{000D}\x{0020}-\x{00FF}]+$`)
)

const (
	maxTags = 50
	// chainedMax is the cap on a session created by a role session.
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-role-chaining
	chainedMax = time.Hour
	// packedLimit approximates the packed size STS allows for session
	// policies and tags together; AWS does not publish its packing, so
	// PackedPolicySize here is an estimate (see README).
	packedLimit = 2048
)

type credentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type assumeRoleResult struct {
	XMLName         xml.Name    `xml:"AssumeRoleResult"`
	Credentials     credentials `xml:"Credentials"`
	AssumedRoleUser struct {
		Arn           string `xml:"Arn"`
		AssumedRoleID string `xml:"AssumedRoleId"`
	} `xml:"AssumedRoleUser"`
	PackedPolicySize *int   `xml:"PackedPolicySize,omitempty"`
	SourceIdentity   string `xml:"SourceIdentity,omitempty"`
}

// validation collects constraint violations in AWS's wording, e.g.
// "1 validation error detected: Value 'x' at 'roleSessionName' failed to
// satisfy constraint: Member must satisfy regular expression pattern: ...".
type validation []string

func (v *validation) fail(value *string, field, constraint string) {
	shown := "null"
	if value != nil {
		shown = "'" + *value + "'"
	}
	*v = append(*v, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: Member must %s", shown, field, constraint))
}

// str checks a string parameter; absent optional parameters pass.
func (v *validation) str(form url.Values, name, field string, required bool, minLen, maxLen int, re *regexp.Regexp, pattern string) {
	vals, present := form[name]
	if !present {
		if required {
			v.fail(nil, field, "not be null")
		}
		return
	}
	val := vals[0]
	n := utf8.RuneCountInString(val)
	switch {
	case n < minLen:
		v.fail(&val, field, fmt.Sprintf("have length greater than or equal to %d", minLen))
	case n > maxLen:
		v.fail(&val, field, fmt.Sprintf("have length less than or equal to %d", maxLen))
	case re != nil && !re.MatchString(val):
		v.fail(&val, field, "satisfy regular expression pattern: "+pattern)
	}
}

func (v validation) err() *awsreq.Error {
	if len(v) == 0 {
		return nil
	}
	noun := "error"
	if len(v) > 1 {
		noun = "errors"
	}
	return awsreq.Errorf(400, "ValidationError", fmt.Sprintf("%d validation %s detected: %s", len(v), noun, strings.Join(v, "; ")))
}

type tag struct{ key, value string }

func (s *Service) assumeRole(req *awsreq.Request, form url.Values) (any, *awsreq.Error) {
	var v validation
	v.str(form, "RoleArn", "roleArn", true, 20, 2048, nil, "")
	v.str(form, "RoleSessionName", "roleSessionName", true, 2, 64, sessionNameRE, `[\w+=,.@-]*`)
	v.str(form, "ExternalId", "externalId", false, 2, 1224, externalIDRE, `[\w+=,.@:\/-]*`)
	v.str(form, "SourceIdentity", "sourceIdentity", false, 2, 64, sessionNameRE, `[\w+=,.@-]*`)
	v.str(form, "Policy", "policy", false, 1, 2048, policyRE, `[\u0009\u000A\u000D\u0020-\u00FF]+`)
	duration := time.Hour
	durationSet := form.Has("DurationSeconds")
	if durationSet {
		raw := form.Get("DurationSeconds")
		n, err := strconv.Atoi(raw)
		switch {
		case err != nil:
			return nil, awsreq.Errorf(400, "MalformedInput", "DurationSeconds is not a number")
		case n < 900:
			v.fail(&raw, "durationSeconds", "have value greater than or equal to 900")
		case n > 43200:
			v.fail(&raw, "durationSeconds", "have value less than or equal to 43200")
		}
		duration = time.Duration(n) * time.Second
	}
	tags, transitive := parseTags(form, &v)
	if e := v.err(); e != nil {
		return nil, e
	}
	if form.Has("PolicyArns.member.1.arn") {
		return nil, awsreq.Errorf(400, "InvalidParameterValue", "localaws does not emulate managed session policies (PolicyArns)")
	}

	var sessionPolicy *iampolicy.Document
	if text := form.Get("Policy"); text != "" {
		doc, err := iampolicy.Parse([]byte(text))
		if err == nil {
			err = world.CheckKind(doc, world.IdentityPolicy)
		}
		if err != nil {
			return nil, awsreq.Errorf(400, "MalformedPolicyDocument", strings.TrimPrefix(err.Error(), "MalformedPolicyDocument: "))
		}
		sessionPolicy = doc
	}

	caller := req.Principal
	roleARN := form.Get("RoleArn")
	sessionName := form.Get("RoleSessionName")
	denied := func(action string) *awsreq.Error {
		// One message for every reason, so a caller learns nothing about
		// which check failed or whether the role exists.
		return awsreq.Errorf(403, "AccessDenied", fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s", caller.ARN, action, roleARN))
	}
	role, ok := s.Store.Role(roleARN)
	if !ok {
		return nil, denied("sts:AssumeRole")
	}
	ctx := iampolicy.Context{}
	ctx.Set("sts:RoleSessionName", sessionName)
	if form.Has("ExternalId") {
		ctx.Set("sts:ExternalId", form.Get("ExternalId"))
	}
	if form.Has("SourceIdentity") {
		ctx.Set("sts:SourceIdentity", form.Get("SourceIdentity"))
	}
	if len(tags) > 0 {
		keys := make([]string, len(tags))
		for i, t := range tags {
			ctx.Set("aws:RequestTag/"+t.key, t.value)
			keys[i] = t.key
		}
		ctx.Set("aws:TagKeys", keys...)
		if len(transitive) > 0 {
			ctx.Set("sts:TransitiveTagKeys", transitive...)
		}
	}
	q := authz.Query{Principal: caller, Action: "sts:AssumeRole", Resource: role.ARN,
		Res: authz.Resource{Policy: role.Trust, Account: role.Account}, Env: req.Env, Context: ctx}
	if !s.Authz.Evaluate(q).Allowed {
		return nil, denied("sts:AssumeRole")
	}
	// Passing tags or a source identity needs its own permission in the
	// trust policy (and, across accounts, the caller's policy).
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html#id_session-tags_permissions-required
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html#id_credentials_temp_control-access_monitor-perms
	if len(tags) > 0 {
		q.Action = "sts:TagSession"
		if !s.Authz.Evaluate(q).Allowed {
			return nil, denied("sts:TagSession")
		}
	}
	if form.Has("SourceIdentity") {
		q.Action = "sts:SetSourceIdentity"
		if !s.Authz.Evaluate(q).Allowed {
			return nil, denied("sts:SetSourceIdentity")
		}
	}

	chained := caller.Session != nil
	if chained && durationSet && duration > chainedMax {
		return nil, awsreq.Errorf(400, "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	if duration > role.MaxSessionDuration {
		return nil, awsreq.Errorf(400, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}

	sess := state.Session{
		RoleARN: role.ARN, RoleName: role.Name, RoleID: role.ID, Account: role.Account, Name: sessionName,
		Policy: sessionPolicy, SourceIdentity: form.Get("SourceIdentity"),
		Tags: map[string]string{}, TransitiveTagKeys: transitive,
		Issued: req.Env.Now, Expiration: req.Env.Now.Add(duration),
	}
	if chained {
		// A source identity, once set, stays with every chained session;
		// transitive tags are inherited.
		if caller.Session.SourceIdentity != "" {
			sess.SourceIdentity = caller.Session.SourceIdentity
		}
		for _, k := range caller.Session.TransitiveTagKeys {
			sess.Tags[k] = caller.Session.Tags[k]
			sess.TransitiveTagKeys = append(sess.TransitiveTagKeys, k)
		}
	}
	for _, t := range tags {
		sess.Tags[t.key] = t.value
	}

	out := &assumeRoleResult{SourceIdentity: sess.SourceIdentity}
	if form.Has("Policy") || len(tags) > 0 {
		size := packedSize(form.Get("Policy"), tags)
		if size > 100 {
			return nil, awsreq.Errorf(400, "PackedPolicyTooLarge", fmt.Sprintf("Packed policy consumes %d%% of allotted space, please use smaller policy.", size))
		}
		out.PackedPolicySize = &size
	}
	issued := s.Store.NewSession(sess)
	out.Credentials = credentials{
		AccessKeyID: issued.AccessKeyID, SecretAccessKey: issued.SecretAccessKey, SessionToken: issued.Token,
		Expiration: issued.Expiration.UTC().Format(time.RFC3339),
	}
	out.AssumedRoleUser.Arn = issued.ARN()
	out.AssumedRoleUser.AssumedRoleID = role.ID + ":" + sessionName
	return out, nil
}

// parseTags reads Tags.member.N.Key/Value and TransitiveTagKeys.member.N.
func parseTags(form url.Values, v *validation) ([]tag, []string) {
	var tags []tag
	for i := 1; ; i++ {
		prefix := fmt.Sprintf("Tags.member.%d.", i)
		if !form.Has(prefix+"Key") && !form.Has(prefix+"Value") {
			break
		}
		t := tag{form.Get(prefix + "Key"), form.Get(prefix + "Value")}
		field := fmt.Sprintf("tags.%d.member.", i)
		if utf8.RuneCountInString(t.key) > 128 || !tagKeyRE.MatchString(t.key) {
			v.fail(&t.key, field+"key", `have length less than or equal to 128 and satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+`)
		}
		if utf8.RuneCountInString(t.value) > 256 || !tagValueRE.MatchString(t.value) {
			v.fail(&t.value, field+"value", `have length less than or equal to 256 and satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*`)
		}
		tags = append(tags, t)
	}
	if len(tags) > maxTags {
		n := strconv.Itoa(len(tags))
		v.fail(&n, "tags", fmt.Sprintf("have length less than or equal to %d", maxTags))
	}
	var transitive []string
	for i := 1; form.Has(fmt.Sprintf("TransitiveTagKeys.member.%d", i)); i++ {
		transitive = append(transitive, form.Get(fmt.Sprintf("TransitiveTagKeys.member.%d", i)))
	}
	return tags, transitive
}

// packedSize estimates, in percent of the limit, how much of STS's packed
// session data a policy and tags take: compressed policy plus raw tags.
func packedSize(policy string, tags []tag) int {
	var buf bytes.Buffer
	zw, _ := flate.NewWriter(&buf, flate.BestCompression)
	// Writes to a bytes.Buffer do not fail, so neither does the compressor.
	_, _ = zw.Write([]byte(policy))
	zw.Close()
	n := buf.Len()
	for _, t := range tags {
		n += len(t.key) + len(t.value)
	}
	return (n*100 + packedLimit - 1) / packedLimit
}
