package localaws_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/tenantstorage/tenantstorage-operator/internal/localaws"
	"github.com/tenantstorage/tenantstorage-operator/internal/seeds"
)

func put(t testing.TB, c *clients, bucket, key, body string) *s3.PutObjectOutput {
	t.Helper()
	out, err := c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)})
	noErr(t, err)
	return out
}

func get(t testing.TB, c *clients, in *s3.GetObjectInput) (string, *s3.GetObjectOutput) {
	t.Helper()
	out, err := c.s3.GetObject(ctx, in)
	noErr(t, err)
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	noErr(t, err)
	return string(b), out
}

// The client role's session uses the seed 000 bucket as the operator will:
// SSE-KMS by bucket default with a bucket key, versioning on.
func TestS3ObjectLifecycleSeed000(t *testing.T) {
	e := newEnv(t)
	c := e.clientSession()
	e.srv.ResetCalls()
	principal := "arn:aws:sts::222222222222:assumed-role/AlphaSense-DocumentStorage-ClientRole-acme/verify"

	p := put(t, c, docBucket, "tenants/a/doc.txt", "hello")
	if p.ServerSideEncryption != s3types.ServerSideEncryptionAwsKms || aws.ToString(p.SSEKMSKeyId) != docKeyARN ||
		!aws.ToBool(p.BucketKeyEnabled) || aws.ToString(p.VersionId) == "" {
		t.Fatalf("put: sse %s key %s bucketKey %v version %v", p.ServerSideEncryption, aws.ToString(p.SSEKMSKeyId), p.BucketKeyEnabled, p.VersionId)
	}
	head, err := c.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(docBucket), Key: aws.String("tenants/a/doc.txt")})
	noErr(t, err)
	if head.ServerSideEncryption != s3types.ServerSideEncryptionAwsKms || aws.ToString(head.SSEKMSKeyId) != docKeyARN ||
		aws.ToInt64(head.ContentLength) != 5 || aws.ToString(head.ETag) != aws.ToString(p.ETag) {
		t.Fatalf("head: %s %s %d %s", head.ServerSideEncryption, aws.ToString(head.SSEKMSKeyId), aws.ToInt64(head.ContentLength), aws.ToString(head.ETag))
	}
	body, g := get(t, c, &s3.GetObjectInput{Bucket: aws.String(docBucket), Key: aws.String("tenants/a/doc.txt")})
	if body != "hello" || aws.ToString(g.SSEKMSKeyId) != docKeyARN || aws.ToString(g.VersionId) != aws.ToString(p.VersionId) {
		t.Fatalf("get %q key %s version %s", body, aws.ToString(g.SSEKMSKeyId), aws.ToString(g.VersionId))
	}
	// S3 called KMS for the caller on PutObject and GetObject, never on
	// HeadObject.
	want := []localaws.Call{
		{Principal: principal, Service: "kms", Operation: "GenerateDataKey", Outcome: "OK", KMSKey: docKeyARN, Via: "s3.amazonaws.com"},
		{Principal: principal, Service: "s3", Operation: "PutObject", Outcome: "OK", Status: 200, Bucket: docBucket, Key: "tenants/a/doc.txt"},
		{Principal: principal, Service: "s3", Operation: "HeadObject", Outcome: "OK", Status: 200, Bucket: docBucket, Key: "tenants/a/doc.txt"},
		{Principal: principal, Service: "kms", Operation: "Decrypt", Outcome: "OK", KMSKey: docKeyARN, Via: "s3.amazonaws.com"},
		{Principal: principal, Service: "s3", Operation: "GetObject", Outcome: "OK", Status: 200, Bucket: docBucket, Key: "tenants/a/doc.txt"},
	}
	assertCalls(t, e.srv.Calls(localaws.CallFilter{}), want)

	// Versioning: a delete leaves a marker; the old version stays readable
	// by versionId (s3:GetObjectVersion) until deleted by versionId.
	del, err := c.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(docBucket), Key: aws.String("tenants/a/doc.txt")})
	noErr(t, err)
	if !aws.ToBool(del.DeleteMarker) || aws.ToString(del.VersionId) == "" {
		t.Fatalf("delete marker %v version %v", del.DeleteMarker, del.VersionId)
	}
	_, err = c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(docBucket), Key: aws.String("tenants/a/doc.txt")})
	wantError(t, err, 404, "NoSuchKey", "The specified key does not exist.")
	body, _ = get(t, c, &s3.GetObjectInput{Bucket: aws.String(docBucket), Key: aws.String("tenants/a/doc.txt"), VersionId: p.VersionId})
	if body != "hello" {
		t.Fatalf("old version %q", body)
	}
	_, err = c.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(docBucket), Key: aws.String("tenants/a/doc.txt"), VersionId: p.VersionId})
	noErr(t, err)
	_, err = c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(docBucket), Key: aws.String("tenants/a/doc.txt"), VersionId: p.VersionId})
	wantError(t, err, 404, "NoSuchVersion", "The specified version does not exist.")

	// RestoreObject: allowed but the object is not archived; a missing key
	// is NoSuchKey because the role may list the bucket.
	put(t, c, docBucket, "tenants/a/live.txt", "x")
	restore := &s3.RestoreObjectInput{Bucket: aws.String(docBucket), Key: aws.String("tenants/a/live.txt"), RestoreRequest: &s3types.RestoreRequest{Days: aws.Int32(1)}}
	_, err = c.s3.RestoreObject(ctx, restore)
	wantError(t, err, 403, "InvalidObjectState", "Restore is not allowed for the object's current storage class")
	restore.Key = aws.String("tenants/a/none.txt")
	_, err = c.s3.RestoreObject(ctx, restore)
	wantError(t, err, 404, "NoSuchKey", "The specified key does not exist.")

	// s3:GetEncryptionConfiguration is not among the seeds' permissions.
	_, err = c.s3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(docBucket)})
	wantError(t, err, 403, "AccessDenied", "Access Denied")
	enc, err := e.admin().s3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(docBucket)})
	noErr(t, err)
	rule := enc.ServerSideEncryptionConfiguration.Rules[0]
	if rule.ApplyServerSideEncryptionByDefault.SSEAlgorithm != s3types.ServerSideEncryptionAwsKms ||
		aws.ToString(rule.ApplyServerSideEncryptionByDefault.KMSMasterKeyID) != docKeyARN || !aws.ToBool(rule.BucketKeyEnabled) {
		t.Fatalf("encryption %+v", rule)
	}
}

