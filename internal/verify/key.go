package verify

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/internal/awserr"
)

// The KMS actions the vendor needs (onboarding guide 000, "For KMS Only
// Access"), in the order they are reported. GenerateDataKey* and ReEncrypt*
// are probed through their most used member.
const (
	kmsDescribeKey     = "kms:DescribeKey"
	kmsGenerateDataKey = "kms:GenerateDataKey"
	kmsDecrypt         = "kms:Decrypt"
	kmsEncrypt         = "kms:Encrypt"
	kmsReEncrypt       = "kms:ReEncrypt"
)

var kmsActions = []string{kmsDescribeKey, kmsGenerateDataKey, kmsDecrypt, kmsEncrypt, kmsReEncrypt}

type keyProbe struct {
	t       Tenant
	grantee string // see directGrantee
	client  *kms.Client
	mu      sync.Mutex
	results map[string]storagev1alpha1.ActionResult
	errs    map[string]error
	meta    *kmstypes.KeyMetadata
}

// key checks that the key is a usable symmetric key and that every action
// works, with an encryption context naming the tenant. Round 1 describes
// the key and makes two ciphertexts; round 2 decrypts and re-encrypts them.
func (v *Verifier) key(ctx context.Context, cfg aws.Config, t Tenant, grantee string) (Check, []storagev1alpha1.ActionResult) {
	if t.KeyARN == "" {
		return passed(storagev1alpha1.ReasonNotApplicable, "no kmsKeyArn: the tenant brings only a bucket"), nil
	}
	p := &keyProbe{t: t, grantee: grantee, client: kms.NewFromConfig(cfg), results: map[string]storagev1alpha1.ActionResult{}, errs: map[string]error{}}
	encCtx := t.EncryptionContext()

	var wg sync.WaitGroup
	var dataKey *kms.GenerateDataKeyOutput
	var encrypted *kms.EncryptOutput
	wg.Go(func() {
		out, err := p.client.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &t.KeyARN})
		if err == nil {
			p.meta = out.KeyMetadata
		}
		p.record(kmsDescribeKey, err)
	})
	wg.Go(func() {
		out, err := p.client.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: &t.KeyARN, KeySpec: kmstypes.DataKeySpecAes256, EncryptionContext: encCtx})
		dataKey = out
		p.record(kmsGenerateDataKey, err)
	})
	wg.Go(func() {
		out, err := p.client.Encrypt(ctx, &kms.EncryptInput{KeyId: &t.KeyARN, Plaintext: []byte(probeBody), EncryptionContext: encCtx})
		encrypted = out
		p.record(kmsEncrypt, err)
	})
	wg.Wait()

	if dataKey != nil {
		wg.Go(func() {
			_, err := p.client.Decrypt(ctx, &kms.DecryptInput{KeyId: &t.KeyARN, CiphertextBlob: dataKey.CiphertextBlob, EncryptionContext: encCtx})
			p.record(kmsDecrypt, err)
		})
	}
	if encrypted != nil {
		// ReEncrypt to the same key needs kms:ReEncryptFrom and
		// kms:ReEncryptTo on it, which the guide grants as kms:ReEncrypt*.
		wg.Go(func() {
			_, err := p.client.ReEncrypt(ctx, &kms.ReEncryptInput{
				CiphertextBlob: encrypted.CiphertextBlob, SourceKeyId: &t.KeyARN, SourceEncryptionContext: encCtx,
				DestinationKeyId: &t.KeyARN, DestinationEncryptionContext: encCtx,
			})
			p.record(kmsReEncrypt, err)
		})
	}
	wg.Wait()
	return p.verdict(), p.actionResults()
}

func (p *keyProbe) record(action string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	kind, _ := awserr.Classify(err)
	r := storagev1alpha1.ActionResult{Action: action, Result: storagev1alpha1.ActionAllowed}
	switch {
	case err == nil:
	case kind == awserr.Denied:
		r.Result = storagev1alpha1.ActionDenied
		fix := "the key policy must allow the client role, as the statement \"Allow access through client role\" of onboarding guide 000 does, or delegate to the account root while the role's policy allows it"
		if p.grantee != "" {
			fix = "the key policy must allow " + p.grantee + " (onboarding guide 004, Option A: guide 000's statement \"Allow access through client role\" naming the vendor's role)"
		}
		r.Message = fmt.Sprintf("%s is denied on %s (%s): %s", action, p.t.KeyARN, awserr.Message(err), fix)
	default:
		r.Result = storagev1alpha1.ActionUnknown
		r.Message = awserr.Describe(err)
		p.errs[action] = err
	}
	p.results[action] = r
}

func (p *keyProbe) actionResults() []storagev1alpha1.ActionResult {
	var out []storagev1alpha1.ActionResult
	for _, a := range kmsActions {
		if r, ok := p.results[a]; ok {
			out = append(out, r)
		} else {
			out = append(out, storagev1alpha1.ActionResult{Action: a, Result: storagev1alpha1.ActionUnknown,
				Message: "not tried: it needs a ciphertext from an action that failed"})
		}
	}
	return out
}

