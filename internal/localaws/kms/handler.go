package kms

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/tenantstorage/tenantstorage-operator/internal/iampolicy"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/awsreq"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/state"
)

// input is the union of the request fields of the emulated operations;
// []byte fields are base64 in JSON, as in the KMS API.
type input struct {
	KeyID                        *string           `json:"KeyId"`
	Plaintext                    []byte            `json:"Plaintext"`
	CiphertextBlob               []byte            `json:"CiphertextBlob"`
	EncryptionContext            map[string]string `json:"EncryptionContext"`
	EncryptionAlgorithm          string            `json:"EncryptionAlgorithm"`
	NumberOfBytes                *int              `json:"NumberOfBytes"`
	KeySpec                      string            `json:"KeySpec"`
	SourceKeyID                  string            `json:"SourceKeyId"`
	SourceEncryptionContext      map[string]string `json:"SourceEncryptionContext"`
	DestinationKeyID             *string           `json:"DestinationKeyId"`
	DestinationEncryptionContext map[string]string `json:"DestinationEncryptionContext"`
	DryRun                       bool              `json:"DryRun"`
}

// validation builds KMS's ValidationException, worded like AWS's.
func validation(field, constraint string) *awsreq.Error {
	return errorf("ValidationException", "1 validation error detected: Value at '%s' failed to satisfy constraint: Member must %s", field, constraint)
}

func required(v *string, field string) *awsreq.Error {
	if v == nil || *v == "" {
		return errorf("ValidationException", "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", field)
	}
	return nil
}

// Serve answers an authenticated KMS request.
func (s *Service) Serve(w http.ResponseWriter, req *awsreq.Request) {
	var in input
	if err := json.Unmarshal(req.Body, &in); err != nil {
		s.WriteError(w, req, errorf("SerializationException", "Start of structure or map found where not expected."))
		return
	}
	c := caller{p: req.Principal, env: req.Env}
	var out any
	var key state.Key
	var e *awsreq.Error
	switch req.Operation {
	case "DescribeKey":
		out, key, e = s.describeKey(c, in)
	case "Encrypt":
		out, key, e = s.encrypt(c, in)
	case "Decrypt":
		out, key, e = s.decryptOp(c, in)
	case "ReEncrypt":
		out, key, e = s.reEncrypt(c, in)
	case "GenerateDataKey", "GenerateDataKeyWithoutPlaintext":
		out, key, e = s.generateDataKeyOp(c, in, req.Operation == "GenerateDataKey")
	default:
		e = errorf("UnknownOperationException", "")
	}
	req.KMSKey = key.ARN
	if e == nil && in.DryRun {
		e = awsreq.Errorf(412, "DryRunOperationException", "The request would have succeeded, but the DryRun option is set.")
	}
	if e != nil {
		s.WriteError(w, req, e)
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		panic(err) // the output types always marshal
	}
	header(w, req)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b) // the status is sent; a failed write means the client has gone
	req.Outcome = "OK"
}

func header(w http.ResponseWriter, req *awsreq.Request) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", req.RequestID)
}

// WriteError answers {"__type": code, "message": ...}.
func (s *Service) WriteError(w http.ResponseWriter, req *awsreq.Request, e *awsreq.Error) {
	header(w, req)
	w.Header().Set("X-Amzn-Errortype", e.Code)
	w.WriteHeader(e.Status)
	b, _ := json.Marshal(map[string]string{"__type": e.Code, "message": e.Message})
	_, _ = w.Write(b) // the status is sent; a failed write means the client has gone
	req.Outcome = e.Code
}

type keyMetadata struct {
	AWSAccountID          string   `json:"AWSAccountId"`
	Arn                   string   `json:"Arn"`
	CreationDate          float64  `json:"CreationDate"`
	CustomerMasterKeySpec string   `json:"CustomerMasterKeySpec"`
	DeletionDate          *float64 `json:"DeletionDate,omitempty"`
	Description           string   `json:"Description"`
	Enabled               bool     `json:"Enabled"`
	EncryptionAlgorithms  []string `json:"EncryptionAlgorithms,omitempty"`
	SigningAlgorithms     []string `json:"SigningAlgorithms,omitempty"`
	MacAlgorithms         []string `json:"MacAlgorithms,omitempty"`
	KeyID                 string   `json:"KeyId"`
	KeyManager            string   `json:"KeyManager"`
	KeySpec               string   `json:"KeySpec"`
	KeyState              string   `json:"KeyState"`
	KeyUsage              string   `json:"KeyUsage"`
	MultiRegion           bool     `json:"MultiRegion"`
	Origin                string   `json:"Origin"`
}

