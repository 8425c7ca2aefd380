package v1alpha1

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// S3Action is an S3 permission the vendor's storage service needs on the
// tenant's bucket, spelled as in IAM policies.
// +kubebuilder:validation:Enum=s3:GetObject;s3:PutObject;s3:RestoreObject;s3:ListBucket;s3:DeleteObject;s3:GetObjectVersion;s3:DeleteObjectVersion
type S3Action string

// The S3 actions of the onboarding guide's client role policy.
const (
	S3GetObject           S3Action = "s3:GetObject"
	S3PutObject           S3Action = "s3:PutObject"
	S3RestoreObject       S3Action = "s3:RestoreObject"
	S3ListBucket          S3Action = "s3:ListBucket"
	S3DeleteObject        S3Action = "s3:DeleteObject"
	S3GetObjectVersion    S3Action = "s3:GetObjectVersion"
	S3DeleteObjectVersion S3Action = "s3:DeleteObjectVersion"
)

// SecretMode says what the storage Secret carries.
// +kubebuilder:validation:Enum=Credentials;ConfigOnly
type SecretMode string

const (
	// SecretModeCredentials writes the data's location and short-lived
	// credentials from the tenant's session.
	SecretModeCredentials SecretMode = "Credentials"
	// SecretModeConfigOnly writes the location and role only, for pods that
	// assume the role themselves.
	SecretModeConfigOnly SecretMode = "ConfigOnly"
)