// assertCalls compares records ignoring Seq, Time and AccessKeyID.
func assertCalls(t *testing.T, got, want []localaws.Call) {
	t.Helper()
	for i := range got {
		got[i].Seq, got[i].Time, got[i].AccessKeyID = 0, time.Time{}, ""
	}
	if !slices.Equal(got, want) {
		t.Fatalf("calls:\n got %+v\nwant %+v", got, want)
	}
}

// Seed 004 Option A: the bucket policy grants s3:ListBucket only on
// bucket/*, where it does not apply, so listing fails while object
// operations work.
func TestSeed004OptionABucketPolicy(t *testing.T) {
	e := newEnv(t)
	c := e.assume(e.vendor(), assumeInput(optionARole, "option-a"))

	_, err := c.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(optionABkt)})
	wantError(t, err, 403, "Forbidden", "Forbidden")
	_, err = c.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(optionABkt)})
	wantError(t, err, 403, "AccessDenied", "Access Denied")

	p := put(t, c, optionABkt, "doc.pdf", "pdf")
	if aws.ToString(p.SSEKMSKeyId) != optionAKey || p.VersionId != nil {
		t.Fatalf("put key %s version %v", aws.ToString(p.SSEKMSKeyId), p.VersionId)
	}
	if body, _ := get(t, c, &s3.GetObjectInput{Bucket: aws.String(optionABkt), Key: aws.String("doc.pdf")}); body != "pdf" {
		t.Fatalf("get %q", body)
	}
	// Without s3:ListBucket a missing key is AccessDenied, not NoSuchKey.
	_, err = c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(optionABkt), Key: aws.String("missing")})
	wantError(t, err, 403, "AccessDenied", "Access Denied")
	_, err = c.s3.RestoreObject(ctx, &s3.RestoreObjectInput{Bucket: aws.String(optionABkt), Key: aws.String("doc.pdf"), RestoreRequest: &s3types.RestoreRequest{Days: aws.Int32(1)}})
	wantError(t, err, 403, "InvalidObjectState", "Restore is not allowed for the object's current storage class")
	_, err = c.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(optionABkt), Key: aws.String("doc.pdf")})
	noErr(t, err)

	// Granting listing on the bucket ARN is what the policy needed.
	fixed := strings.Replace(seeds.MustFill(seeds.OptionABucketPolicy, seeds.Values{VendorAccountID: vendorAcct, BucketName: optionABkt, CustomerFacingRoleName: "alphasense-customer-acme"}),
		`"Resource": "arn:aws:s3:::acme-option-a-bucket/*"`, `"Resource": ["arn:aws:s3:::acme-option-a-bucket", "arn:aws:s3:::acme-option-a-bucket/*"]`, 1)
	noErr(t, e.srv.SetBucketPolicy(optionABkt, fixed))
	_, err = c.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(optionABkt)})
	noErr(t, err)
}

