package verify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/internal/awserr"
)

// probeBody is what the probe object holds; small, and says what it is to a
// customer who finds it.
const probeBody = "written by the tenantstorage operator to verify access; safe to delete\n"

// bucketProbe carries one run of the S3 checks.
type bucketProbe struct {
	t       Tenant
	client  *s3.Client
	grantee string // see directGrantee
	bucket  string
	key     string
	results map[storagev1alpha1.S3Action]storagev1alpha1.ActionResult
	// first definitive error per kind, for the condition's reason.
	mu        sync.Mutex
	transient []string
	notFound  error
	region    string
	putErr    error // the probe write's error, read by the encryption check
	keyErr    error // the first error S3 relayed from KMS
}

// bucket runs the S3 checks: every configured action is tried for real on
// the probe object, and nowhere else. The encryption check reads the
// answer to the probe's PutObject, which was sent without SSE headers and so
// got the bucket's default encryption.
func (v *Verifier) bucket(ctx context.Context, cfg aws.Config, t Tenant, grantee string) (Check, Check, []storagev1alpha1.ActionResult) {
	if t.BucketARN == "" {
		return passed(storagev1alpha1.ReasonNotApplicable, "no bucketArn: the tenant brings only a key"),
			passed(storagev1alpha1.ReasonNotApplicable, "no bucketArn: the documents are in the vendor's bucket"), nil
	}
	a, _ := arn.Parse(t.BucketARN)
	p := &bucketProbe{
		t:       t,
		client:  s3.NewFromConfig(cfg),
		grantee: grantee,
		bucket:  a.Resource,
		key:     t.ProbeKey(),
		results: map[storagev1alpha1.S3Action]storagev1alpha1.ActionResult{},
	}

	// Round 1: the bucket-level calls and the write are independent.
	var wg sync.WaitGroup
	var put *s3.PutObjectOutput
	if p.wants(storagev1alpha1.S3ListBucket) {
		wg.Go(func() { p.headBucket(ctx) })
		wg.Go(func() { p.listObjects(ctx) })
	}
	if p.wants(storagev1alpha1.S3PutObject) {
		wg.Go(func() { put = p.putObject(ctx) })
	}
	wg.Wait()

	// Round 2: reads of the probe object (or of its absent key, when the
	// vendor may not write: NoSuchKey then proves the permission).
	versionID := "null"
	if put != nil && put.VersionId != nil {
		versionID = *put.VersionId
	}
	for _, read := range []struct {
		action storagev1alpha1.S3Action
		run    func()
	}{
		{storagev1alpha1.S3GetObject, func() { p.getObject(ctx, storagev1alpha1.S3GetObject, nil) }},
		{storagev1alpha1.S3GetObjectVersion, func() { p.getObject(ctx, storagev1alpha1.S3GetObjectVersion, &versionID) }},
		{storagev1alpha1.S3RestoreObject, func() { p.restoreObject(ctx) }},
	} {
		if p.wants(read.action) {
			wg.Go(read.run)
		}
	}
	wg.Wait()

	// Round 3: clean up. Deleting the probe's own key is the delete probe.
	if p.wants(storagev1alpha1.S3DeleteObjectVersion) && put != nil && put.VersionId != nil {
		p.deleteObject(ctx, storagev1alpha1.S3DeleteObjectVersion, put.VersionId)
	}
	if p.wants(storagev1alpha1.S3DeleteObject) {
		p.deleteObject(ctx, storagev1alpha1.S3DeleteObject, nil)
	}

	return p.verdict(), p.encryption(put), p.actionResults()
}

func (p *bucketProbe) wants(a storagev1alpha1.S3Action) bool {
	return slices.Contains(p.t.S3Actions, a)
}

func (p *bucketProbe) objectARN() string {
	return p.t.BucketARN + "/" + p.key
}