// TenantStorageSpec is one tenant's storage configuration, named after the
// onboarding guide's per-client keys (chainedAssumeRole,
// chainedAssumeRoleRegion, chainedAssumeRoleExternalId, s3BucketArn,
// kmsKeyArn).
//
// Region decides the partition (cn-* is aws-cn, us-gov-* is aws-us-gov,
// anything else aws) and every ARN must be in that partition.
// +kubebuilder:validation:XValidation:rule="has(self.bucketArn) || has(self.kmsKeyArn)",message="set bucketArn, kmsKeyArn or both: a tenant brings a bucket, a key, or both"
// +kubebuilder:validation:XValidation:rule="!has(self.externalId) || has(self.roleArn)",message="externalId is only sent when assuming roleArn: set roleArn or remove externalId"
// +kubebuilder:validation:XValidation:rule="!has(self.roleArn) || self.roleArn.startsWith('arn:' + (self.region.startsWith('cn-') ? 'aws-cn' : self.region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws') + ':')",messageExpression="'roleArn must be in partition ' + (self.region.startsWith('cn-') ? 'aws-cn' : self.region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws') + ', the partition of region ' + self.region + ': all ARNs of a tenant share one partition'"
// +kubebuilder:validation:XValidation:rule="!has(self.bucketArn) || self.bucketArn.startsWith('arn:' + (self.region.startsWith('cn-') ? 'aws-cn' : self.region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws') + ':')",messageExpression="'bucketArn must be in partition ' + (self.region.startsWith('cn-') ? 'aws-cn' : self.region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws') + ', the partition of region ' + self.region + ': all ARNs of a tenant share one partition'"
// +kubebuilder:validation:XValidation:rule="!has(self.kmsKeyArn) || self.kmsKeyArn.startsWith('arn:' + (self.region.startsWith('cn-') ? 'aws-cn' : self.region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws') + ':')",messageExpression="'kmsKeyArn must be in partition ' + (self.region.startsWith('cn-') ? 'aws-cn' : self.region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws') + ', the partition of region ' + self.region + ': all ARNs of a tenant share one partition'"
// +kubebuilder:validation:XValidation:rule="!has(self.kmsKeyArn) || self.kmsKeyArn.split(':').size() < 4 || self.kmsKeyArn.split(':')[3] == self.region",messageExpression="'kmsKeyArn is in region ' + self.kmsKeyArn.split(':')[3] + ' but region is ' + self.region + ': the key must be in the tenant region, the same region as the bucket'"
// +kubebuilder:validation:XValidation:rule="!self.secret.minRemaining.matches('^([0-9]+(ms|s|m|h))+$') || !self.sessionDuration.matches('^([0-9]+(ms|s|m|h))+$') || duration(self.secret.minRemaining) < duration(self.sessionDuration)",message="secret.minRemaining must be shorter than sessionDuration, or no credentials could ever be handed out"
type TenantStorageSpec struct {
	// roleArn is the customer's client role (the guide's chainedAssumeRole),
	// e.g. arn:aws:iam::123456789012:role/AlphaSense-DocumentStorage-ClientRole.
	// The operator's service role assumes it with externalId. Leave it empty
	// for direct access (the bucket and key policies name the operator's own
	// service role; onboarding guide 004, Option A).
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.matches('^arn:[a-z-]+:iam::[0-9]{12}:role/([A-Za-z0-9_+=,.@-]+/)*[A-Za-z0-9_+=,.@-]{1,64}$')",message="roleArn must be an IAM role ARN: arn:<partition>:iam::<12-digit account>:role/<optional path/><name of 1-64 letters, digits or _+=,.@->"
	// +kubebuilder:validation:XValidation:rule="self.matches('^arn:(aws|aws-cn|aws-us-gov):')",message="roleArn's partition must be aws, aws-cn or aws-us-gov"
	RoleArn string `json:"roleArn,omitempty"`

	// region is the AWS region of the tenant's bucket and key, and of the
	// STS endpoint used to assume roleArn (the guide's chainedAssumeRoleRegion),
	// e.g. us-east-1.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$')",message="region must be an AWS region code such as us-east-1, eu-west-2, cn-north-1 or us-gov-west-1"
	Region string `json:"region"`

	// externalId is the value the customer's trust policy requires in the
	// sts:ExternalId condition (the guide's chainedAssumeRoleExternalId):
	// 2-1224 characters of letters, digits and _+=,.@:/-. It is not a
	// secret, but it must be unique to this tenant. Leave it empty to have
	// the operator generate one (status.externalId), unguessable and stable
	// across restarts and re-creation; raise the annotation
	// storage.tenantstorage.dev/external-id-rotation to rotate it.
	// +optional
	// +kubebuilder:validation:MinLength=2
	// +kubebuilder:validation:MaxLength=1224
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Za-z0-9_+=,.@:/-]*$')",message="externalId may contain only letters, digits and the characters _+=,.@:/- (AWS's ExternalId format)"
	ExternalID string `json:"externalId,omitempty"`

	// bucketArn is the customer's S3 bucket (the guide's s3BucketArn), e.g.
	// arn:aws:s3:::client-document-bucket. Leave it empty when the documents
	// stay in the vendor's bucket and only the key is the customer's.
	// +optional
	// +kubebuilder:validation:MaxLength=100
	// +kubebuilder:validation:XValidation:rule="self.matches('^arn:[a-z-]+:s3:::[^:/*?]+$')",message="bucketArn must be an S3 bucket ARN such as arn:aws:s3:::client-document-bucket, with no object key, path or wildcard"
	// +kubebuilder:validation:XValidation:rule="self.matches('^arn:(aws|aws-cn|aws-us-gov):')",message="bucketArn's partition must be aws, aws-cn or aws-us-gov"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^arn:[a-z-]+:s3:::[^:/*?]+$') || self.matches(':::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$')",message="the bucket name in bucketArn must be 3-63 characters of lowercase letters, digits, dots and hyphens, and begin and end with a letter or digit"
	// +kubebuilder:validation:XValidation:rule="!self.contains('..')",message="the bucket name in bucketArn must not contain two adjacent periods"
	// +kubebuilder:validation:XValidation:rule="!self.matches(':::[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$')",message="the bucket name in bucketArn must not be formatted as an IP address"
	// +kubebuilder:validation:XValidation:rule="!self.matches(':::(xn--|sthree-|amzn-s3-demo-)') && !self.matches('(-s3alias|--ol-s3|[.]mrap|--x-s3|--table-s3)$')",message="the bucket name in bucketArn uses a prefix (xn--, sthree-, amzn-s3-demo-) or suffix (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3) that S3 reserves"
	BucketArn string `json:"bucketArn,omitempty"`

	// kmsKeyArn is the customer's KMS key (the guide's kmsKeyArn), e.g.
	// arn:aws:kms:us-east-1:123456789012:key/12345678-1234-1234-1234-123456789012.
	// It must be a key ARN, not an alias: S3 reports the key ARN on every
	// object and the operator compares them exactly.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.matches('^arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:key/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$')",message="kmsKeyArn must be a KMS key ARN such as arn:aws:kms:us-east-1:123456789012:key/12345678-1234-1234-1234-123456789012 (an alias or bare key ID is not accepted)"
	// +kubebuilder:validation:XValidation:rule="self.matches('^arn:(aws|aws-cn|aws-us-gov):')",message="kmsKeyArn's partition must be aws, aws-cn or aws-us-gov"
	KMSKeyArn string `json:"kmsKeyArn,omitempty"`

	// s3Actions are the S3 permissions the vendor needs on the bucket; each
	// one is tried for real inside probePrefix. The default is the guide's
	// list; add s3:GetObjectVersion and s3:DeleteObjectVersion for versioned
	// buckets.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=7
	// +kubebuilder:default={"s3:GetObject","s3:PutObject","s3:RestoreObject","s3:ListBucket","s3:DeleteObject"}
	S3Actions []S3Action `json:"s3Actions,omitempty"`

	// probePrefix is the key prefix, inside the bucket, that belongs to the
	// operator: the only place it writes, reads and deletes its probe object.
	// It must end with "/". Point it inside the tenant's prefix when the
	// customer grants access to a prefix only.
	// +optional
	// +kubebuilder:default=".tenantstorage-probe/"
	// +kubebuilder:validation:MinLength=2
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="self.endsWith('/') && !self.startsWith('/') && !self.contains('//')",message="probePrefix must be a key prefix such as .tenantstorage-probe/: ending with /, not starting with /, and without //"
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Za-z0-9!_.*()/-]+$')",message="probePrefix may contain only letters, digits and the characters !_.*()/- (S3's safe key characters)"
	ProbePrefix string `json:"probePrefix,omitempty"`

	// verifyInterval is how often the checks run again to catch drift (trust
	// revoked, key disabled, bucket policy changed); spec changes are
	// verified at once. Between 5s and 24h; a little jitter is added.
	// +optional
	// +kubebuilder:default="10m"
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+(ms|s|m|h))+$')",message="verifyInterval must be a duration such as 90s, 10m or 1h"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+(ms|s|m|h))+$') || (duration(self) >= duration('5s') && duration(self) <= duration('24h'))",message="verifyInterval must be between 5s and 24h"
	VerifyInterval *metav1.Duration `json:"verifyInterval,omitempty"`

	// sessionDuration is the lifetime of the sessions the operator asks
	// for, and so of the credentials in the Secret: between 15m and 1h,
	// because AWS caps sessions of a role assumed by another role at 1 hour.
	// +optional
	// +kubebuilder:default="1h"
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+(ms|s|m|h))+$')",message="sessionDuration must be a duration such as 30m or 1h"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+(ms|s|m|h))+$') || (duration(self) >= duration('15m') && duration(self) <= duration('1h'))",message="sessionDuration must be between 15m and 1h: AWS caps role-chained sessions at 1 hour and issues none shorter than 15 minutes"
	SessionDuration *metav1.Duration `json:"sessionDuration,omitempty"`

	// acceptTrustWithoutExternalId, when true, reports a trust policy that
	// also lets the operator in without the ExternalId (or with a wrong one)
	// as a Warning event instead of TrustVerified=False. Such a role is open
	// to the confused-deputy problem; opt out only if the role is protected
	// another way.
	// +optional
	AcceptTrustWithoutExternalID bool `json:"acceptTrustWithoutExternalId,omitempty"`

	// secret configures the Secret the vendor's storage pods consume.
	// +optional
	// +kubebuilder:default={}
	Secret SecretSpec `json:"secret,omitempty"`

	// suspend stops verification and credential refresh; the Secret is left
	// as it is and its credentials run out at their expiry.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// SecretSpec configures the storage Secret.
