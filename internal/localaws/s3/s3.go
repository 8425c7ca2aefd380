// Package s3 emulates the S3 operations the operator uses on a customer's
// bucket (REST-XML, path-style addressing), enforcing bucket policies and
// identity policies, applying default encryption, and calling KMS on the
// caller's behalf for SSE-KMS exactly where S3 does.
// https://docs.aws.amazon.com/AmazonS3/latest/API/Welcome.html
package s3

import (
	"crypto/rand"
	"encoding/xml"
	"net/http"
	"strings"

	"github.com/tenantstorage/tenantstorage-operator/internal/iampolicy"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/authz"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/awsreq"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/faults"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/kms"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/sigv4"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/state"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/world"
)

const xmlns = "http://s3.amazonaws.com/doc/2006-03-01/"

// Service is the S3 endpoint with its in-memory objects.
type Service struct {
	store   *state.Store
	authz   *authz.Authorizer
	kms     *kms.Service
	objects *objectStore
	// sseS3Key encrypts SSE-S3 (AES256) objects.
	sseS3Key []byte
}

// New creates the S3 service.
func New(store *state.Store, az *authz.Authorizer, k *kms.Service) (*Service, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	return &Service{store: store, authz: az, kms: k, objects: newObjectStore(), sseS3Key: key}, nil
}

// DropBucket forgets a deleted bucket's objects.
func (s *Service) DropBucket(name string) { s.objects.drop(name) }

// target splits a path-style URL path into bucket and key.
func target(r *http.Request) (bucket, key string) {
	bucket, key, _ = strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	return bucket, key
}

// Resource names the bucket and key a request touches, for call records.
func (s *Service) Resource(r *http.Request) (string, string) { return target(r) }

// Operation maps method, path and subresource to the S3 operation.
func (s *Service) Operation(r *http.Request, _ []byte) string {
	bucket, key := target(r)
	q := r.URL.Query()
	switch {
	case bucket == "":
		return ""
	case key == "":
		switch {
		case r.Method == http.MethodHead && len(q) == 0:
			return "HeadBucket"
		case r.Method != http.MethodGet:
			return ""
		case q.Has("encryption"):
			return "GetBucketEncryption"
		case q.Has("versioning"):
			return "GetBucketVersioning"
		case q.Has("publicAccessBlock"):
			return "GetPublicAccessBlock"
		case q.Get("list-type") == "2":
			return "ListObjectsV2"
		}
		return ""
	}
	for _, sub := range []string{"acl", "tagging", "uploads", "uploadId", "attributes", "legal-hold", "retention", "torrent", "select"} {
		if q.Has(sub) {
			return ""
		}
	}
	switch r.Method {
	case http.MethodGet:
		return "GetObject"
	case http.MethodHead:
		return "HeadObject"
	case http.MethodPut:
		if r.Header.Get("X-Amz-Copy-Source") != "" {
			return ""
		}
		return "PutObject"
	case http.MethodDelete:
		return "DeleteObject"
	case http.MethodPost:
		if q.Has("restore") {
			return "RestoreObject"
		}
	}
	return ""
}

// Serve answers an authenticated S3 request.
func (s *Service) Serve(w http.ResponseWriter, req *awsreq.Request) {
	req.Bucket, req.Key = target(req.HTTP)
	if req.Operation == "" {
		s.WriteError(w, req, awsreq.Errorf(501, "NotImplemented", "localaws does not emulate this S3 operation."))
		return
	}
	b, e := s.bucket(w, req)
	if e != nil {
		s.WriteError(w, req, e)
		return
	}
	switch req.Operation {
	case "HeadBucket":
		e = s.headBucket(w, req, b)
	case "ListObjectsV2":
		e = s.listObjectsV2(w, req, b)
	case "GetBucketEncryption":
		e = s.getBucketEncryption(w, req, b)
	case "GetBucketVersioning":
		e = s.getBucketVersioning(w, req, b)
	case "GetPublicAccessBlock":
		e = s.getPublicAccessBlock(w, req, b)
	case "PutObject":
		e = s.putObject(w, req, b)
	case "GetObject", "HeadObject":
		e = s.getObject(w, req, b)
	case "DeleteObject":
		e = s.deleteObject(w, req, b)
	case "RestoreObject":
		e = s.restoreObject(w, req, b)
	}
	if e != nil {
		s.WriteError(w, req, e)
		return
	}
	req.Outcome = "OK"
}

// bucket finds the request's bucket and checks it is addressed in its own
// region. HeadBucket and redirects name the bucket's region whether the
// caller is authorized or not.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html
func (s *Service) bucket(w http.ResponseWriter, req *awsreq.Request) (state.Bucket, *awsreq.Error) {
	b, ok := s.store.Bucket(req.Bucket)
	if !ok {
		return b, &awsreq.Error{Status: 404, Code: "NoSuchBucket", Message: "The specified bucket does not exist",
			Fields: [][2]string{{"BucketName", req.Bucket}}}
	}
	if req.Operation == "HeadBucket" || b.Region != req.Env.Region {
		w.Header().Set("X-Amz-Bucket-Region", b.Region)
	}
	if b.Region != req.Env.Region {
		return b, &awsreq.Error{Status: 301, Code: "PermanentRedirect",
			Message: "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.",
			Fields:  [][2]string{{"Endpoint", "s3." + b.Region + ".amazonaws.com"}, {"Bucket", b.Name}}}
	}
	return b, nil
}

