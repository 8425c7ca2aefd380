package localaws_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/tenantstorage/tenantstorage-operator/internal/localaws"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/world"
	"github.com/tenantstorage/tenantstorage-operator/internal/seeds"
)

// The identities and resources of testdata/seeds-world.yaml.
const (
	vendorAcct   = "111111111111"
	customerAcct = "222222222222"
	vendorKeyID  = "AKIAVENDOR0SERVICE01"
	vendorSecret = "vendor-service-secret-0000000000000000000"
	vendorUser   = "arn:aws:iam::111111111111:user/document-storage-service"
	serviceRole  = "arn:aws:iam::111111111111:role/document-storage-role"
	optionARole  = "arn:aws:iam::111111111111:role/alphasense-customer-acme"
	clientRole   = "arn:aws:iam::222222222222:role/AlphaSense-DocumentStorage-ClientRole-acme"
	cliRole      = "arn:aws:iam::222222222222:role/AlphaSense-DocumentStorage-ClientRole"
	externalID   = "acme-7f3e9c2a-external-id"
	docBucket    = "acme-document-bucket"
	optionABkt   = "acme-option-a-bucket"
	docKeyID     = "0b6f3c2e-5d7a-4e8b-9c1d-2f3a4b5c6d7e"
	docKeyARN    = "arn:aws:kms:us-east-1:222222222222:key/0b6f3c2e-5d7a-4e8b-9c1d-2f3a4b5c6d7e"
	optionAKey   = "arn:aws:kms:us-east-1:222222222222:key/9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"

	// Added by testWorld for tests the seeds do not cover.
	adminKeyID  = "AKIACUSTOMER0ADMIN01"
	adminSecret = "customer-admin-secret-000000000000000000"
	s3OnlyRole  = "arn:aws:iam::222222222222:role/acme-s3-only"
	kmsOnlyRole = "arn:aws:iam::222222222222:role/acme-kms-only"
	euBucket    = "acme-eu-bucket"
	euKeyID     = "5e4d3c2b-1a0f-4e9d-8c7b-6a5f4e3d2c1b"
	region      = "us-east-1"
)

// seedValues filled the seed documents of testdata/seeds-world.yaml.
var seedValues = seeds.Values{
	VendorAccountID: vendorAcct, CustomerAccountID: customerAcct,
	ClientRoleName: "AlphaSense-DocumentStorage-ClientRole-acme", KMSKeyID: docKeyID,
	BucketName: docBucket, ExternalID: externalID,
}

// testWorld is the seed world plus a customer administrator, two roles
// holding seed 000's Step 2 policies alone, and resources in another region.
func testWorld(t testing.TB) *localaws.World {
	t.Helper()
	w, err := localaws.LoadWorld("testdata/seeds-world.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cust := &w.Accounts[1]
	rootTrust := world.Policy{Text: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}`}
	cust.Users = append(cust.Users, world.User{
		Name:           "acme-admin",
		AccessKeys:     []world.AccessKey{{ID: adminKeyID, Secret: adminSecret}},
		InlinePolicies: map[string]world.Policy{"admin": {Text: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`}},
	})
	cust.Roles = append(cust.Roles,
		world.Role{Name: "acme-s3-only", TrustPolicy: rootTrust,
			InlinePolicies: map[string]world.Policy{"s3": {Text: seeds.MustFill(seeds.ClientS3Policy, seedValues)}}},
		world.Role{Name: "acme-kms-only", TrustPolicy: rootTrust, MaxSessionDuration: 7200,
			InlinePolicies: map[string]world.Policy{"kms": {Text: seeds.MustFill(seeds.ClientKMSPolicy, seedValues)}}},
	)
	cust.Buckets = append(cust.Buckets, world.Bucket{Name: euBucket, Region: "eu-west-1"})
	cust.Keys = append(cust.Keys, world.Key{ID: euKeyID, Region: "eu-west-1", Aliases: []string{"alias/acme-eu"}})
	if err := w.Validate(); err != nil {
		t.Fatal(err)
	}
	return w
}