type SecretSpec struct {
	// name of the Secret, in the TenantStorage's namespace. Defaults to
	// <metadata.name>-storage.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="secret.name must be a DNS subdomain: lowercase letters, digits, '-' and '.', beginning and ending with a letter or digit"
	Name string `json:"name,omitempty"`

	// mode is Credentials (location and short-lived credentials) or
	// ConfigOnly (location and role, for pods that assume the role
	// themselves).
	// +optional
	// +kubebuilder:default=Credentials
	Mode SecretMode `json:"mode,omitempty"`

	// mountPath is where the storage pods mount the Secret; the AWS config
	// file in the Secret runs credential_process on
	// <mountPath>/credentials.json.
	// +optional
	// +kubebuilder:default="/var/run/secrets/tenantstorage"
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="self.matches('^(/[A-Za-z0-9._-]+)+/?$')",message="secret.mountPath must be an absolute path of letters, digits and ._- such as /var/run/secrets/tenantstorage"
	MountPath string `json:"mountPath,omitempty"`

	// minRemaining is the least lifetime credentials must have left to be
	// written to the Secret; shorter-lived ones are never handed out.
	// Between 1m and 30m, and shorter than sessionDuration.
	// +optional
	// +kubebuilder:default="5m"
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]+(ms|s|m|h))+$')",message="secret.minRemaining must be a duration such as 5m"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+(ms|s|m|h))+$') || (duration(self) >= duration('1m') && duration(self) <= duration('30m'))",message="secret.minRemaining must be between 1m and 30m"
	MinRemaining *metav1.Duration `json:"minRemaining,omitempty"`
}

