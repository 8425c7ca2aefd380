package localaws_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

var ctx = context.Background()

func TestGetCallerIdentityUser(t *testing.T) {
	e := newEnv(t)
	out, err := e.vendor().sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	noErr(t, err)
	if *out.Arn != vendorUser || *out.Account != vendorAcct || !strings.HasPrefix(*out.UserId, "AIDA") || len(*out.UserId) != 21 {
		t.Fatalf("got %s %s %s", *out.Arn, *out.Account, *out.UserId)
	}
}

// Seed 000's chained setup: vendor user -> document-storage-role -> the
// customer's client role with the ExternalId.
func TestSeed000ChainedAssumeRole(t *testing.T) {
	e := newEnv(t)
	svc := e.serviceSession()
	id, err := svc.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	noErr(t, err)
	if *id.Arn != "arn:aws:sts::111111111111:assumed-role/document-storage-role/svc" {
		t.Fatalf("service session is %s", *id.Arn)
	}

	in := assumeInput(clientRole, "verify")
	in.ExternalId = aws.String(externalID)
	out, err := svc.sts.AssumeRole(ctx, in)
	noErr(t, err)
	if *out.AssumedRoleUser.Arn != "arn:aws:sts::222222222222:assumed-role/AlphaSense-DocumentStorage-ClientRole-acme/verify" ||
		!strings.HasPrefix(*out.AssumedRoleUser.AssumedRoleId, "AROA") || !strings.HasSuffix(*out.AssumedRoleUser.AssumedRoleId, ":verify") {
		t.Fatalf("assumed role user %+v", *out.AssumedRoleUser)
	}
	if !strings.HasPrefix(*out.Credentials.AccessKeyId, "ASIA") || out.Credentials.Expiration.Sub(e.clock.Now()) != time.Hour {
		t.Fatalf("credentials %s expire %v (now %v)", *out.Credentials.AccessKeyId, out.Credentials.Expiration, e.clock.Now())
	}
	if packedPolicySize(out) != nil || out.SourceIdentity != nil {
		t.Fatalf("unexpected PackedPolicySize/SourceIdentity")
	}
	c := out.Credentials
	client := e.clients(static(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken))
	id, err = client.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	noErr(t, err)
	if *id.Arn != *out.AssumedRoleUser.Arn || *id.Account != customerAcct || *id.UserId != *out.AssumedRoleUser.AssumedRoleId {
		t.Fatalf("client session is %s %s %s", *id.Arn, *id.Account, *id.UserId)
	}
	// The session reaches the customer's bucket and key.
	_, err = client.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(docBucket), Key: aws.String("probe"), Body: strings.NewReader("x")})
	noErr(t, err)
}

// One message for every refusal: the caller cannot tell a wrong ExternalId
// from a missing permission or a missing role.
func TestAssumeRoleDeniedMessage(t *testing.T) {
	e := newEnv(t)
	svc := e.serviceSession()
	caller := "arn:aws:sts::111111111111:assumed-role/document-storage-role/svc"
	msg := func(role string) string {
		return fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller, role)
	}
	for name, in := range map[string]*sts.AssumeRoleInput{
		"wrong ExternalId":   {RoleArn: aws.String(clientRole), RoleSessionName: aws.String("sess"), ExternalId: aws.String("acme-wrong-external-id")},
		"missing ExternalId": {RoleArn: aws.String(clientRole), RoleSessionName: aws.String("sess")},
		// The CLI in seed 000 names the role without the suffix the vendor's
		// AlphaSense-DocumentStorage-ClientRole-* permission requires.
		"seed 000 CLI role name": {RoleArn: aws.String(cliRole), RoleSessionName: aws.String("sess"), ExternalId: aws.String(externalID)},
		"no such role":           {RoleArn: aws.String("arn:aws:iam::222222222222:role/AlphaSense-DocumentStorage-ClientRole-nope"), RoleSessionName: aws.String("sess"), ExternalId: aws.String(externalID)},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := svc.sts.AssumeRole(ctx, in)
			wantError(t, err, 403, "AccessDenied", msg(*in.RoleArn))
		})
	}
	// The vendor's user itself is not trusted by the client role and has no
	// permission for it.
	in := assumeInput(clientRole, "sess")
	in.ExternalId = aws.String(externalID)
	_, err := e.vendor().sts.AssumeRole(ctx, in)
	wantError(t, err, 403, "AccessDenied", fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", vendorUser, clientRole))
}