// algorithms lists what DescribeKey reports a key can do.
// https://docs.aws.amazon.com/kms/latest/developerguide/key-types.html
func algorithms(m *keyMetadata) {
	switch {
	case m.KeySpec == "SYMMETRIC_DEFAULT":
		m.EncryptionAlgorithms = []string{"SYMMETRIC_DEFAULT"}
	case m.KeyUsage == "ENCRYPT_DECRYPT":
		m.EncryptionAlgorithms = []string{"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"}
	case m.KeyUsage == "GENERATE_VERIFY_MAC":
		m.MacAlgorithms = []string{"HMAC_SHA_" + m.KeySpec[len("HMAC_"):]}
	case m.KeyUsage == "SIGN_VERIFY" && m.KeySpec[:3] == "RSA":
		m.SigningAlgorithms = []string{"RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512", "RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512"}
	case m.KeyUsage == "SIGN_VERIFY":
		m.SigningAlgorithms = []string{"ECDSA_SHA_" + map[string]string{"ECC_NIST_P256": "256", "ECC_NIST_P384": "384", "ECC_NIST_P521": "512", "ECC_SECG_P256K1": "256"}[m.KeySpec]}
	}
}

func (s *Service) describeKey(c caller, in input) (any, state.Key, *awsreq.Error) {
	if e := required(in.KeyID, "keyId"); e != nil {
		return nil, state.Key{}, e
	}
	key, e := s.resolve(c, *in.KeyID)
	if e != nil {
		return nil, key, e
	}
	if e := s.authorize(c, key, "kms:DescribeKey", *in.KeyID, nil, nil); e != nil {
		return nil, key, e
	}
	m := keyMetadata{
		AWSAccountID: key.Account, Arn: key.ARN, CreationDate: epoch(key.Created),
		CustomerMasterKeySpec: key.KeySpec, Description: key.Description, Enabled: key.State == "Enabled",
		KeyID: key.ID, KeyManager: "CUSTOMER", KeySpec: key.KeySpec, KeyState: key.State,
		KeyUsage: key.KeyUsage, Origin: "AWS_KMS",
	}
	if !key.DeletionDate.IsZero() {
		d := epoch(key.DeletionDate)
		m.DeletionDate = &d
	}
	algorithms(&m)
	return map[string]any{"KeyMetadata": m}, key, nil
}

func checkAlgorithm(alg string) *awsreq.Error {
	if alg != "" && alg != "SYMMETRIC_DEFAULT" {
		return errorf("InvalidKeyUsageException", "The encryption algorithm %s is not valid for a symmetric encryption KMS key.", alg)
	}
	return nil
}

func (s *Service) encrypt(c caller, in input) (any, state.Key, *awsreq.Error) {
	if e := required(in.KeyID, "keyId"); e != nil {
		return nil, state.Key{}, e
	}
	// https://docs.aws.amazon.com/kms/latest/APIReference/API_Encrypt.html
	switch {
	case len(in.Plaintext) == 0:
		return nil, state.Key{}, validation("plaintext", "have length greater than or equal to 1")
	case len(in.Plaintext) > 4096:
		return nil, state.Key{}, validation("plaintext", "have length less than or equal to 4096")
	}
	key, e := s.resolve(c, *in.KeyID)
	if e != nil {
		return nil, key, e
	}
	if e := s.authorize(c, key, "kms:Encrypt", *in.KeyID, in.EncryptionContext, encAlgorithm()); e != nil {
		return nil, key, e
	}
	if e := usable(key, "Encrypt"); e != nil {
		return nil, key, e
	}
	if e := checkAlgorithm(in.EncryptionAlgorithm); e != nil {
		return nil, key, e
	}
	blob, err := seal(key.Material, key.ARN, in.EncryptionContext, in.Plaintext)
	if err != nil {
		return nil, key, internal(err)
	}
	return map[string]any{"CiphertextBlob": blob, "KeyId": key.ARN, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}, key, nil
}

func (s *Service) decryptOp(c caller, in input) (any, state.Key, *awsreq.Error) {
	if len(in.CiphertextBlob) == 0 {
		return nil, state.Key{}, errorf("ValidationException", "1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy constraint: Member must not be null")
	}
	if e := checkAlgorithm(in.EncryptionAlgorithm); e != nil {
		return nil, state.Key{}, e
	}
	keyID := ""
	if in.KeyID != nil {
		keyID = *in.KeyID
	}
	plain, key, e := s.decrypt(c, in.CiphertextBlob, keyID, in.EncryptionContext)
	if e != nil {
		return nil, key, e
	}
	return map[string]any{"Plaintext": plain, "KeyId": key.ARN, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}, key, nil
}