// ActionResult is the outcome of trying one AWS action for the tenant.
type ActionResult struct {
	// action is the IAM action tried, e.g. s3:PutObject or kms:Decrypt.
	// +required
	Action string `json:"action"`

	// result is Allowed, Denied, or Unknown when AWS gave no definitive
	// answer (throttling, server error, or an earlier step failed).
	// +required
	Result ActionOutcome `json:"result"`

	// message explains a denial and how to fix it.
	// +optional
	Message string `json:"message,omitempty"`
}

// ActionOutcome is the result of one action probe.
// +kubebuilder:validation:Enum=Allowed;Denied;Unknown
type ActionOutcome string

// Action probe outcomes.
const (
	ActionAllowed ActionOutcome = "Allowed"
	ActionDenied  ActionOutcome = "Denied"
	ActionUnknown ActionOutcome = "Unknown"
)

// TenantStorageStatus is the operator's verdict on the tenant's setup.
type TenantStorageStatus struct {
	// observedGeneration is the spec generation the conditions describe.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions: Ready summarises TrustVerified, PermissionsVerified,
	// EncryptionVerified, KeyAccessVerified and SecretReady; Reconciling
	// and Stalled follow kstatus.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// identity is the ARN the checks ran as: the session in roleArn, or the
	// operator's own service identity in direct mode.
	// +optional
	Identity string `json:"identity,omitempty"`

	// actions is the outcome of each S3 and KMS action tried.
	// +optional
	// +listType=map
	// +listMapKey=action
	Actions []ActionResult `json:"actions,omitempty"`

	// externalId is the ExternalId the operator generated for this tenant
	// (when spec.externalId is empty): give it to the customer for the
	// trust policy's sts:ExternalId condition.
	// +optional
	ExternalID string `json:"externalId,omitempty"`

	// onboardingConfigMap holds the exact documents and AWS CLI commands the
	// customer applies for this tenant (trust policy with the ExternalId,
	// permissions, bucket and key policies).
	// +optional
	OnboardingConfigMap string `json:"onboardingConfigMap,omitempty"`

	// secretName is the Secret the storage pods consume.
	// +optional
	SecretName string `json:"secretName,omitempty"`

	// credentialsExpireTime is when the credentials in the Secret expire.
	// +optional
	CredentialsExpireTime *metav1.Time `json:"credentialsExpireTime,omitempty"`

	// lastVerifiedTime is when the checks last completed.
	// +optional
	LastVerifiedTime *metav1.Time `json:"lastVerifiedTime,omitempty"`

	// nextVerifyTime is when the checks run again.
	// +optional
	NextVerifyTime *metav1.Time `json:"nextVerifyTime,omitempty"`

	// lastHandledReverify is the value of the
	// storage.tenantstorage.dev/reverify annotation the last verification
	// answered; changing the annotation runs the checks at once.
	// +optional
	LastHandledReverify string `json:"lastHandledReverify,omitempty"`
}

