package localaws_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tenantstorage/tenantstorage-operator/internal/seeds"
)

func TestKMSDescribeKeyForms(t *testing.T) {
	e := newEnv(t)
	c := e.clientSession()
	for _, id := range []string{docKeyARN, docKeyID, "alias/acme-documents", "arn:aws:kms:us-east-1:222222222222:alias/acme-documents"} {
		out, err := c.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
		noErr(t, err)
		m := out.KeyMetadata
		if aws.ToString(m.Arn) != docKeyARN || aws.ToString(m.KeyId) != docKeyID || m.KeyState != kmstypes.KeyStateEnabled || !m.Enabled ||
			m.KeySpec != kmstypes.KeySpecSymmetricDefault || m.KeyUsage != kmstypes.KeyUsageTypeEncryptDecrypt ||
			m.Origin != kmstypes.OriginTypeAwsKms || aws.ToString(m.AWSAccountId) != customerAcct || m.CreationDate == nil || m.DeletionDate != nil {
			t.Fatalf("%s: %+v", id, m)
		}
	}
	for id, msg := range map[string]string{
		"alias/none":                           "Alias arn:aws:kms:us-east-1:222222222222:alias/none is not found.",
		"11111111-2222-4333-8444-555555555555": "Key 'arn:aws:kms:us-east-1:222222222222:key/11111111-2222-4333-8444-555555555555' does not exist",
		// The request's region is the signing region: a key elsewhere is not there.
		"arn:aws:kms:eu-west-1:222222222222:key/" + euKeyID: "Key 'arn:aws:kms:eu-west-1:222222222222:key/" + euKeyID + "' does not exist",
		euKeyID: "Key 'arn:aws:kms:us-east-1:222222222222:key/" + euKeyID + "' does not exist",
	} {
		_, err := c.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
		wantError(t, err, 400, "NotFoundException", msg)
	}
	noErr(t, e.srv.SetKeyState(docKeyARN, "PendingDeletion"))
	out, err := c.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(docKeyARN)})
	noErr(t, err)
	if out.KeyMetadata.KeyState != kmstypes.KeyStatePendingDeletion || out.KeyMetadata.Enabled ||
		!out.KeyMetadata.DeletionDate.Equal(e.clock.Now().Add(30*24*time.Hour)) {
		t.Fatalf("pending deletion: %+v", out.KeyMetadata)
	}
}

