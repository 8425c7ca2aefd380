// Package verify runs the checks of one tenant against AWS: trust (the
// customer's role can be assumed with the ExternalId and only with it),
// permissions (each configured S3 action, tried inside the operator's probe
// prefix), encryption (the bucket's default encryption is SSE-KMS with the
// customer's key) and key access (the key is usable for every KMS action the
// vendor needs). Checks that do not depend on each other run concurrently.
package verify

import (
	"context"
	"path"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/internal/awsauth"
	"github.com/tenantstorage/tenantstorage-operator/internal/storagesecret"
)

// Tenant is what the checks need to know of one TenantStorage.
type Tenant struct {
	Namespace, Name string
	RoleARN         string
	Region          string
	ExternalID      string
	BucketARN       string
	KeyARN          string
	S3Actions       []storagev1alpha1.S3Action
	ProbePrefix     string
	SessionDuration time.Duration
	// UID names the probe object, so two tenants sharing a bucket and
	// prefix never touch each other's probe.
	UID string
	// AcceptTrustWithoutExternalID turns a missing ExternalId condition
	// into a warning.
	AcceptTrustWithoutExternalID bool
	// SessionPolicy narrows the tenant's session to the tenant's bucket,
	// key and actions ("" for none).
	SessionPolicy string
}

// TenantFrom reads the checks' inputs from a TenantStorage.
func TenantFrom(ts *storagev1alpha1.TenantStorage) Tenant {
	return Tenant{
		Namespace:                    ts.Namespace,
		Name:                         ts.Name,
		RoleARN:                      ts.Spec.RoleArn,
		Region:                       ts.Spec.Region,
		ExternalID:                   ts.Spec.ExternalID,
		BucketARN:                    ts.Spec.BucketArn,
		KeyARN:                       ts.Spec.KMSKeyArn,
		S3Actions:                    ts.Spec.S3Actions,
		ProbePrefix:                  ts.Spec.ProbePrefix,
		SessionDuration:              ts.Spec.SessionDurationOrDefault(),
		UID:                          string(ts.UID),
		AcceptTrustWithoutExternalID: ts.Spec.AcceptTrustWithoutExternalID,
		SessionPolicy:                storagesecret.SessionPolicy(ts.Spec.BucketArn, ts.Spec.KMSKeyArn, ActionNames(ts.Spec.S3Actions)),
	}
}

// ProbeKey is the one object key the operator writes, reads and deletes
// in the tenant's bucket.
func (t Tenant) ProbeKey() string {
	return path.Join(t.ProbePrefix, "probe-"+t.UID)
}

// EncryptionContext binds every KMS probe to the tenant, so the customer's
// CloudTrail shows which tenant used the key.
func (t Tenant) EncryptionContext() map[string]string {
	return map[string]string{"tenantstorage.dev/tenant": t.Namespace + "/" + t.Name}
}

// Check is the outcome of one check, which becomes one condition.
type Check struct {
	Status  metav1.ConditionStatus
	Reason  string
	Message string
	// Transient is set when AWS gave no definitive answer; the condition
	// then keeps its previous verdict.
	Transient bool
}

func passed(reason, message string) Check {
	return Check{Status: metav1.ConditionTrue, Reason: reason, Message: message}
}

func failed(reason, message string) Check {
	return Check{Status: metav1.ConditionFalse, Reason: reason, Message: message}
}

func unknown(reason, message string) Check {
	return Check{Status: metav1.ConditionUnknown, Reason: reason, Message: message}
}

func transient(message string) Check {
	return Check{Status: metav1.ConditionUnknown, Reason: storagev1alpha1.ReasonTransientError, Message: message, Transient: true}
}

// Report is the outcome of one verification.
type Report struct {
	// Identity is the ARN the S3 and KMS checks ran as.
	Identity    string
	Trust       Check
	Permissions Check
	Encryption  Check
	KeyAccess   Check
	// Actions is the outcome of each S3 and KMS action, in a stable order.
	Actions []storagev1alpha1.ActionResult
	// Warnings are worth an event though no check failed, e.g. a trust
	// policy without ExternalId that the tenant accepted.
	Warnings []string
	// Credentials of the tenant session the checks used (empty in direct
	// mode), for the Secret.
	Credentials aws.Credentials
}

// NamedCheck is a check with the condition it becomes.
type NamedCheck struct {
	Condition string
	Check
}

// Checks lists the report's checks in the order a person fixes them:
// nothing else can be checked without trust.
func (r Report) Checks() []NamedCheck {
	return []NamedCheck{
		{storagev1alpha1.TrustVerifiedCondition, r.Trust},
		{storagev1alpha1.PermissionsVerifiedCondition, r.Permissions},
		{storagev1alpha1.EncryptionVerifiedCondition, r.Encryption},
		{storagev1alpha1.KeyAccessVerifiedCondition, r.KeyAccess},
	}
}

// Verifier runs the checks.
type Verifier struct {
	Sessions *awsauth.Sessions
	// ClientRolePattern is the role ARN pattern the service role's policy
	// lets it assume (guide 000, Step 1); it only explains AssumeRole
	// denials and never blocks a call. Empty when unknown.
	ClientRolePattern string
}

// Verify runs every check of t.
func (v *Verifier) Verify(ctx context.Context, t Tenant) Report {
	r := Report{}
	var cfg aws.Config
	r.Trust, cfg, r.Identity, r.Credentials, r.Warnings = v.trust(ctx, t)
	if r.Trust.Status != metav1.ConditionTrue {
		blocked := unknown(storagev1alpha1.ReasonWaiting, "not checked: the tenant's session could not be obtained (see TrustVerified)")
		if r.Trust.Transient {
			blocked = r.Trust
		}
		r.Permissions, r.Encryption, r.KeyAccess = notApplicableOr(t.BucketARN == "", blocked),
			notApplicableOr(t.BucketARN == "" || t.KeyARN == "", blocked), notApplicableOr(t.KeyARN == "", blocked)
		return r
	}

	grantee := v.directGrantee(t, r.Identity)
	var wg sync.WaitGroup
	var s3Actions, kmsActions []storagev1alpha1.ActionResult
	wg.Go(func() {
		r.Permissions, r.Encryption, s3Actions = v.bucket(ctx, cfg, t, grantee)
	})
	wg.Go(func() {
		r.KeyAccess, kmsActions = v.key(ctx, cfg, t, grantee)
	})
	wg.Wait()
	r.Actions = append(s3Actions, kmsActions...)
	return r
}

// directGrantee is the principal the bucket and key policies must name in
// direct mode (guide 004, Option A): the service role, or the service
// identity when there is none. It is "" for a tenant with a client role,
// whose own permission policy grants access.
func (v *Verifier) directGrantee(t Tenant, identity string) string {
	switch {
	case t.RoleARN != "":
		return ""
	case v.Sessions.ServiceRoleARN() != "":
		return v.Sessions.ServiceRoleARN()
	}
	return identity
}

func notApplicableOr(notApplicable bool, c Check) Check {
	if notApplicable {
		return passed(storagev1alpha1.ReasonNotApplicable, "nothing to check for this tenant")
	}
	return c
}