// record stores the outcome of action from the call's error.
func (p *bucketProbe) record(action storagev1alpha1.S3Action, err error, resource string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if prev, done := p.results[action]; done && prev.Result != storagev1alpha1.ActionAllowed {
		return // HeadBucket and ListObjectsV2 both test s3:ListBucket: keep the first failure.
	}
	kind, _ := awserr.Classify(err)
	switch {
	case err == nil:
		p.results[action] = storagev1alpha1.ActionResult{Action: string(action), Result: storagev1alpha1.ActionAllowed}
	case kind == awserr.Transient:
		p.transient = append(p.transient, string(action)+": "+awserr.Describe(err))
		p.results[action] = storagev1alpha1.ActionResult{Action: string(action), Result: storagev1alpha1.ActionUnknown, Message: "no answer from AWS: " + awserr.Describe(err)}
	case kind == awserr.Denied:
		p.results[action] = storagev1alpha1.ActionResult{Action: string(action), Result: storagev1alpha1.ActionDenied, Message: s3DenialFix(p.t, p.grantee, action, resource, err)}
	case awserr.HTTPStatus(err) == http.StatusMovedPermanently:
		// PermanentRedirect: the bucket is in another region, which S3
		// names in x-amz-bucket-region.
		region := responseHeader(err, "x-amz-bucket-region")
		if p.region == "" && region != "" && region != p.t.Region {
			p.region = region
		}
		p.results[action] = storagev1alpha1.ActionResult{Action: string(action), Result: storagev1alpha1.ActionUnknown,
			Message: fmt.Sprintf("not tried: the bucket is not in spec.region %s (%s)", p.t.Region, awserr.Describe(err))}
	case strings.HasPrefix(awserr.Code(err), "KMS."):
		// S3 relays the key's own error (KMS.DisabledException,
		// KMS.KMSInvalidStateException...): the key is unusable, which says
		// nothing about the S3 permissions.
		if p.keyErr == nil {
			p.keyErr = err
		}
		p.results[action] = storagev1alpha1.ActionResult{Action: string(action), Result: storagev1alpha1.ActionUnknown,
			Message: fmt.Sprintf("not verified: S3 could not use the key (%s); see KeyAccessVerified", awserr.Describe(err))}
	case kind == awserr.NotFound && awserr.Code(err) != "NoSuchKey":
		if p.notFound == nil {
			p.notFound = err
		}
		p.results[action] = storagev1alpha1.ActionResult{Action: string(action), Result: storagev1alpha1.ActionUnknown, Message: "the bucket was not found: " + awserr.Describe(err)}
	default:
		p.results[action] = storagev1alpha1.ActionResult{Action: string(action), Result: storagev1alpha1.ActionUnknown, Message: awserr.Describe(err)}
	}
}

// headBucket tests s3:ListBucket on the bucket and reads its region, which
// S3 sends in x-amz-bucket-region whether or not access is allowed; a
// request to the wrong region is answered 301
// (docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html).
func (p *bucketProbe) headBucket(ctx context.Context) {
	out, err := p.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &p.bucket})
	var region string
	if out != nil {
		region = aws.ToString(out.BucketRegion)
	}
	if err != nil {
		region = responseHeader(err, "x-amz-bucket-region")
	}
	if region != "" && region != p.t.Region {
		p.mu.Lock()
		p.region = region
		p.mu.Unlock()
		return
	}
	p.record(storagev1alpha1.S3ListBucket, err, p.t.BucketARN)
}

// listObjects lists inside the probe prefix only: the operator has no
// business reading the customer's key names.
func (p *bucketProbe) listObjects(ctx context.Context) {
	_, err := p.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket: &p.bucket, Prefix: &p.t.ProbePrefix, MaxKeys: aws.Int32(1),
	})
	p.record(storagev1alpha1.S3ListBucket, err, p.t.BucketARN)
}

func (p *bucketProbe) putObject(ctx context.Context) *s3.PutObjectOutput {
	out, err := p.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &p.bucket, Key: &p.key, Body: strings.NewReader(probeBody),
		ContentType: aws.String("text/plain"),
	})
	p.record(storagev1alpha1.S3PutObject, err, p.objectARN())
	p.putErr = err
	return out
}