// TenantStorage is one tenant's bring-your-own bucket and key, verified
// against AWS by assuming the tenant's role.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ts,categories=all
// +kubebuilder:selectablefield:JSONPath=`.spec.roleArn`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Trust",type=string,JSONPath=`.status.conditions[?(@.type=="TrustVerified")].status`
// +kubebuilder:printcolumn:name="Permissions",type=string,JSONPath=`.status.conditions[?(@.type=="PermissionsVerified")].status`
// +kubebuilder:printcolumn:name="Encryption",type=string,JSONPath=`.status.conditions[?(@.type=="EncryptionVerified")].status`
// +kubebuilder:printcolumn:name="Key",type=string,JSONPath=`.status.conditions[?(@.type=="KeyAccessVerified")].status`
// +kubebuilder:printcolumn:name="Secret",type=string,JSONPath=`.status.conditions[?(@.type=="SecretReady")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Role",type=string,JSONPath=`.spec.roleArn`,priority=1
// +kubebuilder:printcolumn:name="Bucket",type=string,JSONPath=`.spec.bucketArn`,priority=1
// +kubebuilder:printcolumn:name="Expires",type=string,JSONPath=`.status.credentialsExpireTime`,priority=1
// +kubebuilder:printcolumn:name="Verified",type=date,JSONPath=`.status.lastVerifiedTime`,priority=1
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`,priority=1
type TenantStorage struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the tenant's configuration.
	// +required
	Spec TenantStorageSpec `json:"spec"`

	// status is the operator's verdict.
	// +optional
	Status TenantStorageStatus `json:"status,omitempty"`
}

// TenantStorageList is a list of TenantStorage.
// +kubebuilder:object:root=true
type TenantStorageList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []TenantStorage `json:"items"`
}

// The defaults the CRD schema applies, for objects that did not come from
// the API server.
const (
	DefaultVerifyInterval  = 10 * time.Minute
	DefaultSessionDuration = time.Hour
	DefaultMinRemaining    = 5 * time.Minute
	DefaultProbePrefix     = ".tenantstorage-probe/"
)

// VerifyIntervalOrDefault is spec.verifyInterval, or its default.
func (s *TenantStorageSpec) VerifyIntervalOrDefault() time.Duration {
	return durationOr(s.VerifyInterval, DefaultVerifyInterval)
}

// SessionDurationOrDefault is spec.sessionDuration, or its default.
func (s *TenantStorageSpec) SessionDurationOrDefault() time.Duration {
	return durationOr(s.SessionDuration, DefaultSessionDuration)
}

// MinRemainingOrDefault is spec.secret.minRemaining, or its default.
func (s *TenantStorageSpec) MinRemainingOrDefault() time.Duration {
	return durationOr(s.Secret.MinRemaining, DefaultMinRemaining)
}

func durationOr(d *metav1.Duration, def time.Duration) time.Duration {
	if d == nil {
		return def
	}
	return d.Duration
}