// allowed asks whether the caller may perform action on resource given the
// bucket policy. The request context keys S3 adds to every request come
// first; ctx adds the operation's own.
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html#amazons3-policy-keys
func (s *Service) allowed(req *awsreq.Request, b state.Bucket, action, resource string, ctx iampolicy.Context) bool {
	c := iampolicy.Context{}
	c.Set("s3:authType", "REST-HEADER")
	c.Set("s3:signatureversion", "AWS4-HMAC-SHA256")
	c.Set("s3:ResourceAccount", b.Account)
	if v := req.HTTP.Header.Get("X-Amz-Content-Sha256"); v != "" {
		c.Set("s3:x-amz-content-sha256", v)
	}
	for k, v := range ctx {
		c.Set(k, v...)
	}
	return s.authz.Evaluate(authz.Query{Principal: req.Principal, Action: action, Resource: resource,
		Res: authz.Resource{Policy: b.Policy, Account: b.Account}, Env: req.Env, Context: c}).Allowed
}

var accessDenied = awsreq.Errorf(403, "AccessDenied", "Access Denied")

// missing answers for an absent key the way S3 does: NoSuchKey only to a
// caller who could have listed the bucket to learn it is absent anyway.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax
func (s *Service) missing(req *awsreq.Request, b state.Bucket) *awsreq.Error {
	if !s.allowed(req, b, "s3:ListBucket", world.BucketARN(b.Name), nil) {
		return accessDenied
	}
	return &awsreq.Error{Status: 404, Code: "NoSuchKey", Message: "The specified key does not exist.",
		Fields: [][2]string{{"Key", req.Key}}}
}

// WriteError answers S3's <Error> document (no body for HEAD).
func (s *Service) WriteError(w http.ResponseWriter, req *awsreq.Request, e *awsreq.Error) {
	w.Header().Set("X-Amz-Request-Id", req.RequestID)
	w.Header().Set("X-Amz-Id-2", req.RequestID)
	req.Outcome = e.Code
	if req.HTTP.Method == http.MethodHead {
		w.WriteHeader(e.Status)
		return
	}
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString("<Error><Code>")
	escapeText(&b, e.Code)
	b.WriteString("</Code><Message>")
	escapeText(&b, e.Message)
	b.WriteString("</Message>")
	for _, f := range e.Fields {
		b.WriteString("<" + f[0] + ">")
		escapeText(&b, f[1])
		b.WriteString("</" + f[0] + ">")
	}
	b.WriteString("<RequestId>" + req.RequestID + "</RequestId><HostId>" + req.RequestID + "</HostId></Error>")
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(e.Status)
	_, _ = w.Write([]byte(b.String())) // the status is sent; a failed write means the client has gone
}

// escapeText writes s XML-escaped. xml.EscapeText fails only when its
// writer does, and a strings.Builder never does.
func escapeText(b *strings.Builder, s string) {
	_ = xml.EscapeText(b, []byte(s))
}

func writeXML(w http.ResponseWriter, req *awsreq.Request, v any) *awsreq.Error {
	out, err := xml.Marshal(v)
	if err != nil {
		return awsreq.Errorf(500, "InternalError", err.Error())
	}
	w.Header().Set("X-Amz-Request-Id", req.RequestID)
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	// The status is sent, so there is no error left to answer with: a
	// failed write means the client has gone.
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(out)
	return nil
}

// AuthError maps authentication failures to S3's codes.
// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
func (s *Service) AuthError(f sigv4.Failure) *awsreq.Error {
	switch f {
	case sigv4.MissingAuth:
		return accessDenied
	case sigv4.UnknownAccessKey:
		return awsreq.Errorf(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
	case sigv4.InvalidToken:
		return awsreq.Errorf(400, "InvalidToken", "The provided token is malformed or otherwise invalid.")
	case sigv4.BadSignature:
		return awsreq.Errorf(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	case sigv4.ExpiredToken:
		return awsreq.Errorf(400, "ExpiredToken", "The provided token has expired.")
	case sigv4.ContentMismatch:
		return awsreq.Errorf(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.")
	case sigv4.MissingContentSHA256:
		return awsreq.Errorf(400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
	case sigv4.UnsupportedPayload:
		return awsreq.Errorf(501, "NotImplemented", "localaws does not accept signed streaming payloads.")
	case sigv4.PayloadTooLarge:
		return awsreq.Errorf(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
	case sigv4.MalformedPayload:
		return awsreq.Errorf(400, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.")
	default:
		return awsreq.Errorf(400, "AuthorizationHeaderMalformed", "The authorization header is malformed.")
	}
}

// FaultError maps injected faults to S3's answers; S3 throttles with 503
// SlowDown.
func (s *Service) FaultError(k faults.Kind) *awsreq.Error {
	switch k {
	case faults.Throttle:
		return awsreq.Errorf(503, "SlowDown", "Please reduce your request rate.")
	case faults.Unavailable:
		return awsreq.Errorf(503, "ServiceUnavailable", "Service is unable to handle request.")
	default:
		return awsreq.Errorf(500, "InternalError", "We encountered an internal error. Please try again.")
	}
}