// The CLI-named role works once the vendor's grant covers its name: the
// failure above is the seeds' naming mismatch, not the trust policy.
func TestSeed000CLIRoleWorksWhenGrantCoversName(t *testing.T) {
	e := newEnv(t)
	noErr(t, e.srv.SetRoleInlinePolicy(serviceRole, "service-role-policy",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::*:role/AlphaSense-DocumentStorage-ClientRole*"}]}`))
	in := assumeInput(cliRole, "sess")
	in.ExternalId = aws.String(externalID)
	e.assume(e.serviceSession(), in)
}

func TestRoleChainingLimit(t *testing.T) {
	e := newEnv(t)
	svc := e.serviceSession()
	in := assumeInput(clientRole, "long")
	in.ExternalId = aws.String(externalID)
	in.DurationSeconds = aws.Int32(3601)
	_, err := svc.sts.AssumeRole(ctx, in)
	wantError(t, err, 400, "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	in.DurationSeconds = aws.Int32(3600)
	_, err = svc.sts.AssumeRole(ctx, in)
	noErr(t, err)

	// Not chained (a user assuming), the role's maximum applies instead.
	admin := e.admin()
	long := assumeInput(kmsOnlyRole, "long")
	long.DurationSeconds = aws.Int32(7200)
	out, err := admin.sts.AssumeRole(ctx, long)
	noErr(t, err)
	if got := out.Credentials.Expiration.Sub(e.clock.Now()); got != 2*time.Hour {
		t.Fatalf("session lasts %v", got)
	}
	long.DurationSeconds = aws.Int32(7201)
	_, err = admin.sts.AssumeRole(ctx, long)
	wantError(t, err, 400, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
}

func TestAssumeRoleValidation(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	base := func() *sts.AssumeRoleInput { return assumeInput(s3OnlyRole, "ok") }
	long := strings.Repeat("a", 1225)
	cases := map[string]struct {
		mod func(*sts.AssumeRoleInput)
		msg string
	}{
		"session name pattern": {func(in *sts.AssumeRoleInput) { in.RoleSessionName = aws.String("bad name!") },
			`1 validation error detected: Value 'bad name!' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`},
		"session name length": {func(in *sts.AssumeRoleInput) { in.RoleSessionName = aws.String("a") },
			`1 validation error detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2`},
		"external id length": {func(in *sts.AssumeRoleInput) { in.ExternalId = aws.String(long) },
			`1 validation error detected: Value '` + long + `' at 'externalId' failed to satisfy constraint: Member must have length less than or equal to 1224`},
		"external id pattern": {func(in *sts.AssumeRoleInput) { in.ExternalId = aws.String("a b") },
			`1 validation error detected: Value 'a b' at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@:\/-]*`},
		"duration and source identity": {func(in *sts.AssumeRoleInput) {
			in.DurationSeconds = aws.Int32(899)
			in.SourceIdentity = aws.String("x")
		}, `2 validation errors detected: Value 'x' at 'sourceIdentity' failed to satisfy constraint: Member must have length greater than or equal to 2; ` +
			`Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			in := base()
			c.mod(in)
			_, err := admin.sts.AssumeRole(ctx, in)
			wantError(t, err, 400, "ValidationError", c.msg)
		})
	}
	t.Run("51 tags", func(t *testing.T) {
		in := base()
		for i := range 51 {
			in.Tags = append(in.Tags, ststypes.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")})
		}
		_, err := admin.sts.AssumeRole(ctx, in)
		wantError(t, err, 400, "ValidationError", "1 validation error detected: Value '51' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50")
	})
	t.Run("malformed session policy", func(t *testing.T) {
		in := base()
		in.Policy = aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Principal":"*"}]}`)
		_, err := admin.sts.AssumeRole(ctx, in)
		wantError(t, err, 400, "MalformedPolicyDocument", "Policy document should not specify a principal.")
	})
}

// A session policy only narrows the role's permissions.
func TestSessionPolicyNarrows(t *testing.T) {
	e := newEnv(t)
	in := assumeInput(clientRole, "narrow")
	in.ExternalId = aws.String(externalID)
	in.Policy = aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","kms:Decrypt"],"Resource":"*"}]}`)
	out, err := e.serviceSession().sts.AssumeRole(ctx, in)
	noErr(t, err)
	if size := packedPolicySize(out); size == nil || *size < 1 || *size > 100 {
		t.Fatalf("PackedPolicySize %v", size)
	}
	c := out.Credentials
	narrow := e.clients(static(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken))
	full := e.clientSession()
	_, err = full.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(docBucket), Key: aws.String("doc"), Body: strings.NewReader("d")})
	noErr(t, err)
	_, err = narrow.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(docBucket), Key: aws.String("doc"), Body: strings.NewReader("d")})
	wantError(t, err, 403, "AccessDenied", "Access Denied")
	_, err = narrow.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(docBucket), Key: aws.String("doc")})
	noErr(t, err)
	_, err = narrow.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(docBucket), Key: aws.String("doc")})
	noErr(t, err)

	// Everything else the role could do is denied to the narrowed session.
	p := put(t, full, docBucket, "doc", "d2")
	for name, call := range map[string]func() error{
		"HeadBucket": func() error {
			_, err := narrow.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(docBucket)})
			return err
		},
		"ListObjectsV2": func() error {
			_, err := narrow.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(docBucket)})
			return err
		},
		"GetObject by version": func() error {
			_, err := narrow.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(docBucket), Key: aws.String("doc"), VersionId: p.VersionId})
			return err
		},
		"DeleteObject": func() error {
			_, err := narrow.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(docBucket), Key: aws.String("doc")})
			return err
		},
		"DeleteObject by version": func() error {
			_, err := narrow.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(docBucket), Key: aws.String("doc"), VersionId: p.VersionId})
			return err
		},
		"RestoreObject": func() error {
			_, err := narrow.s3.RestoreObject(ctx, &s3.RestoreObjectInput{Bucket: aws.String(docBucket), Key: aws.String("doc"), RestoreRequest: &s3types.RestoreRequest{Days: aws.Int32(1)}})
			return err
		},
	} {
		err := call()
		if name == "HeadBucket" {
			wantError(t, err, 403, "Forbidden", "Forbidden")
			continue
		}
		t.Run(name, func(t *testing.T) { wantError(t, err, 403, "AccessDenied", "Access Denied") })
	}
	// A missing key without s3:ListBucket is AccessDenied, not NoSuchKey.
	_, err = narrow.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(docBucket), Key: aws.String("absent")})
	wantError(t, err, 403, "AccessDenied", "Access Denied")
	_, err = narrow.kms.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: aws.String(docKeyARN), NumberOfBytes: aws.Int32(32)})
	wantError(t, err, 400, "AccessDeniedException", "User: arn:aws:sts::222222222222:assumed-role/AlphaSense-DocumentStorage-ClientRole-acme/narrow is not authorized to perform: kms:GenerateDataKey on resource: "+docKeyARN+
		" because no session policy allows the kms:GenerateDataKey action")
	enc, err := full.kms.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(docKeyARN), Plaintext: []byte("p")})
	noErr(t, err)
	_, err = narrow.kms.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	noErr(t, err)
}