func TestHeadBucketRegionAndExistence(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	out, err := admin.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(docBucket)})
	noErr(t, err)
	if aws.ToString(out.BucketRegion) != region {
		t.Fatalf("region %v", out.BucketRegion)
	}
	// Signed for us-east-1, the eu-west-1 bucket redirects and names its
	// region.
	_, err = admin.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(euBucket)})
	wantError(t, err, 301, "MovedPermanently", "Moved Permanently")
	wantHeader(t, err, "X-Amz-Bucket-Region", "eu-west-1")
	eu := e.clients(static(adminKeyID, adminSecret, ""), config.WithRegion("eu-west-1"))
	_, err = eu.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(euBucket)})
	noErr(t, err)
	_, err = admin.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("no-such-bucket")})
	wantError(t, err, 404, "NotFound", "")
	// An unauthorized caller still learns the region.
	_, err = e.vendor().s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(docBucket)})
	wantError(t, err, 403, "Forbidden", "Forbidden")
	wantHeader(t, err, "X-Amz-Bucket-Region", region)
	// Other operations redirect with S3's PermanentRedirect document.
	_, err = admin.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(euBucket), Key: aws.String("k")})
	wantError(t, err, 301, "PermanentRedirect", "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.")
}

func wantHeader(t *testing.T, err error, name, value string) {
	t.Helper()
	var resp *awshttp.ResponseError
	if !errors.As(err, &resp) || resp.Response.Header.Get(name) != value {
		t.Fatalf("want header %s: %s in %v", name, value, err)
	}
}

