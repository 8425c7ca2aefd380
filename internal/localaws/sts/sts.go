// Package sts emulates the parts of AWS STS the operator relies on:
// AssumeRole (with ExternalId, session policies, tags, source identity and
// role chaining limits) and GetCallerIdentity, over the query protocol.
// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
package sts

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"

	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/authz"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/awsreq"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/faults"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/sigv4"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/state"
)

const xmlns = "https://sts.amazonaws.com/doc/2011-06-15/"

// Service is the STS endpoint.
type Service struct {
	Store *state.Store
	Authz *authz.Authorizer
}

// Operation reads the Action parameter of the form body.
func (s *Service) Operation(r *http.Request, body []byte) string {
	q, err := url.ParseQuery(string(body))
	if err != nil {
		return ""
	}
	return q.Get("Action")
}

// Serve answers an authenticated STS request.
func (s *Service) Serve(w http.ResponseWriter, req *awsreq.Request) {
	form, err := url.ParseQuery(string(req.Body))
	if err != nil {
		s.WriteError(w, req, awsreq.Errorf(400, "MalformedInput", "The request body is not a valid query string."))
		return
	}
	var out any
	var e *awsreq.Error
	switch req.Operation {
	case "AssumeRole":
		out, e = s.assumeRole(req, form)
	case "GetCallerIdentity":
		// No permission is needed: even an explicit deny does not stop it.
		// https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
		p := req.Principal
		out = &getCallerIdentityResult{Arn: p.ARN, UserID: p.UserID, Account: p.Account}
	default:
		e = awsreq.Errorf(400, "InvalidAction", fmt.Sprintf("Could not find operation %s for version 2011-06-15", form.Get("Action")))
	}
	if e != nil {
		s.WriteError(w, req, e)
		return
	}
	writeXML(w, req, out)
}

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

type getCallerIdentityResult struct {
	XMLName xml.Name `xml:"GetCallerIdentityResult"`
	Arn     string   `xml:"Arn"`
	UserID  string   `xml:"UserId"`
	Account string   `xml:"Account"`
}

// writeXML wraps a result the way the query protocol does:
// <OpResponse><OpResult>...</OpResult><ResponseMetadata/></OpResponse>.
func writeXML(w http.ResponseWriter, req *awsreq.Request, result any) {
	name := req.Operation + "Response"
	body := struct {
		XMLName  xml.Name
		Xmlns    string `xml:"xmlns,attr"`
		Result   any
		Metadata responseMetadata `xml:"ResponseMetadata"`
	}{XMLName: xml.Name{Local: name}, Xmlns: xmlns, Result: result, Metadata: responseMetadata{req.RequestID}}
	b, err := xml.Marshal(body)
	if err != nil {
		panic(err) // the response types always marshal
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", req.RequestID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b) // the status is sent; a failed write means the client has gone
	req.Outcome = "OK"
}

// WriteError answers with the query protocol's ErrorResponse.
func (s *Service) WriteError(w http.ResponseWriter, req *awsreq.Request, e *awsreq.Error) {
	typ := "Sender"
	if e.Status >= 500 {
		typ = "Receiver"
	}
	body := struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		Xmlns   string   `xml:"xmlns,attr"`
		Error   struct {
			Type    string
			Code    string
			Message string
		}
		RequestID string `xml:"RequestId"`
	}{Xmlns: xmlns, RequestID: req.RequestID}
	body.Error.Type, body.Error.Code, body.Error.Message = typ, e.Code, e.Message
	b, _ := xml.Marshal(body)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", req.RequestID)
	w.WriteHeader(e.Status)
	_, _ = w.Write(b) // the status is sent; a failed write means the client has gone
	req.Outcome = e.Code
}

// AuthError maps authentication failures to STS's codes.
func (s *Service) AuthError(f sigv4.Failure) *awsreq.Error {
	switch f {
	case sigv4.MissingAuth:
		return awsreq.Errorf(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
	case sigv4.UnknownAccessKey, sigv4.InvalidToken:
		return awsreq.Errorf(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
	case sigv4.BadSignature:
		return awsreq.Errorf(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	case sigv4.ExpiredToken:
		return awsreq.Errorf(400, "ExpiredToken", "The security token included in the request is expired")
	default:
		return awsreq.Errorf(400, "IncompleteSignature", "The request signature does not conform to AWS standards.")
	}
}

// FaultError maps injected faults to STS's answers; throttling is HTTP 400
// Throttling "Rate exceeded".
// https://repost.aws/knowledge-center/iam-sts-throttling-error
func (s *Service) FaultError(k faults.Kind) *awsreq.Error {
	switch k {
	case faults.Throttle:
		return awsreq.Errorf(400, "Throttling", "Rate exceeded")
	case faults.Unavailable:
		return awsreq.Errorf(503, "ServiceUnavailable", "Service is unavailable. Please try again later.")
	default:
		return awsreq.Errorf(500, "InternalFailure", "An internal error has occurred. Please try again later.")
	}
}