// Session tags need sts:TagSession and a source identity
// sts:SetSourceIdentity, in the trust policy.
func TestSessionTagsAndSourceIdentity(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	in := assumeInput(s3OnlyRole, "tagged")
	in.Tags = []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("docs")}}
	_, err := admin.sts.AssumeRole(ctx, in)
	wantError(t, err, 403, "AccessDenied", "User: arn:aws:iam::222222222222:user/acme-admin is not authorized to perform: sts:TagSession on resource: "+s3OnlyRole)

	noErr(t, e.srv.SetRoleTrustPolicy(s3OnlyRole, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`))
	in.SourceIdentity = aws.String("alice")
	_, err = admin.sts.AssumeRole(ctx, in)
	wantError(t, err, 403, "AccessDenied", "User: arn:aws:iam::222222222222:user/acme-admin is not authorized to perform: sts:SetSourceIdentity on resource: "+s3OnlyRole)

	noErr(t, e.srv.SetRoleTrustPolicy(s3OnlyRole, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}]}`))
	out, err := admin.sts.AssumeRole(ctx, in)
	noErr(t, err)
	if aws.ToString(out.SourceIdentity) != "alice" || packedPolicySize(out) == nil {
		t.Fatalf("source identity %v packed %v", out.SourceIdentity, packedPolicySize(out))
	}
	// The tag and source identity reach policy conditions of later calls.
	noErr(t, e.srv.SetBucketPolicy(docBucket, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::acme-document-bucket/*",
		"Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"docs","aws:SourceIdentity":"alice"}}}]}`))
	c := out.Credentials
	tagged := e.clients(static(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken))
	// acme-s3-only lacks KMS permissions, so write with SSE-S3.
	_, err = tagged.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(docBucket), Key: aws.String("t"), Body: strings.NewReader("t"), ServerSideEncryption: "AES256"})
	noErr(t, err)
	untagged := e.assume(admin, assumeInput(s3OnlyRole, "untagged"))
	_, err = untagged.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(docBucket), Key: aws.String("t"), Body: strings.NewReader("t"), ServerSideEncryption: "AES256"})
	wantError(t, err, 403, "AccessDenied", "Access Denied")
}

func TestSTSUnknownAction(t *testing.T) {
	e := newEnv(t)
	_, err := e.vendor().sts.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	wantError(t, err, 400, "InvalidAction", "Could not find operation GetSessionToken for version 2011-06-15")
}

// packedPolicySize reads AssumeRole's PackedPolicySize, which localaws
// still emits (sts/assumerole.go) and these tests check. The SDK deprecated
// the field (sts v1.51.0) when AWS lifted the packed-policy limit; until
// localaws follows, its emulation keeps being tested.
func packedPolicySize(out *sts.AssumeRoleOutput) *int32 {
	return out.PackedPolicySize //nolint:staticcheck // SA1019: localaws emits this deprecated field; the tests assert its emulation.
}