// fakeClock is the injected clock; tests move it forward explicitly.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is one emulator behind an httptest server on 127.0.0.1.
type env struct {
	t     testing.TB
	srv   *localaws.Server
	url   string
	clock *fakeClock
	// putPayload is the X-Amz-Content-Sha256 of the last PUT.
	putPayload atomic.Value
}

func newEnv(t testing.TB) *env {
	return newEnvWorld(t, testWorld(t))
}

func newEnvWorld(t testing.TB, w *localaws.World) *env {
	t.Helper()
	// The SDK signs with the wall clock; the server clock starts there so
	// the SDK and the emulator agree until a test moves time on.
	clock := &fakeClock{now: time.Now().UTC().Truncate(time.Second)}
	srv, err := localaws.New(w, localaws.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, srv: srv, clock: clock}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			e.putPayload.Store(r.Header.Get("X-Amz-Content-Sha256"))
		}
		srv.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	e.url = hs.URL
	return e
}

// config loads an SDK configuration the way the operator does, with only
// AWS_ENDPOINT_URL pointing at the emulator. Retries are off so every
// call is exactly one request.
func (e *env) config(creds aws.CredentialsProvider, opts ...func(*config.LoadOptions) error) aws.Config {
	e.t.Helper()
	e.t.Setenv("AWS_ENDPOINT_URL", e.url)
	e.t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	e.t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	opts = append([]func(*config.LoadOptions) error{
		config.WithRegion(region), config.WithCredentialsProvider(creds), config.WithRetryMaxAttempts(1),
	}, opts...)
	cfg, err := config.LoadDefaultConfig(context.Background(), opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	return cfg
}

func static(id, secret, token string) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(id, secret, token)
}

// clients bundles the three service clients for one identity.
type clients struct {
	cfg aws.Config
	sts *sts.Client
	s3  *s3.Client
	kms *kms.Client
}

func (e *env) clients(creds aws.CredentialsProvider, opts ...func(*config.LoadOptions) error) *clients {
	cfg := e.config(creds, opts...)
	return &clients{cfg: cfg, sts: sts.NewFromConfig(cfg),
		s3:  s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
		kms: kms.NewFromConfig(cfg)}
}

func (e *env) vendor() *clients { return e.clients(static(vendorKeyID, vendorSecret, "")) }
func (e *env) admin() *clients  { return e.clients(static(adminKeyID, adminSecret, "")) }

// assume calls AssumeRole and returns clients for the new session.
func (e *env) assume(from *clients, in *sts.AssumeRoleInput) *clients {
	e.t.Helper()
	out, err := from.sts.AssumeRole(context.Background(), in)
	if err != nil {
		e.t.Fatalf("AssumeRole %s: %v", aws.ToString(in.RoleArn), err)
	}
	c := out.Credentials
	return e.clients(static(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken))
}

func assumeInput(role, session string) *sts.AssumeRoleInput {
	return &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String(session)}
}

// serviceSession is the vendor's document-storage-role session, and
// clientSession the chained session in the customer's client role, as the
// operator obtains them.
func (e *env) serviceSession() *clients {
	return e.assume(e.vendor(), assumeInput(serviceRole, "svc"))
}

func (e *env) clientSession() *clients {
	in := assumeInput(clientRole, "verify")
	in.ExternalId = aws.String(externalID)
	return e.assume(e.serviceSession(), in)
}

// wantError checks an API error's HTTP status, code and message exactly.
func wantError(t testing.TB, err error, status int, code, message string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %d %s %q, got success", status, code, message)
	}
	var api smithy.APIError
	var resp *awshttp.ResponseError
	if !errors.As(err, &api) || !errors.As(err, &resp) {
		t.Fatalf("want %d %s, got a non-API error: %v", status, code, err)
	}
	if resp.HTTPStatusCode() != status || api.ErrorCode() != code || api.ErrorMessage() != message {
		t.Fatalf("got %d %s %q\nwant %d %s %q", resp.HTTPStatusCode(), api.ErrorCode(), api.ErrorMessage(), status, code, message)
	}
}

func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