func TestKMSCrypto(t *testing.T) {
	e := newEnv(t)
	c := e.clientSession()
	encCtx := map[string]string{"tenant": "acme"}
	enc, err := c.kms.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String("alias/acme-documents"), Plaintext: []byte("p"), EncryptionContext: encCtx})
	noErr(t, err)
	if aws.ToString(enc.KeyId) != docKeyARN || enc.EncryptionAlgorithm != kmstypes.EncryptionAlgorithmSpecSymmetricDefault {
		t.Fatalf("encrypt: %s %s", aws.ToString(enc.KeyId), enc.EncryptionAlgorithm)
	}
	dec, err := c.kms.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: encCtx})
	noErr(t, err)
	if string(dec.Plaintext) != "p" || aws.ToString(dec.KeyId) != docKeyARN {
		t.Fatalf("decrypt: %q %s", dec.Plaintext, aws.ToString(dec.KeyId))
	}
	// The context is bound to the ciphertext.
	_, err = c.kms.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"tenant": "other"}})
	wantError(t, err, 400, "InvalidCiphertextException", "")
	_, err = c.kms.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	wantError(t, err, 400, "InvalidCiphertextException", "")
	_, err = c.kms.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: encCtx, KeyId: aws.String(optionAKey)})
	wantError(t, err, 400, "IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.")

	dk, err := c.kms.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: aws.String(docKeyARN), KeySpec: kmstypes.DataKeySpecAes256})
	noErr(t, err)
	if len(dk.Plaintext) != 32 {
		t.Fatalf("data key %d bytes", len(dk.Plaintext))
	}
	back, err := c.kms.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: dk.CiphertextBlob})
	noErr(t, err)
	if !bytes.Equal(back.Plaintext, dk.Plaintext) {
		t.Fatalf("data key does not decrypt to itself")
	}
	wp, err := c.kms.GenerateDataKeyWithoutPlaintext(ctx, &kms.GenerateDataKeyWithoutPlaintextInput{KeyId: aws.String(docKeyARN), NumberOfBytes: aws.Int32(16)})
	noErr(t, err)
	back, err = c.kms.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: wp.CiphertextBlob})
	noErr(t, err)
	if len(back.Plaintext) != 16 {
		t.Fatalf("16-byte key decrypts to %d bytes", len(back.Plaintext))
	}
	_, err = c.kms.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: aws.String(docKeyARN)})
	wantError(t, err, 400, "ValidationException", "Please specify either number of bytes or key spec.")

	// ReEncrypt needs kms:ReEncryptFrom on the source and kms:ReEncryptTo
	// on the destination; the admin has both keys through root delegation.
	admin := e.admin()
	re, err := admin.kms.ReEncrypt(ctx, &kms.ReEncryptInput{CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: encCtx,
		DestinationKeyId: aws.String(optionAKey), DestinationEncryptionContext: map[string]string{"moved": "yes"}})
	noErr(t, err)
	if aws.ToString(re.KeyId) != optionAKey || aws.ToString(re.SourceKeyId) != docKeyARN {
		t.Fatalf("reencrypt %s from %s", aws.ToString(re.KeyId), aws.ToString(re.SourceKeyId))
	}
	dec, err = admin.kms.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: re.CiphertextBlob, EncryptionContext: map[string]string{"moved": "yes"}})
	noErr(t, err)
	if string(dec.Plaintext) != "p" {
		t.Fatalf("re-encrypted plaintext %q", dec.Plaintext)
	}
	// The client role's policies name only its own key; the other key's
	// policy delegates to the account, so the identity policy decides.
	principal := "arn:aws:sts::222222222222:assumed-role/AlphaSense-DocumentStorage-ClientRole-acme/verify"
	_, err = c.kms.ReEncrypt(ctx, &kms.ReEncryptInput{CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: encCtx, DestinationKeyId: aws.String(optionAKey)})
	wantError(t, err, 400, "AccessDeniedException", "User: "+principal+" is not authorized to perform: kms:ReEncryptTo on resource: "+optionAKey+
		" because no identity-based policy allows the kms:ReEncryptTo action")

	noErr(t, e.srv.SetKeyState(docKeyID, "Disabled"))
	_, err = c.kms.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(docKeyARN), Plaintext: []byte("p")})
	wantError(t, err, 400, "DisabledException", docKeyARN+" is disabled.")
	noErr(t, e.srv.SetKeyState(docKeyID, "PendingDeletion"))
	_, err = c.kms.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: encCtx})
	wantError(t, err, 400, "KMSInvalidStateException", docKeyARN+" is pending deletion.")
}

// Without the root statement a key policy ignores identity policies: seed
// 000's KMS-only role loses the key its own policy grants.
func TestKeyPolicyWithoutRootStatement(t *testing.T) {
	e := newEnv(t)
	c := e.assume(e.admin(), assumeInput(kmsOnlyRole, "kms"))
	_, err := c.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(docKeyARN)})
	noErr(t, err)

	stmt := seeds.MustFill(seeds.KMSKeyPolicyStatement, seedValues)
	noRoot, err := seeds.KeyPolicy([]byte(stmt), customerAcct, false)
	noErr(t, err)
	noErr(t, e.srv.SetKeyPolicy(docKeyARN, string(noRoot)))
	_, err = c.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(docKeyARN)})
	wantError(t, err, 400, "AccessDeniedException", "User: arn:aws:sts::222222222222:assumed-role/acme-kms-only/kms is not authorized to perform: kms:DescribeKey on resource: "+docKeyARN+
		" because no resource-based policy allows the kms:DescribeKey action")
	// The role the statement names still works.
	_, err = e.clientSession().kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(docKeyARN)})
	noErr(t, err)
}

