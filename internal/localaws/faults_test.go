package localaws_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/tenantstorage/tenantstorage-operator/internal/localaws"
)

func inject(t *testing.T, e *env, f localaws.Fault) localaws.Fault {
	t.Helper()
	added, err := e.srv.InjectFault(f)
	noErr(t, err)
	return added
}

func TestFaultErrorsPerService(t *testing.T) {
	e := newEnv(t)
	c := e.clientSession()
	for _, f := range []localaws.Fault{
		{Service: "sts", Operation: "GetCallerIdentity", Kind: localaws.FaultThrottle, Count: 1},
		{Service: "s3", Operation: "PutObject", Kind: localaws.FaultThrottle, Count: 1},
		{Service: "kms", Operation: "Encrypt", Kind: localaws.FaultThrottle, Count: 1},
		{Service: "sts", Kind: localaws.FaultInternalError, Count: 1},
		{Service: "s3", Kind: localaws.FaultUnavailable, Count: 1},
	} {
		inject(t, e, f)
	}
	_, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantError(t, err, 400, "Throttling", "Rate exceeded")
	_, err = c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantError(t, err, 500, "InternalFailure", "An internal error has occurred. Please try again later.")
	_, err = c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	noErr(t, err)
	_, err = c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(docBucket), Key: aws.String("k"), Body: strings.NewReader("k")})
	wantError(t, err, 503, "SlowDown", "Please reduce your request rate.")
	_, err = c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(docBucket), Key: aws.String("k")})
	wantError(t, err, 503, "ServiceUnavailable", "Service is unable to handle request.")
	_, err = c.kms.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(docKeyARN), Plaintext: []byte("p")})
	wantError(t, err, 400, "ThrottlingException", "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.")
	if f := e.srv.Faults(); len(f) != 0 {
		t.Fatalf("counted faults left: %+v", f)
	}
}

// The SDK's standard retryer rides out transient faults; the records show
// every attempt.
func TestFaultRetriedBySDK(t *testing.T) {
	e := newEnv(t)
	noBackoff := retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	c := e.clients(static(vendorKeyID, vendorSecret, ""), config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts, o.Backoff = 3, noBackoff })
	}))
	inject(t, e, localaws.Fault{Service: "sts", Kind: localaws.FaultInternalError, Count: 1})
	inject(t, e, localaws.Fault{Service: "sts", Kind: localaws.FaultThrottle, Count: 1})
	_, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	noErr(t, err)
	var outcomes []string
	for _, call := range e.srv.Calls(localaws.CallFilter{Principal: vendorUser}) {
		outcomes = append(outcomes, call.Outcome)
	}
	if strings.Join(outcomes, ",") != "InternalFailure,Throttling,OK" {
		t.Fatalf("attempts: %v", outcomes)
	}
}

func TestFaultByPrincipalPrefix(t *testing.T) {
	e := newEnv(t)
	client, vendor := e.clientSession(), e.vendor()
	f := inject(t, e, localaws.Fault{PrincipalARNPrefix: "arn:aws:sts::222222222222:assumed-role/AlphaSense-DocumentStorage-ClientRole-acme/", Kind: localaws.FaultThrottle})
	for range 2 {
		_, err := client.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		wantError(t, err, 400, "Throttling", "Rate exceeded")
		_, err = vendor.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		noErr(t, err)
	}
	if !e.srv.RemoveFault(f.ID) || e.srv.RemoveFault(f.ID) {
		t.Fatal("RemoveFault should succeed once")
	}
	_, err := client.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	noErr(t, err)
}

func TestFaultResetAndLatency(t *testing.T) {
	e := newEnv(t)
	c := e.vendor()
	inject(t, e, localaws.Fault{Service: "sts", Kind: localaws.FaultReset, Count: 1})
	_, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	var api smithy.APIError
	if err == nil || errors.As(err, &api) {
		t.Fatalf("want a transport error, got %v", err)
	}
	calls := e.srv.Calls(localaws.CallFilter{})
	if last := calls[len(calls)-1]; last.Outcome != "ConnectionReset" || last.Principal != vendorUser {
		t.Fatalf("record: %+v", last)
	}

	inject(t, e, localaws.Fault{Service: "sts", Operation: "GetCallerIdentity", Kind: localaws.FaultLatency, LatencyMillis: 150, Count: 1})
	start := time.Now()
	_, err = c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	noErr(t, err)
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("latency fault took %v", d)
	}
	if _, err := e.srv.InjectFault(localaws.Fault{Kind: "explode"}); err == nil || err.Error() != `fault kind "explode" must be latency, throttle, internal-error, unavailable or reset` {
		t.Fatalf("bad kind: %v", err)
	}
}

// The rate limit counts requests per second of the server clock.
func TestRateLimit(t *testing.T) {
	e := newEnv(t)
	c := e.vendor()
	noErr(t, e.srv.SetRateLimit(2))
	for range 2 {
		_, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		noErr(t, err)
	}
	_, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantError(t, err, 400, "Throttling", "Rate exceeded")
	_, err = c.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(optionAKey)})
	wantError(t, err, 400, "ThrottlingException", "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.")
	e.clock.Advance(time.Second)
	_, err = c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	noErr(t, err)
	noErr(t, e.srv.SetRateLimit(0))
	for range 3 {
		_, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		noErr(t, err)
	}
}

// The records of the seed 000 chain, exactly.
func TestCallRecordsOfChain(t *testing.T) {
	e := newEnv(t)
	e.clientSession()
	_, err := e.vendor().sts.AssumeRole(ctx, assumeInput(clientRole, "nope"))
	wantError(t, err, 403, "AccessDenied", "User: "+vendorUser+" is not authorized to perform: sts:AssumeRole on resource: "+clientRole)
	assertCalls(t, e.srv.Calls(localaws.CallFilter{Service: "sts"}), []localaws.Call{
		{Principal: vendorUser, Service: "sts", Operation: "AssumeRole", Outcome: "OK", Status: 200},
		{Principal: "arn:aws:sts::111111111111:assumed-role/document-storage-role/svc", Service: "sts", Operation: "AssumeRole", Outcome: "OK", Status: 200},
		{Principal: vendorUser, Service: "sts", Operation: "AssumeRole", Outcome: "AccessDenied", Status: 403},
	})
	if got := e.srv.Calls(localaws.CallFilter{Principal: vendorUser, Operation: "AssumeRole"}); len(got) != 2 {
		t.Fatalf("filtered: %+v", got)
	}
	e.srv.ResetCalls()
	if got := e.srv.Calls(localaws.CallFilter{}); len(got) != 0 {
		t.Fatalf("after reset: %+v", got)
	}
}