func (p *bucketProbe) getObject(ctx context.Context, action storagev1alpha1.S3Action, versionID *string) {
	out, err := p.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &p.bucket, Key: &p.key, VersionId: versionID})
	if err == nil {
		_ = out.Body.Close()
	}
	if awserr.Code(err) == "NoSuchKey" || awserr.Code(err) == "NoSuchVersion" {
		// Authorized, and the object is not there (S3 only says NoSuchKey
		// to callers it lets read).
		err = nil
	}
	p.record(action, err, p.objectARN())
}

// restoreObject asks to restore the probe object, which is in STANDARD
// storage: S3 answers InvalidObjectState when the caller may restore, and
// AccessDenied when it may not. The code, not the status, tells them apart.
func (p *bucketProbe) restoreObject(ctx context.Context) {
	_, err := p.client.RestoreObject(ctx, &s3.RestoreObjectInput{
		Bucket: &p.bucket, Key: &p.key,
		RestoreRequest: &s3types.RestoreRequest{Days: aws.Int32(1)},
	})
	if code := awserr.Code(err); code == "InvalidObjectState" || code == "NoSuchKey" {
		err = nil
	}
	p.record(storagev1alpha1.S3RestoreObject, err, p.objectARN())
}

func (p *bucketProbe) deleteObject(ctx context.Context, action storagev1alpha1.S3Action, versionID *string) {
	_, err := p.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &p.bucket, Key: &p.key, VersionId: versionID})
	p.record(action, err, p.objectARN())
}

func (p *bucketProbe) verdict() Check {
	switch {
	case p.region != "":
		return failed(storagev1alpha1.ReasonBucketRegionMismatch, fmt.Sprintf(
			"bucket %s is in %s but spec.region is %s: set region to %s, with a key in that region too (onboarding guide 004: the bucket must be in the key's region)",
			p.bucket, p.region, p.t.Region, p.region))
	case p.notFound != nil:
		return failed(storagev1alpha1.ReasonBucketNotFound, fmt.Sprintf(
			"bucket %s does not exist: %s. Check spec.bucketArn", p.bucket, awserr.Describe(p.notFound)))
	case len(p.transient) > 0:
		return transient(strings.Join(p.transient, "; "))
	}
	var denied, other []string
	for _, r := range p.actionResults() {
		switch r.Result {
		case storagev1alpha1.ActionDenied:
			denied = append(denied, r.Message)
		case storagev1alpha1.ActionUnknown:
			other = append(other, r.Action+": "+r.Message)
		}
	}
	switch {
	case len(denied) > 0:
		return failed(storagev1alpha1.ReasonActionsDenied, strings.Join(denied, "; "))
	case p.keyErr != nil:
		// Not a verdict on the S3 permissions: the key check names the
		// key's problem, and Ready reports that.
		return unknown(storagev1alpha1.ReasonProbeUnavailable, fmt.Sprintf(
			"not verified: S3 could not use the key %s to write the probe object (%s); see KeyAccessVerified", p.t.KeyARN, awserr.Describe(p.keyErr)))
	case len(other) > 0:
		return failed(storagev1alpha1.ReasonFailed, strings.Join(other, "; "))
	}
	return passed(storagev1alpha1.ReasonVerified, fmt.Sprintf("%d S3 actions allowed in s3://%s/%s", len(p.results), p.bucket, p.t.ProbePrefix))
}

// actionResults lists the results in the order of spec.s3Actions.
func (p *bucketProbe) actionResults() []storagev1alpha1.ActionResult {
	var out []storagev1alpha1.ActionResult
	for _, a := range p.t.S3Actions {
		if r, ok := p.results[a]; ok {
			out = append(out, r)
		}
	}
	return out
}