// The caller's own identity policy must allow kms:GenerateDataKey for S3
// to write into an SSE-KMS bucket for it.
func TestPutObjectNeedsGenerateDataKey(t *testing.T) {
	e := newEnv(t)
	c := e.assume(e.admin(), assumeInput(s3OnlyRole, "s3only"))
	e.srv.ResetCalls()
	_, err := c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(docBucket), Key: aws.String("k"), Body: strings.NewReader("k")})
	principal := "arn:aws:sts::222222222222:assumed-role/acme-s3-only/s3only"
	wantError(t, err, 403, "AccessDenied", "User: "+principal+" is not authorized to perform: kms:GenerateDataKey on resource: "+docKeyARN+
		" because no identity-based policy allows the kms:GenerateDataKey action")
	assertCalls(t, e.srv.Calls(localaws.CallFilter{}), []localaws.Call{
		{Principal: principal, Service: "kms", Operation: "GenerateDataKey", Outcome: "AccessDeniedException", KMSKey: docKeyARN, Via: "s3.amazonaws.com"},
		{Principal: principal, Service: "s3", Operation: "PutObject", Outcome: "AccessDenied", Status: 403, Bucket: docBucket, Key: "k"},
	})
	// SSE-S3 needs no KMS permission.
	_, err = c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(docBucket), Key: aws.String("k"), Body: strings.NewReader("k"), ServerSideEncryption: s3types.ServerSideEncryptionAes256})
	noErr(t, err)
	// The condition keys see the request's headers, not the bucket default.
	noErr(t, e.srv.SetBucketPolicy(docBucket, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::acme-document-bucket/*",
		"Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}}]}`))
	client := e.clientSession()
	_, err = client.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(docBucket), Key: aws.String("k"), Body: strings.NewReader("k")})
	wantError(t, err, 403, "AccessDenied", "Access Denied")
	_, err = client.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(docBucket), Key: aws.String("k"), Body: strings.NewReader("k"), ServerSideEncryption: s3types.ServerSideEncryptionAwsKms})
	noErr(t, err)
}

// Objects are encrypted under a KMS data key for real: with the key
// disabled or pending deletion GetObject fails, HeadObject does not.
func TestGetObjectKeyStates(t *testing.T) {
	e := newEnv(t)
	c := e.clientSession()
	put(t, c, docBucket, "k", "secret")
	noErr(t, e.srv.SetKeyState(docKeyID, "Disabled"))
	_, err := c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(docBucket), Key: aws.String("k")})
	wantError(t, err, 400, "KMS.DisabledException", docKeyARN+" is disabled.")
	_, err = c.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(docBucket), Key: aws.String("k")})
	noErr(t, err)
	_, err = c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(docBucket), Key: aws.String("k2"), Body: strings.NewReader("x")})
	wantError(t, err, 400, "KMS.DisabledException", docKeyARN+" is disabled.")
	noErr(t, e.srv.SetKeyState(docKeyARN, "PendingDeletion"))
	_, err = c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(docBucket), Key: aws.String("k")})
	wantError(t, err, 400, "KMS.KMSInvalidStateException", docKeyARN+" is pending deletion.")
	noErr(t, e.srv.SetKeyState(docKeyID, "Enabled"))
	if body, _ := get(t, c, &s3.GetObjectInput{Bucket: aws.String(docBucket), Key: aws.String("k")}); body != "secret" {
		t.Fatalf("body %q", body)
	}
}

func TestListObjectsV2(t *testing.T) {
	e := newEnv(t)
	c := e.clientSession()
	for _, k := range []string{"a/1", "a/2", "b/1", "b/2/x", "c", "d"} {
		put(t, c, docBucket, k, k)
	}
	list := func(in *s3.ListObjectsV2Input) (keys, prefixes []string, out *s3.ListObjectsV2Output) {
		t.Helper()
		in.Bucket = aws.String(docBucket)
		out, err := c.s3.ListObjectsV2(ctx, in)
		noErr(t, err)
		for _, o := range out.Contents {
			keys = append(keys, *o.Key)
		}
		for _, p := range out.CommonPrefixes {
			prefixes = append(prefixes, *p.Prefix)
		}
		return keys, prefixes, out
	}
	keys, prefixes, out := list(&s3.ListObjectsV2Input{Delimiter: aws.String("/"), MaxKeys: aws.Int32(3)})
	if !slices.Equal(keys, []string{"c"}) || !slices.Equal(prefixes, []string{"a/", "b/"}) || !aws.ToBool(out.IsTruncated) || aws.ToInt32(out.KeyCount) != 3 {
		t.Fatalf("page 1: %v %v %v", keys, prefixes, out.IsTruncated)
	}
	keys, prefixes, out = list(&s3.ListObjectsV2Input{Delimiter: aws.String("/"), MaxKeys: aws.Int32(3), ContinuationToken: out.NextContinuationToken})
	if !slices.Equal(keys, []string{"d"}) || prefixes != nil || aws.ToBool(out.IsTruncated) {
		t.Fatalf("page 2: %v %v %v", keys, prefixes, out.IsTruncated)
	}
	keys, prefixes, _ = list(&s3.ListObjectsV2Input{Prefix: aws.String("b/"), Delimiter: aws.String("/")})
	if !slices.Equal(keys, []string{"b/1"}) || !slices.Equal(prefixes, []string{"b/2/"}) {
		t.Fatalf("prefix b/: %v %v", keys, prefixes)
	}
	keys, _, _ = list(&s3.ListObjectsV2Input{StartAfter: aws.String("b/1")})
	if !slices.Equal(keys, []string{"b/2/x", "c", "d"}) {
		t.Fatalf("start-after: %v", keys)
	}
	// s3:prefix reaches the bucket policy.
	noErr(t, e.srv.SetBucketPolicy(docBucket, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::acme-document-bucket",
		"Condition":{"StringNotLike":{"s3:prefix":"a/*"}}}]}`))
	keys, _, _ = list(&s3.ListObjectsV2Input{Prefix: aws.String("a/")})
	if !slices.Equal(keys, []string{"a/1", "a/2"}) {
		t.Fatalf("prefix a/: %v", keys)
	}
	_, err := c.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(docBucket), Prefix: aws.String("b/")})
	wantError(t, err, 403, "AccessDenied", "Access Denied")
}

// Uploads with an unsigned payload and with a body in memory round-trip;
// a body that does not match its signed digest is refused.
func TestPayloadForms(t *testing.T) {
	e := newEnv(t)
	c := e.clientSession()
	// Over plain HTTP the SDK hashes the body unless told not to, and its
	// default checksum calculation would hash it anyway.
	unsigned := s3.NewFromConfig(c.cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.APIOptions = append(o.APIOptions, v4SwapUnsigned)
	})
	data := bytes.Repeat([]byte("0123456789"), 100_000)
	_, err := unsigned.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(docBucket), Key: aws.String("big"), Body: bytes.NewReader(data)})
	noErr(t, err)
	if p := e.putPayload.Load(); p != "UNSIGNED-PAYLOAD" {
		t.Fatalf("payload sent as %v", p)
	}
	body, _ := get(t, c, &s3.GetObjectInput{Bucket: aws.String(docBucket), Key: aws.String("big"), Range: aws.String("bytes=10-19")})
	if body != "0123456789" {
		t.Fatalf("range %q", body)
	}
	put(t, c, docBucket, "signed", "signed")
	if sum := sha256.Sum256([]byte("signed")); e.putPayload.Load() != hex.EncodeToString(sum[:]) {
		t.Fatalf("payload sent as %v", e.putPayload.Load())
	}
	status, code := rawPutMismatch(t, e)
	if status != 400 || code != "XAmzContentSHA256Mismatch" {
		t.Fatalf("mismatched digest: %d %s", status, code)
	}
}

func TestAPIErrorTypes(t *testing.T) {
	e := newEnv(t)
	_, err := e.admin().s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(docBucket), Key: aws.String("none")})
	var nsk *s3types.NoSuchKey
	if !errors.As(err, &nsk) {
		t.Fatalf("want *types.NoSuchKey, got %T %v", err, err)
	}
	var api smithy.APIError
	_, err = e.admin().s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("no-such-bucket"), Key: aws.String("k"), Body: strings.NewReader("")})
	if !errors.As(err, &api) || api.ErrorCode() != "NoSuchBucket" {
		t.Fatalf("want NoSuchBucket, got %v", err)
	}
}

// Explicit SSE headers override the bucket default; a key alias resolves
// in the requester's account.
func TestPutObjectExplicitSSE(t *testing.T) {
	e := newEnv(t)
	c := e.clientSession()
	_, err := c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(optionABkt), Key: aws.String("k"), Body: strings.NewReader("k"),
		ServerSideEncryption: s3types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String("alias/acme-documents"),
		SSEKMSEncryptionContext: aws.String("eyJ0ZW5hbnQiOiJhY21lIn0=")}) // {"tenant":"acme"}
	// The client role may not write to the Option A bucket at all.
	wantError(t, err, 403, "AccessDenied", "Access Denied")
	out, err := c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(docBucket), Key: aws.String("k"), Body: strings.NewReader("k"),
		ServerSideEncryption: s3types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String("alias/acme-documents"),
		SSEKMSEncryptionContext: aws.String("eyJ0ZW5hbnQiOiJhY21lIn0="), BucketKeyEnabled: aws.Bool(false)})
	noErr(t, err)
	if aws.ToString(out.SSEKMSKeyId) != docKeyARN || aws.ToBool(out.BucketKeyEnabled) {
		t.Fatalf("key %s bucket key %v", aws.ToString(out.SSEKMSKeyId), out.BucketKeyEnabled)
	}
	// The encryption context S3 used reaches the key policy: require it.
	noErr(t, e.srv.SetKeyPolicy(docKeyARN, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+clientRole+`"},"Action":"kms:*","Resource":"*",
		"Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com","kms:EncryptionContext:tenant":"acme","kms:EncryptionContext:aws:s3:arn":"arn:aws:s3:::acme-document-bucket/k"}}}]}`))
	if body, _ := get(t, c, &s3.GetObjectInput{Bucket: aws.String(docBucket), Key: aws.String("k")}); body != "k" {
		t.Fatalf("body %q", body)
	}
	_, err = c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(docBucket), Key: aws.String("k"), Body: strings.NewReader("k"), ServerSideEncryption: s3types.ServerSideEncryptionAes256})
	noErr(t, err)
	head, err := c.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(docBucket), Key: aws.String("k")})
	noErr(t, err)
	if head.ServerSideEncryption != s3types.ServerSideEncryptionAes256 || head.SSEKMSKeyId != nil {
		t.Fatalf("head %s %v", head.ServerSideEncryption, head.SSEKMSKeyId)
	}
	_, err = c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(docBucket), Key: aws.String("k"), Body: strings.NewReader("k"), StorageClass: s3types.StorageClassGlacier})
	wantError(t, err, 501, "NotImplemented", "localaws stores objects in the STANDARD storage class only.")
}

func TestBucketConfigurationReads(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	v, err := admin.s3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(docBucket)})
	noErr(t, err)
	if v.Status != s3types.BucketVersioningStatusEnabled {
		t.Fatalf("versioning %q", v.Status)
	}
	v, err = admin.s3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(optionABkt)})
	noErr(t, err)
	if v.Status != "" {
		t.Fatalf("never-versioned bucket reports %q", v.Status)
	}
	pab, err := admin.s3.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(optionABkt)})
	noErr(t, err)
	if cfg := pab.PublicAccessBlockConfiguration; !aws.ToBool(cfg.BlockPublicAcls) || !aws.ToBool(cfg.IgnorePublicAcls) || !aws.ToBool(cfg.BlockPublicPolicy) || !aws.ToBool(cfg.RestrictPublicBuckets) {
		t.Fatalf("public access block %+v", cfg)
	}
	eu := e.clients(static(adminKeyID, adminSecret, ""), config.WithRegion("eu-west-1"))
	_, err = eu.s3.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(euBucket)})
	wantError(t, err, 404, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found")
	enc, err := eu.s3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(euBucket)})
	noErr(t, err)
	if alg := enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm; alg != s3types.ServerSideEncryptionAes256 {
		t.Fatalf("default encryption %s", alg)
	}
	// The client role may not read these.
	_, err = e.clientSession().s3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(docBucket)})
	wantError(t, err, 403, "AccessDenied", "Access Denied")

	// Operations localaws does not emulate say so.
	_, err = admin.s3.ListBuckets(ctx, &s3.ListBucketsInput{})
	wantError(t, err, 501, "NotImplemented", "localaws does not emulate this S3 operation.")
	_, err = admin.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(docBucket), Key: aws.String("b"), CopySource: aws.String(docBucket + "/a")})
	wantError(t, err, 501, "NotImplemented", "localaws does not emulate this S3 operation.")
	// versionId on a bucket that never had versioning.
	_, err = admin.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(optionABkt), Key: aws.String("k"), VersionId: aws.String("abc")})
	wantError(t, err, 400, "InvalidArgument", "Invalid version id specified")
}
