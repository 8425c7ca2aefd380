package sigv4

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

func TestDecodeAWSChunked(t *testing.T) {
	body := "5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n"
	data, trailers, err := decodeAWSChunked([]byte(body))
	if err != nil || string(data) != "hello world" || trailers.Get("X-Amz-Checksum-Crc32") != "DUoRhQ==" {
		t.Fatalf("%q %v %v", data, trailers, err)
	}
	for name, bad := range map[string]string{
		"short chunk":    "5\r\nhell",
		"no size":        "zz\r\nhello\r\n0\r\n\r\n",
		"missing CRLF":   "5\r\nhelloX\r\n0\r\n\r\n",
		"no final CRLF":  "0\r\nx-amz-checksum-crc32:AAAA\r\n",
		"bad trailer":    "0\r\nnot a trailer\r\n\r\n",
		"trailing bytes": "0\r\n\r\nextra",
	} {
		if _, _, err := decodeAWSChunked([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func signed(t *testing.T, method, target, body, service string, hashHeader bool) *http.Request {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	sum := sha256.Sum256([]byte(body))
	hash := hex.EncodeToString(sum[:])
	if hashHeader {
		req.Header.Set("X-Amz-Content-Sha256", hash)
	}
	// Sign a client-side copy as the SDK would, then hand the server the
	// headers it produced.
	out, _ := http.NewRequest(method, "http://"+req.Host+target, strings.NewReader(body))
	out.Header = req.Header.Clone()
	out.ContentLength = req.ContentLength
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKIAEXAMPLE000000000", SecretAccessKey: "s3cret", SessionToken: "tok"},
		out, hash, service, "eu-west-1", time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC), func(o *v4.SignerOptions) { o.DisableURIPathEscaping = service == "s3" }); err != nil {
		t.Fatal(err)
	}
	req.Header = out.Header
	return req
}

func TestVerify(t *testing.T) {
	for _, c := range []struct{ method, target, body, service string }{
		{"POST", "/", "Action=GetCallerIdentity&Version=2011-06-15", "sts"},
		{"PUT", "/bucket/a%20key+with/%C3%A9?x-id=PutObject", "data", "s3"},
		{"GET", "/bucket?list-type=2&prefix=a%2Fb&delimiter=%2F", "", "s3"},
	} {
		req := signed(t, c.method, c.target, c.body, c.service, c.service == "s3")
		a, perr := Parse(req)
		if perr != nil {
			t.Fatal(perr)
		}
		if a.AccessKeyID != "AKIAEXAMPLE000000000" || a.Region != "eu-west-1" || a.Service != c.service || a.Date != "20250506" || a.SessionToken != "tok" {
			t.Fatalf("parsed %+v", a)
		}
		p, perr := ReadPayload(req, c.service)
		if perr != nil {
			t.Fatal(perr)
		}
		if err := Verify(req, a, "s3cret", p.SignedHash); err != nil {
			t.Errorf("%s %s: %v", c.method, c.target, err)
		}
		if err := Verify(req, a, "wrong", p.SignedHash); err == nil || err.Failure != BadSignature {
			t.Errorf("%s %s: wrong secret accepted", c.method, c.target)
		}
		req.Header.Set("X-Amz-Date", "20250506T070810Z")
		if a, _ := Parse(req); Verify(req, a, "s3cret", p.SignedHash) == nil {
			t.Errorf("%s %s: changed date accepted", c.method, c.target)
		}
	}
}

func TestParseFailures(t *testing.T) {
	req := httptest.NewRequest("GET", "/", nil)
	if _, err := Parse(req); err.Failure != MissingAuth {
		t.Fatalf("no header: %v", err)
	}
	for _, h := range []string{
		"AWS AKIA:sig",
		"AWS4-HMAC-SHA256 Credential=AKIA/20250101/us-east-1/sts, SignedHeaders=host, Signature=ab",
		"AWS4-HMAC-SHA256 Credential=AKIA/20250101/us-east-1/sts/aws4_request, Signature=ab",
	} {
		req.Header.Set("Authorization", h)
		req.Header.Set("X-Amz-Date", "20250101T000000Z")
		if _, err := Parse(req); err == nil || err.Failure != MalformedAuth {
			t.Errorf("%q: %v", h, err)
		}
	}
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIA/20250101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=ab")
	req.Header.Set("X-Amz-Date", "yesterday")
	if _, err := Parse(req); err == nil || err.Failure != MalformedAuth {
		t.Errorf("bad date: %v", err)
	}
}

func TestReadPayloadS3Forms(t *testing.T) {
	mk := func(hash, body string) *http.Request {
		r := httptest.NewRequest("PUT", "/b/k", strings.NewReader(body))
		if hash != "" {
			r.Header.Set("X-Amz-Content-Sha256", hash)
		}
		return r
	}
	if _, err := ReadPayload(mk("", "x"), "s3"); err == nil || err.Failure != MissingContentSHA256 {
		t.Errorf("missing header: %v", err)
	}
	if _, err := ReadPayload(mk("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "x"), "s3"); err == nil || err.Failure != UnsupportedPayload {
		t.Errorf("signed chunks: %v", err)
	}
	p, err := ReadPayload(mk(strings.Repeat("0", 64), "x"), "s3")
	if err != nil || p.CheckContent() == nil || p.CheckContent().Failure != ContentMismatch {
		t.Errorf("mismatch not reported: %v", err)
	}
	r := mk(StreamingUnsignedPayloadTrailer, "1\r\nx\r\n0\r\n\r\n")
	r.Header.Set("X-Amz-Decoded-Content-Length", "2")
	if _, err := ReadPayload(r, "s3"); err == nil || err.Failure != MalformedPayload {
		t.Errorf("decoded length: %v", err)
	}
	if p, err := ReadPayload(mk(UnsignedPayload, "x"), "s3"); err != nil || string(p.Body) != "x" || p.SignedHash != UnsignedPayload || p.CheckContent() != nil {
		t.Errorf("unsigned: %v", err)
	}
}
