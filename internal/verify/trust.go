package verify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/internal/awsauth"
	"github.com/tenantstorage/tenantstorage-operator/internal/awserr"
	"github.com/tenantstorage/tenantstorage-operator/internal/iampolicy"
)

// trust checks that the tenant's role can be assumed with the ExternalId,
// and cannot be assumed without it or with another one. It returns the
// config of the tenant's session for the other checks.
//
// A denied AssumeRole looks the same to the caller whatever the cause: the
// caller's own policy, the trust policy, the ExternalId, or a role that does
// not exist all answer AccessDenied "User: <caller> is not authorized to
// perform: sts:AssumeRole on resource: <role>"
// (docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html). The one
// cause the operator can tell apart is its own policy, from
// ClientRolePattern.
func (v *Verifier) trust(ctx context.Context, t Tenant) (Check, aws.Config, string, aws.Credentials, []string) {
	if t.RoleARN == "" {
		identity, err := v.Sessions.ServiceIdentity(ctx, t.Region)
		cfg := v.Sessions.Service(t.Region)
		if err == nil {
			// With a service role, ServiceIdentity makes no call: get its
			// session (cached) now, or every S3 and KMS call would fail
			// and be reported as denied by the customer's policies.
			_, err = cfg.Credentials.Retrieve(ctx)
		}
		if err != nil {
			return serviceIdentityFailed(err), aws.Config{}, "", aws.Credentials{}, nil
		}
		return passed(storagev1alpha1.ReasonDirectAccess, fmt.Sprintf(
				"no roleArn: the operator's service identity %s uses the bucket and key directly, so their policies must name it (onboarding guide 004, Option A)", identity)),
			cfg, identity, aws.Credentials{}, nil
	}

	params := awsauth.AssumeParams{
		RoleARN:     t.RoleARN,
		Region:      t.Region,
		SessionName: awsauth.SessionName(t.Namespace, t.Name),
		Duration:    t.SessionDuration,
	}
	// The session that the checks use carries the Secret's session policy,
	// so the checks verify exactly what the tenant's pods will be able to do.
	withID := t.secretParams()
	withoutID := params
	wrongID := params
	wrongID.ExternalID = aws.String(randomExternalID())

	// The three calls are independent: one round trip instead of three.
	var (
		wg                     sync.WaitGroup
		creds                  aws.Credentials
		identity               string
		err, errNoID, errWrong error
	)
	wg.Go(func() { creds, identity, err = v.Sessions.Assume(ctx, withID) })
	if t.ExternalID != "" {
		wg.Go(func() { _, _, errNoID = v.Sessions.Assume(ctx, withoutID) })
		wg.Go(func() { _, _, errWrong = v.Sessions.Assume(ctx, wrongID) })
	}
	wg.Wait()

	if err != nil {
		return v.assumeFailed(t, err), aws.Config{}, "", aws.Credentials{}, nil
	}
	cfg := v.Sessions.WithCredentials(t.Region, creds)

	var open []string
	switch t.ExternalID {
	case "":
		open = append(open, "it can be assumed without an ExternalId and spec.externalId is empty")
	default:
		for _, probe := range []struct {
			err  error
			what string
		}{{errNoID, "without an ExternalId"}, {errWrong, "with a wrong ExternalId"}} {
			if probe.err == nil {
				open = append(open, "it can also be assumed "+probe.what)
				continue
			}
			if kind, _ := awserr.Classify(probe.err); kind == awserr.Transient {
				return transient("AssumeRole " + probe.what + " (the confused-deputy probe): " + awserr.Describe(probe.err)), aws.Config{}, "", aws.Credentials{}, nil
			}
		}
	}
	if len(open) > 0 {
		msg := fmt.Sprintf("%s does not enforce the ExternalId: %s. Add the condition {\"StringEquals\": {\"sts:ExternalId\": %q}} to its trust policy (onboarding guide 000, Step 3); without it any other customer of the vendor could make the vendor act on this role (the confused-deputy problem)",
			t.RoleARN, strings.Join(open, ", and "), externalIDOrPlaceholder(t.ExternalID))
		if !t.AcceptTrustWithoutExternalID {
			return failed(storagev1alpha1.ReasonExternalIDNotEnforced, msg), aws.Config{}, "", aws.Credentials{}, nil
		}
		return passed(storagev1alpha1.ReasonExternalIDNotEnforced, "accepted by spec.acceptTrustWithoutExternalId: "+msg),
			cfg, identity, creds, []string{msg}
	}
	return passed(storagev1alpha1.ReasonVerified, fmt.Sprintf(
			"assumed %s as %s with the ExternalId; without it and with a wrong one AWS refused, as it should", t.RoleARN, identity)),
		cfg, identity, creds, nil
}

