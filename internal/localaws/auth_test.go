package localaws_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"

	"github.com/tenantstorage/tenantstorage-operator/internal/localaws"
)

func v4SwapUnsigned(stack *middleware.Stack) error {
	return v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware(stack)
}

// rawPutMismatch signs a PutObject whose body differs from the digest in
// X-Amz-Content-Sha256, which the SDK never does.
func rawPutMismatch(t *testing.T, e *env) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, e.url+"/"+docBucket+"/tampered", strings.NewReader("b"))
	noErr(t, err)
	sum := sha256.Sum256([]byte("a"))
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	noErr(t, v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: adminKeyID, SecretAccessKey: adminSecret}, req, hash, "s3", region, time.Now(),
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }))
	resp, err := http.DefaultClient.Do(req)
	noErr(t, err)
	defer resp.Body.Close()
	var body struct{ Code string }
	noErr(t, xml.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body.Code
}

func TestWrongSecretAndUnknownKey(t *testing.T) {
	e := newEnv(t)
	// A good request first: a wrong secret must fail even right after the
	// right one signed for the same key, day, region and service.
	_, err := e.vendor().sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	noErr(t, err)
	bad := e.clients(static(vendorKeyID, "not-the-secret", ""))
	_, err = bad.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantError(t, err, 403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	_, err = bad.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(docBucket)})
	wantError(t, err, 403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	_, err = bad.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(docKeyARN)})
	wantError(t, err, 400, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")

	unknown := e.clients(static("AKIAUNKNOWN000000000", "whatever", ""))
	_, err = unknown.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantError(t, err, 403, "InvalidClientTokenId", "The security token included in the request is invalid.")
	_, err = unknown.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(docBucket)})
	wantError(t, err, 403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
	_, err = unknown.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(docKeyARN)})
	wantError(t, err, 400, "UnrecognizedClientException", "The security token included in the request is invalid.")

	// A session's keys with another session's token.
	c1, c2 := e.serviceSession(), e.serviceSession()
	k1, _ := c1.cfg.Credentials.Retrieve(ctx)
	k2, _ := c2.cfg.Credentials.Retrieve(ctx)
	mixed := e.clients(static(k1.AccessKeyID, k1.SecretAccessKey, k2.SessionToken))
	_, err = mixed.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantError(t, err, 403, "InvalidClientTokenId", "The security token included in the request is invalid.")
	_, err = mixed.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(docBucket)})
	wantError(t, err, 400, "InvalidToken", "The provided token is malformed or otherwise invalid.")

	calls := e.srv.Calls(localaws.CallFilter{Service: "s3"})
	if c := calls[0]; c.Principal != "" || c.AccessKeyID != vendorKeyID || c.Outcome != "SignatureDoesNotMatch" || c.Operation != "ListObjectsV2" || c.Bucket != docBucket {
		t.Fatalf("record of a failed signature: %+v", c)
	}
}

func TestExpiredToken(t *testing.T) {
	e := newEnv(t)
	c := e.clientSession()
	_, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	noErr(t, err)
	e.clock.Advance(time.Hour - time.Second)
	_, err = c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	noErr(t, err)
	e.clock.Advance(time.Second)
	_, err = c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantError(t, err, 400, "ExpiredToken", "The security token included in the request is expired")
	_, err = c.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(docBucket), Key: aws.String("k")})
	wantError(t, err, 400, "BadRequest", "Bad Request") // HEAD: status only
	_, err = c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(docBucket), Key: aws.String("k")})
	wantError(t, err, 400, "ExpiredToken", "The provided token has expired.")
	_, err = c.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(docKeyARN)})
	wantError(t, err, 400, "ExpiredTokenException", "The security token included in the request is expired")
	// Long-term keys do not expire.
	_, err = e.vendor().sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	noErr(t, err)
}

// Over TLS the SDK streams uploads as aws-chunked with a trailing checksum
// (STREAMING-UNSIGNED-PAYLOAD-TRAILER); aws:SecureTransport turns true.
func TestTLSStreamingTrailer(t *testing.T) {
	w := testWorld(t)
	srv, err := localaws.New(w)
	noErr(t, err)
	var putPayload atomic.Value // X-Amz-Content-Sha256 of the PutObject
	hs := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			putPayload.Store(r.Header.Get("X-Amz-Content-Sha256") + " " + r.Header.Get("Content-Encoding"))
		}
		srv.Handler().ServeHTTP(w, r)
	}))
	defer hs.Close()
	e := &env{t: t, srv: srv, url: hs.URL}
	c := e.clients(static(adminKeyID, adminSecret, ""))
	tlsS3 := s3.NewFromConfig(c.cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		o.HTTPClient = hs.Client()
	})
	noErr(t, srv.SetBucketPolicy(docBucket, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::acme-document-bucket","arn:aws:s3:::acme-document-bucket/*"],
		"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`))
	data := bytes.Repeat([]byte("trailer!"), 20_000)
	out, err := tlsS3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(docBucket), Key: aws.String("streamed"), Body: bytes.NewReader(data)})
	noErr(t, err)
	if aws.ToString(out.ChecksumCRC32) == "" || putPayload.Load() != "STREAMING-UNSIGNED-PAYLOAD-TRAILER aws-chunked" {
		t.Fatalf("checksum %q, payload %v", aws.ToString(out.ChecksumCRC32), putPayload.Load())
	}
	got, err := tlsS3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(docBucket), Key: aws.String("streamed")})
	noErr(t, err)
	body, err := io.ReadAll(got.Body)
	noErr(t, err)
	if !bytes.Equal(body, data) || aws.ToString(got.ChecksumCRC32) != aws.ToString(out.ChecksumCRC32) {
		t.Fatalf("round trip: %d bytes, checksum %s vs %s", len(body), aws.ToString(got.ChecksumCRC32), aws.ToString(out.ChecksumCRC32))
	}
	// The same caller over plain HTTP is denied by aws:SecureTransport.
	plain := httptest.NewServer(srv.Handler())
	defer plain.Close()
	e.url = plain.URL
	_, err = e.admin().s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(docBucket), Key: aws.String("streamed")})
	wantError(t, err, 403, "AccessDenied", "Access Denied")
}
