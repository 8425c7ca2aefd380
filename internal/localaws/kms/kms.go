// Package kms emulates the AWS KMS operations the operator and S3 use on a
// customer's key: DescribeKey, Encrypt, Decrypt, ReEncrypt,
// GenerateDataKey(WithoutPlaintext), over the JSON 1.1 protocol. Keys hold
// real AES-256 material, so ciphertexts are bound to their key and
// encryption context as in KMS.
// https://docs.aws.amazon.com/kms/latest/APIReference/Welcome.html
package kms

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tenantstorage/tenantstorage-operator/internal/iampolicy"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/authz"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/awsreq"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/calls"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/faults"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/sigv4"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/state"
)

// Service is the KMS endpoint and the KMS that S3 calls for SSE-KMS.
type Service struct {
	Store *state.Store
	Authz *authz.Authorizer
	// Record receives the calls S3 makes to KMS on a caller's behalf.
	Record func(calls.Call)
}

// caller is who a KMS operation runs for.
type caller struct {
	p   *state.Principal
	env authz.Env
	// via is the kms:ViaService value when another service calls KMS for
	// the principal, e.g. "s3.us-east-1.amazonaws.com".
	via string
}

func errorf(code, format string, args ...any) *awsreq.Error {
	return awsreq.Errorf(400, code, fmt.Sprintf(format, args...))
}

// resolve finds the key a KeyId names, or answers NotFoundException.
func (s *Service) resolve(c caller, keyID string) (state.Key, *awsreq.Error) {
	key, name, ok := s.Store.ResolveKey(keyID, c.p.Account, c.env.Region)
	if ok {
		return key, nil
	}
	if strings.HasPrefix(keyID, "alias/") || strings.Contains(keyID, ":alias/") {
		return state.Key{}, errorf("NotFoundException", "Alias %s is not found.", name)
	}
	return state.Key{}, errorf("NotFoundException", "Key '%s' does not exist", name)
}

// authorize evaluates the key policy (and, where it delegates to the
// account, the caller's IAM policies) with KMS's condition keys.
// https://docs.aws.amazon.com/kms/latest/developerguide/policy-conditions.html
func (s *Service) authorize(c caller, key state.Key, action, keyID string, encCtx map[string]string, more iampolicy.Context) *awsreq.Error {
	ctx := iampolicy.Context{}
	for k, v := range more {
		ctx.Set(k, v...)
	}
	ctx.Set("kms:CallerAccount", c.p.Account)
	if c.via != "" {
		ctx.Set("kms:ViaService", c.via)
	}
	if strings.HasPrefix(keyID, "alias/") {
		ctx.Set("kms:RequestAlias", keyID)
	} else if i := strings.Index(keyID, ":alias/"); i >= 0 {
		ctx.Set("kms:RequestAlias", keyID[i+1:])
	}
	if len(encCtx) > 0 {
		keys := make([]string, 0, len(encCtx))
		for k, v := range encCtx {
			ctx.Set("kms:EncryptionContext:"+k, v)
			keys = append(keys, k)
		}
		ctx.Set("kms:EncryptionContextKeys", keys...)
	}
	res := s.Authz.Evaluate(authz.Query{Principal: c.p, Action: action, Resource: key.ARN,
		Res: authz.Resource{Policy: key.Policy, Account: key.Account, KeyPolicy: true}, Env: c.env, Context: ctx})
	if res.Allowed {
		return nil
	}
	return errorf("AccessDeniedException", "User: %s is not authorized to perform: %s on resource: %s %s", c.p.ARN, action, key.ARN, res.Why)
}

// usable answers the key-state errors of cryptographic operations.
// https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html
func usable(key state.Key, op string) *awsreq.Error {
	switch key.State {
	case "Disabled":
		return errorf("DisabledException", "%s is disabled.", key.ARN)
	case "PendingDeletion":
		return errorf("KMSInvalidStateException", "%s is pending deletion.", key.ARN)
	}
	if key.KeySpec != "SYMMETRIC_DEFAULT" {
		// Asymmetric and HMAC keys exist for DescribeKey only.
		return errorf("InvalidKeyUsageException", "%s key usage is %s which is not valid for %s.", key.ARN, key.KeyUsage, op)
	}
	return nil
}

// GenerateDataKeyVia is S3 asking KMS for a data key on the caller's
// behalf (PutObject into SSE-KMS). via is "s3.REGION.amazonaws.com"; env
// is the caller's request as KMS sees it. The call is recorded with Via.
func (s *Service) GenerateDataKeyVia(p *state.Principal, env authz.Env, via, keyID string, encCtx map[string]string) (plain, blob []byte, keyARN string, e *awsreq.Error) {
	c := caller{p: p, env: env, via: via}
	key, e := s.resolve(c, keyID)
	if e == nil {
		plain, blob, e = s.generateDataKey(c, key, "kms:GenerateDataKey", keyID, encCtx, 32)
	}
	s.recordVia(c, "GenerateDataKey", key.ARN, e)
	return plain, blob, key.ARN, e
}

