package localaws_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/tenantstorage/tenantstorage-operator/internal/localaws"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/control"
)

func TestControlAPIOverHTTP(t *testing.T) {
	e := newEnv(t)
	cc := &control.Client{Endpoint: e.url}
	c := e.clientSession()
	put(t, c, docBucket, "k", "v")

	// Policies as strings through the client...
	noErr(t, cc.SetBucketPolicy(ctx, docBucket, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-document-bucket/*"}]}`))
	_, err := c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(docBucket), Key: aws.String("k")})
	wantError(t, err, 403, "AccessDenied", "Access Denied")
	// ...or as a JSON object, as with curl.
	resp, err := http.Post(e.url+"/_localaws/buckets/policy", "application/json", strings.NewReader(
		`{"bucket":"acme-document-bucket","policy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-document-bucket/*"}]}}`))
	noErr(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("object policy: %d", resp.StatusCode)
	}
	_, err = c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(docBucket), Key: aws.String("k")})
	noErr(t, err)

	var ce *control.Error
	err = cc.SetBucketPolicy(ctx, "no-such-bucket", "")
	if !errors.As(err, &ce) || ce.Status != 404 || ce.Message != "bucket no-such-bucket: not found" {
		t.Fatalf("unknown bucket: %v", err)
	}
	err = cc.SetRoleTrustPolicy(ctx, clientRole, `{"Statement":[]`)
	if !errors.As(err, &ce) || ce.Status != 400 || ce.Message != "MalformedPolicyDocument: Syntax errors in policy." {
		t.Fatalf("malformed policy: %v", err)
	}
	err = cc.SetKeyState(ctx, docKeyID, "Gone")
	if !errors.As(err, &ce) || ce.Status != 400 || ce.Message != `key state "Gone" must be Enabled, Disabled or PendingDeletion` {
		t.Fatalf("bad state: %v", err)
	}

	// Trust policy and key state through the client take effect at once.
	noErr(t, cc.SetRoleTrustPolicy(ctx, clientRole, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole"}]}`))
	in := assumeInput(clientRole, "after")
	in.ExternalId = aws.String(externalID)
	_, err = e.serviceSession().sts.AssumeRole(ctx, in)
	wantError(t, err, 403, "AccessDenied", "User: arn:aws:sts::111111111111:assumed-role/document-storage-role/svc is not authorized to perform: sts:AssumeRole on resource: "+clientRole)
	noErr(t, cc.SetKeyState(ctx, docKeyARN, "Disabled"))
	_, err = c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(docBucket), Key: aws.String("k")})
	wantError(t, err, 400, "KMS.DisabledException", docKeyARN+" is disabled.")
	noErr(t, cc.SetKeyPolicy(ctx, docKeyARN, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"kms:*","Resource":"*"}]}`))
	noErr(t, cc.SetBucketEncryption(ctx, docBucket, localaws.Encryption{Type: "AES256"}))
	noErr(t, cc.SetRoleInlinePolicy(ctx, s3OnlyRole, "extra", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`))

	// Faults, rate limit and records.
	f, err := cc.InjectFault(ctx, localaws.Fault{Service: "sts", Kind: localaws.FaultThrottle, Count: 2})
	noErr(t, err)
	list, err := cc.Faults(ctx)
	noErr(t, err)
	if len(list) != 1 || list[0] != f || f.ID == "" {
		t.Fatalf("faults %+v (added %+v)", list, f)
	}
	_, err = e.vendor().sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantError(t, err, 400, "Throttling", "Rate exceeded")
	list, _ = cc.Faults(ctx)
	if list[0].Count != 1 {
		t.Fatalf("count after one use: %+v", list)
	}
	noErr(t, cc.RemoveFault(ctx, f.ID))
	if err := cc.RemoveFault(ctx, f.ID); !errors.As(err, &ce) || ce.Status != 404 {
		t.Fatalf("second remove: %v", err)
	}
	_, err = cc.InjectFault(ctx, localaws.Fault{Kind: localaws.FaultLatency})
	if !errors.As(err, &ce) || ce.Message != "a latency fault needs latencyMs > 0" {
		t.Fatalf("bad fault: %v", err)
	}
	_, err = cc.InjectFault(ctx, localaws.Fault{Kind: localaws.FaultReset})
	noErr(t, err)
	noErr(t, cc.ClearFaults(ctx))
	noErr(t, cc.SetRateLimit(ctx, 7))
	if n, err := cc.RateLimit(ctx); err != nil || n != 7 {
		t.Fatalf("rate limit %d %v", n, err)
	}
	noErr(t, cc.SetRateLimit(ctx, 0))

	calls, err := cc.Calls(ctx, localaws.CallFilter{Service: "sts", Principal: vendorUser})
	noErr(t, err)
	// Two service sessions (one for the client session, one after the
	// trust policy change), then the throttled call.
	if len(calls) != 3 || calls[0].Operation != "AssumeRole" || calls[1].Operation != "AssumeRole" || calls[2].Outcome != "Throttling" {
		t.Fatalf("calls %+v", calls)
	}
	noErr(t, cc.ResetCalls(ctx))
	calls, err = cc.Calls(ctx, localaws.CallFilter{})
	noErr(t, err)
	if len(calls) != 0 {
		t.Fatalf("calls after reset %+v", calls)
	}

	noErr(t, cc.DeleteBucket(ctx, docBucket))
	_, err = c.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(docBucket)})
	wantError(t, err, 404, "NotFound", "")
}

// The control API can rewrite any policy, so it refuses remote clients.
func TestControlAPILoopbackOnly(t *testing.T) {
	e := newEnv(t)
	req := httptest.NewRequest(http.MethodGet, "/_localaws/calls", nil)
	req.RemoteAddr = "192.0.2.7:40000"
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != http.StatusForbidden || string(body) != `{"error":"the control API answers loopback clients only"}` {
		t.Fatalf("%d %s", rec.Code, body)
	}
}

// The in-process API without httptest: a minimal world, Start and Close.
func TestStartParseWorldClose(t *testing.T) {
	w, err := localaws.ParseWorld([]byte(`
accounts:
  - id: "123456789012"
    users:
      - name: ci
        accessKeys: [{id: AKIAEXAMPLECI0000000, secret: ci-secret}]
        inlinePolicies:
          assume: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "sts:AssumeRole", Resource: "arn:aws:iam::123456789012:role/service/*"}]}
    roles:
      - name: deployer
        path: /service/
        trustPolicy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "123456789012"}, Action: "sts:AssumeRole"}]}
`))
	noErr(t, err)
	srv, err := localaws.New(w)
	noErr(t, err)
	url, err := srv.Start("127.0.0.1:0")
	noErr(t, err)
	if _, err := srv.Start("127.0.0.1:0"); err == nil || err.Error() != "localaws: server already started" {
		t.Fatalf("second Start: %v", err)
	}
	e := &env{t: t, srv: srv, url: url}
	out, err := e.clients(static("AKIAEXAMPLECI0000000", "ci-secret", "")).sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	noErr(t, err)
	if aws.ToString(out.Arn) != "arn:aws:iam::123456789012:user/ci" {
		t.Fatalf("arn %s", aws.ToString(out.Arn))
	}
	// A role's path is part of its ARN but not of its sessions' ARNs.
	assumed, err := e.clients(static("AKIAEXAMPLECI0000000", "ci-secret", "")).sts.AssumeRole(ctx, assumeInput("arn:aws:iam::123456789012:role/service/deployer", "ci"))
	noErr(t, err)
	if aws.ToString(assumed.AssumedRoleUser.Arn) != "arn:aws:sts::123456789012:assumed-role/deployer/ci" {
		t.Fatalf("session arn %s", aws.ToString(assumed.AssumedRoleUser.Arn))
	}
	noErr(t, srv.Close())
	if resp, err := http.Get(url + "/_localaws/calls"); err == nil {
		_ = resp.Body.Close()
		t.Fatal("server still answers after Close")
	}
}
