package verify

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/internal/awsauth"
)

// ErrNoScopedDirectSession: in direct mode the operator can only hand pods
// credentials narrower than its own by assuming its service role with a
// session policy, so it needs one.
var ErrNoScopedDirectSession = errors.New("direct access (no roleArn) needs the operator's --service-role-arn to hand out credentials scoped to this tenant; without it only secret.mode ConfigOnly is possible")

// secretParams is the AssumeRole call that gives the tenant's session: with
// the ExternalId and the Secret's session policy.
func (t Tenant) secretParams() awsauth.AssumeParams {
	p := awsauth.AssumeParams{
		RoleARN:     t.RoleARN,
		Region:      t.Region,
		SessionName: awsauth.SessionName(t.Namespace, t.Name),
		Duration:    t.SessionDuration,
	}
	if t.ExternalID != "" {
		p.ExternalID = aws.String(t.ExternalID)
	}
	if t.SessionPolicy != "" {
		p.Policy = aws.String(t.SessionPolicy)
	}
	return p
}

// Credentials returns fresh credentials for the tenant's pods: a session in
// the tenant's role narrowed by the session policy, or in direct mode a
// session in the operator's service role narrowed the same way.
func (v *Verifier) Credentials(ctx context.Context, t Tenant) (aws.Credentials, error) {
	if t.RoleARN != "" {
		creds, _, err := v.Sessions.Assume(ctx, t.secretParams())
		return creds, err
	}
	if v.Sessions.ServiceRoleARN() == "" {
		return aws.Credentials{}, ErrNoScopedDirectSession
	}
	p := t.secretParams()
	p.RoleARN = v.Sessions.ServiceRoleARN()
	p.ExternalID = nil
	return v.Sessions.AssumeFromBase(ctx, p)
}

// ActionNames spells the actions as IAM policies do.
func ActionNames(actions []storagev1alpha1.S3Action) []string {
	out := make([]string, len(actions))
	for i, a := range actions {
		out[i] = string(a)
	}
	return out
}