// reEncrypt is authorized as kms:ReEncryptFrom on the source key and
// kms:ReEncryptTo on the destination.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_ReEncrypt.html
func (s *Service) reEncrypt(c caller, in input) (any, state.Key, *awsreq.Error) {
	if len(in.CiphertextBlob) == 0 {
		return nil, state.Key{}, errorf("ValidationException", "1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy constraint: Member must not be null")
	}
	if e := required(in.DestinationKeyID, "destinationKeyId"); e != nil {
		return nil, state.Key{}, e
	}
	srcARN, err := blobKey(in.CiphertextBlob)
	if err != nil {
		return nil, state.Key{}, errorf("InvalidCiphertextException", "")
	}
	src, ok := s.Store.Key(srcARN)
	if !ok || src.Region != c.env.Region {
		return nil, state.Key{}, errorf("InvalidCiphertextException", "")
	}
	if in.SourceKeyID != "" {
		named, e := s.resolve(c, in.SourceKeyID)
		if e != nil {
			return nil, src, e
		}
		if named.ARN != src.ARN {
			return nil, src, errorf("IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.")
		}
	}
	dst, e := s.resolve(c, *in.DestinationKeyID)
	if e != nil {
		return nil, src, e
	}
	same := iampolicy.Context{}.Set("kms:ReEncryptOnSameKey", fmt.Sprint(src.ARN == dst.ARN))
	if e := s.authorize(c, src, "kms:ReEncryptFrom", in.SourceKeyID, in.SourceEncryptionContext, same); e != nil {
		return nil, src, e
	}
	if e := s.authorize(c, dst, "kms:ReEncryptTo", *in.DestinationKeyID, in.DestinationEncryptionContext, same); e != nil {
		return nil, dst, e
	}
	if e := usable(src, "ReEncrypt"); e != nil {
		return nil, src, e
	}
	if e := usable(dst, "ReEncrypt"); e != nil {
		return nil, dst, e
	}
	plain, err := open(src.Material, in.CiphertextBlob, in.SourceEncryptionContext)
	if err != nil {
		return nil, src, errorf("InvalidCiphertextException", "")
	}
	blob, err := seal(dst.Material, dst.ARN, in.DestinationEncryptionContext, plain)
	if err != nil {
		return nil, dst, internal(err)
	}
	return map[string]any{
		"CiphertextBlob": blob, "KeyId": dst.ARN, "SourceKeyId": src.ARN,
		"SourceEncryptionAlgorithm": "SYMMETRIC_DEFAULT", "DestinationEncryptionAlgorithm": "SYMMETRIC_DEFAULT",
	}, dst, nil
}

// generateDataKeyOp takes KeySpec (AES_128, AES_256) or NumberOfBytes
// (1-1024), not both.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateDataKey.html
func (s *Service) generateDataKeyOp(c caller, in input, withPlaintext bool) (any, state.Key, *awsreq.Error) {
	if e := required(in.KeyID, "keyId"); e != nil {
		return nil, state.Key{}, e
	}
	var n int
	switch {
	case (in.KeySpec == "") == (in.NumberOfBytes == nil):
		return nil, state.Key{}, errorf("ValidationException", "Please specify either number of bytes or key spec.")
	case in.KeySpec == "AES_256":
		n = 32
	case in.KeySpec == "AES_128":
		n = 16
	case in.KeySpec != "":
		return nil, state.Key{}, validation("keySpec", "satisfy enum value set: [AES_256, AES_128]")
	case *in.NumberOfBytes < 1:
		return nil, state.Key{}, validation("numberOfBytes", "have value greater than or equal to 1")
	case *in.NumberOfBytes > 1024:
		return nil, state.Key{}, validation("numberOfBytes", "have value less than or equal to 1024")
	default:
		n = *in.NumberOfBytes
	}
	key, e := s.resolve(c, *in.KeyID)
	if e != nil {
		return nil, key, e
	}
	action := "kms:GenerateDataKey"
	if !withPlaintext {
		action = "kms:GenerateDataKeyWithoutPlaintext"
	}
	plain, blob, e := s.generateDataKey(c, key, action, *in.KeyID, in.EncryptionContext, n)
	if e != nil {
		return nil, key, e
	}
	out := map[string]any{"CiphertextBlob": blob, "KeyId": key.ARN}
	if withPlaintext {
		out["Plaintext"] = plain
	}
	return out, key, nil
}