// encryption reads the default encryption S3 applied to the probe object.
func (p *bucketProbe) encryption(put *s3.PutObjectOutput) Check {
	switch {
	case p.t.KeyARN == "":
		return passed(storagev1alpha1.ReasonNotApplicable, "no kmsKeyArn: the bucket's encryption is the customer's choice")
	case put == nil && p.putErr != nil && isTransient(p.putErr):
		// No answer is no verdict: the condition keeps its previous one.
		return transient("not checked: the probe object's write got no answer from AWS (" + awserr.Describe(p.putErr) + ")")
	case put == nil && p.keyErr != nil:
		return unknown(storagev1alpha1.ReasonProbeUnavailable, "not checked: S3 could not use the key to write the probe object, whose encryption is what this check reads (see KeyAccessVerified)")
	case put == nil:
		return unknown(storagev1alpha1.ReasonProbeUnavailable, "not checked: the probe object could not be written (see PermissionsVerified), and its encryption is what this check reads")
	}
	fix := fmt.Sprintf("set the bucket's default encryption to SSE-KMS with %s (onboarding guide 004, step 3)", p.t.KeyARN)
	switch put.ServerSideEncryption {
	case s3types.ServerSideEncryptionAwsKms, s3types.ServerSideEncryptionAwsKmsDsse:
		if got := aws.ToString(put.SSEKMSKeyId); got != p.t.KeyARN {
			return failed(storagev1alpha1.ReasonWrongKey, fmt.Sprintf("new objects are encrypted with %s, not with kmsKeyArn: %s", got, fix))
		}
		return passed(storagev1alpha1.ReasonVerified, fmt.Sprintf("new objects are encrypted with SSE-KMS and %s", p.t.KeyARN))
	case s3types.ServerSideEncryptionAes256:
		return failed(storagev1alpha1.ReasonSSES3, "new objects are encrypted with SSE-S3 (AES256), which does not use the customer's key: "+fix)
	}
	return failed(storagev1alpha1.ReasonNotEncrypted, "new objects are stored without server-side encryption: "+fix)
}

// s3DenialFix explains a denied S3 action and how to fix it. S3 answers
// a bare "Access Denied" whether no policy allows the action or a Deny
// statement matches it, so the fix names both. grantee is who the bucket
// policy must name in direct mode ("" with a client role).
func s3DenialFix(t Tenant, grantee string, action storagev1alpha1.S3Action, resource string, err error) string {
	msg := awserr.Message(err)
	if strings.Contains(msg, "kms:") {
		// S3 reports the KMS call it made for the caller.
		who := "the key policy and the client role's policy must allow"
		if grantee != "" {
			who = "the key policy must allow " + grantee
		}
		return fmt.Sprintf("%s is denied because S3 could not use the key for this identity (%s): %s kms:GenerateDataKey* and kms:Decrypt on %s (onboarding guide 000, KMS Key Policy)",
			action, msg, who, t.KeyARN)
	}
	where := "the client role's permission policy, and make sure no Deny statement of the bucket policy matches it (onboarding guide 000, Steps 2 and 4)"
	if grantee != "" {
		where = "the bucket policy statement that names " + grantee + ", and make sure no Deny statement matches it (onboarding guide 004, Option A)"
	}
	if action == storagev1alpha1.S3ListBucket {
		return fmt.Sprintf("s3:ListBucket is denied on %s. It is granted on the bucket ARN itself, not on %s/* (onboarding guide 004's Option A bucket policy makes this mistake): add %s to the Resource of %s",
			resource, t.BucketARN, t.BucketARN, where)
	}
	return fmt.Sprintf("%s is denied on %s: allow it on %s/* in %s", action, resource, t.BucketARN, where)
}

func isTransient(err error) bool {
	kind, _ := awserr.Classify(err)
	return kind == awserr.Transient
}

// responseHeader is a header of the response that carried err, or "".
func responseHeader(err error, name string) string {
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) && respErr.Response != nil {
		return respErr.Response.Header.Get(name)
	}
	return ""
}