// DecryptVia is S3 asking KMS to decrypt an object's data key for the
// caller (GetObject of an SSE-KMS object).
func (s *Service) DecryptVia(p *state.Principal, env authz.Env, via string, blob []byte, encCtx map[string]string) ([]byte, *awsreq.Error) {
	c := caller{p: p, env: env, via: via}
	plain, key, e := s.decrypt(c, blob, "", encCtx)
	s.recordVia(c, "Decrypt", key.ARN, e)
	return plain, e
}

func (s *Service) recordVia(c caller, op, keyARN string, e *awsreq.Error) {
	outcome := "OK"
	if e != nil {
		outcome = e.Code
	}
	s.Record(calls.Call{Time: c.env.Now, Principal: c.p.ARN, Service: "kms", Operation: op,
		Outcome: outcome, KMSKey: keyARN, Via: strings.SplitN(c.via, ".", 2)[0] + ".amazonaws.com"})
}

func (s *Service) generateDataKey(c caller, key state.Key, action, keyID string, encCtx map[string]string, n int) ([]byte, []byte, *awsreq.Error) {
	if e := s.authorize(c, key, action, keyID, encCtx, nil); e != nil {
		return nil, nil, e
	}
	if e := usable(key, "GenerateDataKey"); e != nil {
		return nil, nil, e
	}
	plain := make([]byte, n)
	if err := randRead(plain); err != nil {
		return nil, nil, internal(err)
	}
	blob, err := seal(key.Material, key.ARN, encCtx, plain)
	if err != nil {
		return nil, nil, internal(err)
	}
	return plain, blob, nil
}

// decrypt finds the key from the ciphertext (KeyId, when given, must name
// the same key), authorizes kms:Decrypt and opens the blob.
func (s *Service) decrypt(c caller, blob []byte, keyID string, encCtx map[string]string) ([]byte, state.Key, *awsreq.Error) {
	keyARN, err := blobKey(blob)
	if err != nil {
		return nil, state.Key{}, errorf("InvalidCiphertextException", "")
	}
	key, ok := s.Store.Key(keyARN)
	if !ok || key.Region != c.env.Region {
		return nil, state.Key{}, errorf("InvalidCiphertextException", "")
	}
	if keyID != "" {
		named, e := s.resolve(c, keyID)
		if e != nil {
			return nil, key, e
		}
		if named.ARN != key.ARN {
			return nil, key, errorf("IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.")
		}
	}
	if e := s.authorize(c, key, "kms:Decrypt", keyID, encCtx, encAlgorithm()); e != nil {
		return nil, key, e
	}
	if e := usable(key, "Decrypt"); e != nil {
		return nil, key, e
	}
	plain, err := open(key.Material, blob, encCtx)
	if err != nil {
		// KMS says nothing more: the context or the blob is wrong.
		return nil, key, errorf("InvalidCiphertextException", "")
	}
	return plain, key, nil
}

func encAlgorithm() iampolicy.Context {
	return iampolicy.Context{}.Set("kms:EncryptionAlgorithm", "SYMMETRIC_DEFAULT")
}

func internal(err error) *awsreq.Error {
	return awsreq.Errorf(500, "KMSInternalException", err.Error())
}

// Operation reads X-Amz-Target: TrentService.<Operation>.
func (s *Service) Operation(r *http.Request, body []byte) string {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "TrentService.")
	if !ok {
		return ""
	}
	return op
}

// AuthError maps authentication failures to KMS's codes.
func (s *Service) AuthError(f sigv4.Failure) *awsreq.Error {
	switch f {
	case sigv4.MissingAuth:
		return errorf("MissingAuthenticationTokenException", "Missing Authentication Token")
	case sigv4.UnknownAccessKey, sigv4.InvalidToken:
		return errorf("UnrecognizedClientException", "The security token included in the request is invalid.")
	case sigv4.BadSignature:
		return errorf("InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	case sigv4.ExpiredToken:
		return errorf("ExpiredTokenException", "The security token included in the request is expired")
	default:
		return errorf("IncompleteSignatureException", "The request signature does not conform to AWS standards.")
	}
}

// FaultError maps injected faults to KMS's answers.
// https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html
func (s *Service) FaultError(k faults.Kind) *awsreq.Error {
	switch k {
	case faults.Throttle:
		return errorf("ThrottlingException", "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.")
	case faults.Unavailable:
		return awsreq.Errorf(503, "DependencyTimeoutException", "The system timed out while trying to fulfill the request. You can retry the request.")
	default:
		return awsreq.Errorf(500, "KMSInternalException", "The request was rejected because an internal exception occurred. The request can be retried.")
	}
}

func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }
