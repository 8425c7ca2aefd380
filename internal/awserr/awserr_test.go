package awserr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func TestCleanRemovesSecretMaterial(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"User: arn:aws:sts::123456789012:assumed-role/R/ts-default.acme is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::210987654321:role/C",
			"User: arn:aws:sts::123456789012:assumed-role/R/ts-default.acme is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::210987654321:role/C"},
		{"The AWS Access Key Id AKIAIOSFODNN7EXAMPLE does not exist", "The AWS Access Key Id [redacted] does not exist"},
		{"session key ASIAXYZ0123456789ABC expired", "session key [redacted] expired"},
		{"Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261122/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024",
			"Authorization: AWS4-HMAC-SHA256 Credential=[redacted], SignedHeaders=host, Signature=[redacted]"},
		{"X-Amz-Security-Token=IQoJb3JpZ2luX2VjEJr%2F%2F%2F&X-Amz-Date=1", "X-Amz-Security-Token=[redacted]"},
		{"secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY leaked", "secret [redacted] leaked"},
		{"token " + strings.Repeat("Ab1+", 40), "token [redacted]"},
	} {
		if got := Clean(tc.in); got != tc.want {
			t.Errorf("Clean(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

// status wraps err as the SDK does for an HTTP answer with that status.
func status(code int, err error) error {
	return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: code}}, Err: err}}
}

func TestClassify(t *testing.T) {
	api := func(code string) error {
		return fmt.Errorf("operation failed: %w", &smithy.GenericAPIError{Code: code, Message: "m"})
	}
	for _, tc := range []struct {
		err  error
		kind Kind
		code string
	}{
		{api("AccessDenied"), Denied, "AccessDenied"},
		{api("AccessDeniedException"), Denied, "AccessDeniedException"},
		{api("ExpiredToken"), Denied, "ExpiredToken"},
		{api("NoSuchBucket"), NotFound, "NoSuchBucket"},
		{api("NotFoundException"), NotFound, "NotFoundException"},
		{api("ValidationError"), Invalid, "ValidationError"},
		{api("Throttling"), Transient, "Throttling"},
		{api("SlowDown"), Transient, "SlowDown"},
		{api("ThrottlingException"), Transient, "ThrottlingException"},
		{&retry.MaxAttemptsError{Attempt: 4, Err: status(500, api("InternalError"))}, Transient, "InternalError"},
		{status(503, api("ServiceUnavailable")), Transient, "ServiceUnavailable"},
		{status(403, errors.New("no body")), Denied, ""},
		{status(404, errors.New("no body")), NotFound, ""},
		{context.DeadlineExceeded, Transient, ""},
		{errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), Transient, ""},
		{api("DisabledException"), Other, "DisabledException"},
	} {
		kind, code := Classify(tc.err)
		if kind != tc.kind || code != tc.code {
			t.Errorf("Classify(%v) = %v, %q; want %v, %q", tc.err, kind, code, tc.kind, tc.code)
		}
	}
}
