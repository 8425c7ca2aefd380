// Package awsauth builds every aws.Config the operator uses, in one place:
// the base identity from the SDK's default chain (IRSA, EKS Pod Identity,
// environment), the optional service role assumed from it (the first hop,
// one session shared by all tenants), and tenant sessions in the customer's
// role (the second hop, with the tenant's ExternalId).
package awsauth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// ChainedSessionLimit is the longest session AWS issues for a role assumed
// by another role: "The requested DurationSeconds exceeds the 1 hour session
// limit for roles assumed by role chaining."
// (docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html)
const ChainedSessionLimit = time.Hour

// serviceSessionName names the service-role session in the vendor's
// CloudTrail.
const serviceSessionName = "tenantstorage-operator"

// Sessions hands out AWS configs for the service identity and for tenants.
type Sessions struct {
	base           aws.Config
	serviceRoleARN string
	// service is the service identity's credentials: the base identity, or
	// a cached session in the service role shared by every tenant.
	service aws.CredentialsProvider
}

// New returns Sessions over base (normally config.LoadDefaultConfig's
// result, with the operator's retryer and API options already set).
// serviceRoleARN, when not empty, is assumed from the base identity and its
// session serves every tenant.
func New(base aws.Config, serviceRoleARN string) *Sessions {
	s := &Sessions{base: base, serviceRoleARN: serviceRoleARN, service: base.Credentials}
	if serviceRoleARN != "" {
		provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base), serviceRoleARN,
			func(o *stscreds.AssumeRoleOptions) {
				o.RoleSessionName = serviceSessionName
				o.Duration = ChainedSessionLimit
			})
		s.service = cache(provider, ChainedSessionLimit)
	}
	return s
}

// cache wraps provider so that its credentials are reused until about two
// thirds of their lifetime, with jitter so that sessions assumed together
// are not all refreshed together.
func cache(provider aws.CredentialsProvider, lifetime time.Duration) aws.CredentialsProvider {
	return aws.NewCredentialsCache(provider, func(o *aws.CredentialsCacheOptions) {
		o.ExpiryWindow = lifetime / 3
		o.ExpiryWindowJitterFrac = 0.2
	})
}

// ServiceRoleARN is the configured service role, or "".
func (s *Sessions) ServiceRoleARN() string { return s.serviceRoleARN }

// Service returns the service identity's config in region.
func (s *Sessions) Service(region string) aws.Config {
	cfg := s.base.Copy()
	cfg.Region = region
	cfg.Credentials = s.service
	return cfg
}

// WithCredentials returns a config in region that signs with creds.
func (s *Sessions) WithCredentials(region string, creds aws.Credentials) aws.Config {
	cfg := s.base.Copy()
	cfg.Region = region
	cfg.Credentials = credentials.StaticCredentialsProvider{Value: creds}
	return cfg
}

// AssumeParams describe one AssumeRole call into a tenant's role.
type AssumeParams struct {
	RoleARN     string
	Region      string
	SessionName string
	// ExternalID is sent when not nil, so that probes can also call
	// without one.
	ExternalID *string
	Duration   time.Duration
	// Policy is an optional session policy narrowing the session.
	Policy *string
}

// Assume calls AssumeRole as the service identity and returns the
// session's credentials and its ARN.
func (s *Sessions) Assume(ctx context.Context, p AssumeParams) (aws.Credentials, string, error) {
	return assume(ctx, sts.NewFromConfig(s.Service(p.Region)), p)
}

// AssumeFromBase calls AssumeRole as the base identity: the first hop, for
// a scoped session in the service role itself.
func (s *Sessions) AssumeFromBase(ctx context.Context, p AssumeParams) (aws.Credentials, error) {
	cfg := s.base.Copy()
	cfg.Region = p.Region
	creds, _, err := assume(ctx, sts.NewFromConfig(cfg), p)
	return creds, err
}

func assume(ctx context.Context, client *sts.Client, p AssumeParams) (aws.Credentials, string, error) {
	out, err := client.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String(p.RoleARN),
		RoleSessionName: aws.String(p.SessionName),
		ExternalId:      p.ExternalID,
		DurationSeconds: aws.Int32(int32(p.Duration / time.Second)),
		Policy:          p.Policy,
	})
	if err != nil {
		return aws.Credentials{}, "", err
	}
	c := out.Credentials
	creds := aws.Credentials{
		AccessKeyID:     aws.ToString(c.AccessKeyId),
		SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken:    aws.ToString(c.SessionToken),
		Source:          "AssumeRole",
		CanExpire:       true,
		Expires:         aws.ToTime(c.Expiration),
	}
	return creds, aws.ToString(out.AssumedRoleUser.Arn), nil
}

// ServiceIdentity returns the ARN the service identity acts as: the
// service role's session ARN when one is configured (no AWS call), or the
// base identity's ARN from GetCallerIdentity.
func (s *Sessions) ServiceIdentity(ctx context.Context, region string) (string, error) {
	if s.serviceRoleARN != "" {
		return SessionARN(s.serviceRoleARN, serviceSessionName), nil
	}
	out, err := sts.NewFromConfig(s.Service(region)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Arn), nil
}

// SessionARN is the ARN AWS gives a session of roleARN named session:
// arn:<partition>:sts::<account>:assumed-role/<role name>/<session>. The
// role's path is not part of it.
func SessionARN(roleARN, session string) string {
	a, err := arn.Parse(roleARN)
	if err != nil {
		return ""
	}
	name := a.Resource[strings.LastIndex(a.Resource, "/")+1:]
	return fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", a.Partition, a.AccountID, name, session)
}

var sessionNameInvalid = regexp.MustCompile(`[^\w+=,.@-]`)

// maxSessionName is AWS's limit on RoleSessionName (2-64 characters of
// [\w+=,.@-]; docs: reference_iam-quotas.html).
const maxSessionName = 64

// SessionName names a tenant's session so that the customer's and the
// vendor's CloudTrail show which tenant acted: "ts-<namespace>.<name>",
// shortened with a hash suffix when longer than AWS allows.
func SessionName(namespace, name string) string {
	full := sessionNameInvalid.ReplaceAllString("ts-"+namespace+"."+name, "-")
	if len(full) <= maxSessionName {
		return full
	}
	sum := sha256.Sum256([]byte(namespace + "/" + name))
	suffix := "-" + hex.EncodeToString(sum[:])[:10]
	return full[:maxSessionName-len(suffix)] + suffix
}
