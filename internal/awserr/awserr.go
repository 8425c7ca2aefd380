// Package awserr sorts AWS errors into what the operator does with them:
// a definitive answer to report (denied, not found, invalid), or a
// transient failure to retry without changing any verdict. It also cleans
// error text before it reaches status, events or logs.
package awserr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// Kind is what an AWS answer means for a check.
type Kind int

const (
	// Other is a definitive error the checks have no special meaning for.
	Other Kind = iota
	// Denied: the caller is not authorized (AccessDenied and its kin).
	Denied
	// NotFound: the bucket, object or key does not exist (for this caller).
	NotFound
	// Invalid: AWS rejected the request's parameters (ValidationError).
	Invalid
	// Transient: throttling, a server error, a timeout or a broken
	// connection. Retrying may succeed; no verdict may change because of it.
	Transient
)

func (k Kind) String() string {
	return [...]string{"Other", "Denied", "NotFound", "Invalid", "Transient"}[k]
}

var deniedCodes = map[string]bool{
	"AccessDenied":                true,
	"AccessDeniedException":       true,
	"AllAccessDisabled":           true,
	"UnauthorizedOperation":       true,
	"InvalidClientTokenId":        true,
	"InvalidAccessKeyId":          true,
	"UnrecognizedClientException": true,
	"SignatureDoesNotMatch":       true,
	"ExpiredToken":                true,
	"ExpiredTokenException":       true,
}

var notFoundCodes = map[string]bool{
	"NoSuchBucket":      true,
	"NoSuchKey":         true,
	"NotFound":          true,
	"NotFoundException": true,
	"NoSuchEntity":      true,
}

var invalidCodes = map[string]bool{
	"ValidationError":          true,
	"ValidationException":      true,
	"InvalidParameterValue":    true,
	"MalformedPolicyDocument":  true,
	"PackedPolicyTooLarge":     true,
	"InvalidArgument":          true,
	"RegionDisabledException":  true,
	"InvalidIdentityToken":     true,
	"IDPRejectedClaim":         true,
	"InvalidAuthorizationCode": true,
}

// Classify tells what err means and returns its AWS error code ("" when the
// request never got an answer).
func Classify(err error) (Kind, string) {
	if err == nil {
		return Other, ""
	}
	code := Code(err)
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return Transient, code
	case retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary:
		// The SDK's own list: throttling codes, 5xx, timeouts, connection errors.
		return Transient, code
	case deniedCodes[code]:
		return Denied, code
	case notFoundCodes[code]:
		return NotFound, code
	case invalidCodes[code]:
		return Invalid, code
	}
	// S3's HEAD answers carry no body, so the code is only the status.
	switch HTTPStatus(err) {
	case http.StatusForbidden:
		return Denied, code
	case http.StatusNotFound:
		return NotFound, code
	}
	if code == "" {
		// No AWS answer at all (DNS, refused connection the SDK did not retry).
		return Transient, code
	}
	return Other, code
}

// Code is the AWS error code of err, or "".
func Code(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// HTTPStatus is the HTTP status of the response that carried err, or 0.
func HTTPStatus(err error) int {
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) {
		return respErr.HTTPStatusCode()
	}
	return 0
}

// Message is err's AWS message, cleaned, or a cleaned description of the
// failure when AWS sent none.
func Message(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorMessage() != "" {
		return Clean(apiErr.ErrorMessage())
	}
	if status := HTTPStatus(err); status != 0 {
		return fmt.Sprintf("HTTP %d %s", status, http.StatusText(status))
	}
	return Clean(err.Error())
}

// Describe is "Code: message" for status and events.
func Describe(err error) string {
	if code := Code(err); code != "" {
		return code + ": " + Message(err)
	}
	return Message(err)
}

// keyValueSecrets keep their key (group 1) so a reader sees what was removed.
var keyValueSecrets = []*regexp.Regexp{
	// SigV4 signatures and credential scopes in echoed requests.
	regexp.MustCompile(`(?i)(Signature|X-Amz-Signature)=[0-9a-f]+`),
	regexp.MustCompile(`(?i)(Credential|X-Amz-Credential)=[^,&\s]+`),
	// Session tokens and secret keys echoed as key=value or key: value.
	regexp.MustCompile(`(?i)(X-Amz-Security-Token|SessionToken|SecretAccessKey|aws_secret_access_key|aws_session_token)[=:]\s*\S+`),
}

var bareSecrets = []*regexp.Regexp{
	// Access key IDs: long-term (AKIA) and session (ASIA) keys.
	regexp.MustCompile(`\b(AKIA|ASIA)[A-Z0-9]{12,}\b`),
	// Long base64 session tokens, then 40-character secret keys (in this
	// order, or a token would be cut into keys and leave its tail).
	regexp.MustCompile(`[A-Za-z0-9/+=]{100,}`),
	regexp.MustCompile(`\b[A-Za-z0-9/+]{40}\b`),
}

// Clean removes credentials, session tokens and signatures from s. The
// request IDs and ARNs AWS puts in messages stay: they help support.
func Clean(s string) string {
	for _, re := range keyValueSecrets {
		s = re.ReplaceAllString(s, "$1=[redacted]")
	}
	for _, re := range bareSecrets {
		s = re.ReplaceAllString(s, "[redacted]")
	}
	return s
}