func (v *Verifier) assumeFailed(t Tenant, err error) Check {
	kind, _ := awserr.Classify(err)
	service := v.Sessions.ServiceRoleARN()
	if service == "" {
		service = "the operator's service identity"
	}
	switch kind {
	case awserr.Transient:
		return transient("AssumeRole " + t.RoleARN + ": " + awserr.Describe(err))
	case awserr.Denied:
		if code := awserr.Code(err); code != "AccessDenied" {
			// InvalidClientTokenId, ExpiredToken...: our own credentials.
			return serviceIdentityFailed(err)
		}
		if v.ClientRolePattern != "" && !roleMatches(v.ClientRolePattern, t.RoleARN) {
			return failed(storagev1alpha1.ReasonServiceRoleNotPermitted, fmt.Sprintf(
				"%s. The vendor's service role %s may only assume roles matching %s (its sts:AssumeRole permission, onboarding guide 000 Step 1), and %s does not match: name the client role to match, e.g. %s (guide 000, Common Issue 1)",
				awserr.Describe(err), service, v.ClientRolePattern, t.RoleARN, suggestRoleName(v.ClientRolePattern, t.RoleARN)))
		}
		return failed(storagev1alpha1.ReasonAssumeRoleDenied, fmt.Sprintf(
			"%s. Check, in the customer's account, that the role %s exists, that its trust policy names %s as Principal and allows sts:AssumeRole (guide 000 Step 3, Common Issue 3), that its sts:ExternalId condition equals %q exactly (Common Issue 2), and that no other condition in it (MFA, source IP, time) excludes the vendor's session",
			awserr.Describe(err), t.RoleARN, service, externalIDOrPlaceholder(t.ExternalID)))
	case awserr.Invalid:
		return failed(storagev1alpha1.ReasonAssumeRoleRejected, fmt.Sprintf(
			"%s. If the session is longer than the role allows, lower spec.sessionDuration or raise the role's MaxSessionDuration", awserr.Describe(err)))
	}
	return failed(storagev1alpha1.ReasonFailed, "AssumeRole "+t.RoleARN+": "+awserr.Describe(err))
}

func serviceIdentityFailed(err error) Check {
	if kind, _ := awserr.Classify(err); kind == awserr.Transient {
		return transient("the operator's service identity: " + awserr.Describe(err))
	}
	return failed(storagev1alpha1.ReasonServiceIdentityFailed,
		"the operator's own AWS identity is not usable: "+awserr.Describe(err)+". This is on the vendor's side: check the operator's credentials (IRSA, Pod Identity or environment) and that its service role can be assumed")
}

// roleMatches reports whether roleARN matches pattern as the Resource of
// an IAM policy statement, matched by the same evaluator localaws uses.
func roleMatches(pattern, roleARN string) bool {
	s := iampolicy.Statement{Effect: iampolicy.Allow, Action: []string{"sts:AssumeRole"}, Resource: []string{pattern}}
	return s.Matches(iampolicy.Request{Action: "sts:AssumeRole", Resource: roleARN, Context: iampolicy.Context{}})
}

// suggestRoleName returns roleARN renamed to fit pattern, by filling the
// pattern's trailing wildcard with a tenant suffix.
func suggestRoleName(pattern, roleARN string) string {
	a, err := arn.Parse(roleARN)
	p, perr := arn.Parse(pattern)
	if err != nil || perr != nil {
		return pattern
	}
	name := strings.TrimSuffix(p.Resource[strings.LastIndex(p.Resource, "/")+1:], "*")
	a.Resource = "role/" + name + "<tenant>"
	return a.String()
}

func externalIDOrPlaceholder(id string) string {
	if id == "" {
		return "<the tenant's ExternalId>"
	}
	return id
}

// randomExternalID is a value no trust policy can expect, for the probe
// that must be refused.
func randomExternalID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "tenantstorage-probe-" + hex.EncodeToString(b)
}