// Across accounts the key policy and the caller's identity policy must both
// allow; aliases and bare key IDs resolve in the caller's own account.
func TestKMSCrossAccount(t *testing.T) {
	e := newEnv(t)
	vendorRole := e.assume(e.vendor(), assumeInput(optionARole, "xa"))
	_, err := vendorRole.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(optionAKey)})
	noErr(t, err)
	_, err = vendorRole.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a")})
	wantError(t, err, 400, "NotFoundException", "Key 'arn:aws:kms:us-east-1:111111111111:key/9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a' does not exist")
	// The document key's policy names the customer's client role only.
	_, err = vendorRole.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(docKeyARN)})
	wantError(t, err, 400, "AccessDeniedException", "User: arn:aws:sts::111111111111:assumed-role/alphasense-customer-acme/xa is not authorized to perform: kms:DescribeKey on resource: "+docKeyARN+
		" because no resource-based policy allows the kms:DescribeKey action")
	// Remove the vendor role's own grant: the key policy alone is not enough.
	noErr(t, e.srv.SetRoleInlinePolicy(optionARole, "customer-bucket-access", ""))
	_, err = vendorRole.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(optionAKey)})
	wantError(t, err, 400, "AccessDeniedException", "User: arn:aws:sts::111111111111:assumed-role/alphasense-customer-acme/xa is not authorized to perform: kms:DescribeKey on resource: "+optionAKey+
		" because no identity-based policy allows the kms:DescribeKey action")
}

// A key policy can confine a role to using the key through S3.
func TestKMSViaServiceOnly(t *testing.T) {
	e := newEnv(t)
	c := e.clientSession()
	noErr(t, e.srv.SetKeyPolicy(docKeyARN, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+clientRole+`"},"Action":"kms:*","Resource":"*",
		"Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com","kms:CallerAccount":"222222222222"}}}]}`))
	put(t, c, docBucket, "via", "s3")
	if body, _ := get(t, c, &s3.GetObjectInput{Bucket: aws.String(docBucket), Key: aws.String("via")}); body != "s3" {
		t.Fatalf("body %q", body)
	}
	_, err := c.kms.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(docKeyARN), Plaintext: []byte("p")})
	wantError(t, err, 400, "AccessDeniedException", "User: arn:aws:sts::222222222222:assumed-role/AlphaSense-DocumentStorage-ClientRole-acme/verify is not authorized to perform: kms:Encrypt on resource: "+docKeyARN+
		" because no resource-based policy allows the kms:Encrypt action")
	// An explicit deny names its source.
	noErr(t, e.srv.SetKeyPolicy(docKeyARN, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"kms:*","Resource":"*"},
		{"Effect":"Deny","Principal":"*","Action":"kms:Encrypt","Resource":"*"}]}`))
	_, err = c.kms.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(docKeyARN), Plaintext: []byte("p")})
	wantError(t, err, 400, "AccessDeniedException", "User: arn:aws:sts::222222222222:assumed-role/AlphaSense-DocumentStorage-ClientRole-acme/verify is not authorized to perform: kms:Encrypt on resource: "+docKeyARN+
		" with an explicit deny in a resource-based policy")
}

func TestKMSDryRunAndUnknownOperation(t *testing.T) {
	e := newEnv(t)
	c := e.clientSession()
	_, err := c.kms.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(docKeyARN), Plaintext: []byte("p"), DryRun: aws.Bool(true)})
	wantError(t, err, 412, "DryRunOperationException", "The request would have succeeded, but the DryRun option is set.")
	_, err = c.kms.ListKeys(ctx, &kms.ListKeysInput{})
	// KMS sends no message; the SDK fills in "UnknownError".
	wantError(t, err, 400, "UnknownOperationException", "UnknownError")
}
