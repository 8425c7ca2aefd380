// Package awsreq carries one authenticated request from the router to a
// service, and the service's verdict back to the call records.
package awsreq

import (
	"net/http"

	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/authz"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/faults"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/sigv4"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/state"
)

// Request is an authenticated request.
type Request struct {
	HTTP      *http.Request
	Body      []byte
	Trailers  http.Header // checksums from an aws-chunked body
	Operation string
	Principal *state.Principal
	Env       authz.Env
	RequestID string

	// Set by the service for the call record.
	Outcome string // "OK" or the error code answered
	Bucket  string
	Key     string
	KMSKey  string // key ARN a KMS operation used
}

// Error is an AWS error answer. Each service renders it in its protocol.
type Error struct {
	Status  int
	Code    string
	Message string
	// Fields are extra elements of S3's <Error> (Key, BucketName, ...).
	Fields [][2]string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf is a shorthand for building an Error.
func Errorf(status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}

// Service is one emulated AWS service.
type Service interface {
	// Operation names the operation a request asks for, from its method,
	// path, query, X-Amz-Target or form body; "" if not recognised.
	Operation(r *http.Request, body []byte) string
	// Serve answers an authenticated request, setting req.Outcome.
	Serve(w http.ResponseWriter, req *Request)
	// WriteError answers with an error in the service's protocol.
	WriteError(w http.ResponseWriter, req *Request, e *Error)
	// AuthError is the service's answer to an authentication failure.
	AuthError(f sigv4.Failure) *Error
	// FaultError is the service's answer for an injected fault or the
	// rate limit.
	FaultError(k faults.Kind) *Error
}

// ResourceNamer is a service whose requests name a bucket and key, for the
// call records of requests that fail before the service sees them.
type ResourceNamer interface {
	Resource(r *http.Request) (bucket, key string)
}