func (p *keyProbe) verdict() Check {
	if c, ok := p.stateVerdict(); ok {
		return c
	}
	var transientErrs, denied, other []string
	for _, r := range p.actionResults() {
		err := p.errs[r.Action]
		kind, _ := awserr.Classify(err)
		switch {
		case err != nil && kind == awserr.Transient:
			transientErrs = append(transientErrs, r.Action+": "+r.Message)
		case r.Result == storagev1alpha1.ActionDenied:
			denied = append(denied, r.Message)
		case err != nil:
			other = append(other, r.Action+": "+r.Message)
		}
	}
	switch {
	case len(denied) > 0:
		return failed(storagev1alpha1.ReasonActionsDenied, strings.Join(denied, "; "))
	case len(other) > 0:
		return failed(storagev1alpha1.ReasonFailed, strings.Join(other, "; "))
	case len(transientErrs) > 0:
		return transient(strings.Join(transientErrs, "; "))
	}
	return passed(storagev1alpha1.ReasonVerified, fmt.Sprintf(
		"%s is an enabled symmetric key in %s; DescribeKey, GenerateDataKey, Decrypt, Encrypt and ReEncrypt succeeded", p.t.KeyARN, p.t.Region))
}

// stateVerdict reads the key's state from DescribeKey, or from the errors
// the crypto calls got when DescribeKey itself was denied: a disabled key
// answers DisabledException, one pending deletion KMSInvalidStateException
// (docs.aws.amazon.com/kms/latest/developerguide/key-state.html).
func (p *keyProbe) stateVerdict() (Check, bool) {
	if m := p.meta; m != nil {
		if region := arnRegion(aws.ToString(m.Arn)); region != "" && region != p.t.Region {
			return failed(storagev1alpha1.ReasonKeyRegionMismatch, fmt.Sprintf(
				"key %s is in %s but spec.region is %s: S3 can only use a key in the bucket's region", p.t.KeyARN, region, p.t.Region)), true
		}
		switch m.KeyState {
		case kmstypes.KeyStateEnabled:
		case kmstypes.KeyStateDisabled:
			return keyDisabled(p.t), true
		case kmstypes.KeyStatePendingDeletion, kmstypes.KeyStatePendingReplicaDeletion:
			return keyPendingDeletion(p.t, m), true
		default:
			return failed(storagev1alpha1.ReasonKeyUnavailable, fmt.Sprintf(
				"key %s is in state %s and cannot be used: wait for it to become Enabled, or fix the key", p.t.KeyARN, m.KeyState)), true
		}
		if m.KeyUsage != kmstypes.KeyUsageTypeEncryptDecrypt || m.KeySpec != kmstypes.KeySpecSymmetricDefault {
			return failed(storagev1alpha1.ReasonKeyNotSymmetric, fmt.Sprintf(
				"key %s is a %s key for %s; S3's SSE-KMS needs a SYMMETRIC_DEFAULT key for ENCRYPT_DECRYPT: create such a key and set kmsKeyArn to it", p.t.KeyARN, m.KeySpec, m.KeyUsage)), true
		}
		return Check{}, false
	}
	for _, err := range p.errs {
		switch awserr.Code(err) {
		case "DisabledException":
			return keyDisabled(p.t), true
		case "KMSInvalidStateException":
			return keyPendingDeletion(p.t, nil), true
		case "NotFoundException":
			return failed(storagev1alpha1.ReasonKeyNotFound, fmt.Sprintf(
				"key %s was not found in %s: %s. Check kmsKeyArn's account, region and key ID; a key deleted or in another region answers NotFound", p.t.KeyARN, p.t.Region, awserr.Message(err))), true
		}
	}
	return Check{}, false
}

func keyDisabled(t Tenant) Check {
	return failed(storagev1alpha1.ReasonKeyDisabled, fmt.Sprintf(
		"key %s is disabled, so nothing encrypted with it can be read or written: the customer must enable it (aws kms enable-key --key-id %s)", t.KeyARN, t.KeyARN))
}

func keyPendingDeletion(t Tenant, m *kmstypes.KeyMetadata) Check {
	when := ""
	if m != nil && m.DeletionDate != nil {
		when = " on " + m.DeletionDate.UTC().Format("2006-01-02")
	}
	return failed(storagev1alpha1.ReasonKeyPendingDeletion, fmt.Sprintf(
		"key %s is scheduled for deletion%s; everything encrypted with it will be lost: the customer must cancel the deletion (aws kms cancel-key-deletion --key-id %s) and enable the key", t.KeyARN, when, t.KeyARN))
}

func arnRegion(s string) string {
	a, err := arn.Parse(s)
	if err != nil {
		return ""
	}
	return a.Region
}
