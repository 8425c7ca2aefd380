package v1alpha1

// Condition types. Each check owns one condition; Ready summarises them.
const (
	// ReadyCondition is True when every applicable check passed and the
	// Secret is current.
	ReadyCondition = "Ready"
	// TrustVerifiedCondition: roleArn can be assumed with the ExternalId and
	// cannot be assumed without it.
	TrustVerifiedCondition = "TrustVerified"
	// PermissionsVerifiedCondition: every configured S3 action works inside
	// the probe prefix.
	PermissionsVerifiedCondition = "PermissionsVerified"
	// EncryptionVerifiedCondition: the bucket's default encryption is SSE-KMS
	// with kmsKeyArn.
	EncryptionVerifiedCondition = "EncryptionVerified"
	// KeyAccessVerifiedCondition: the key is enabled, symmetric, in region,
	// and every KMS action the vendor needs works.
	KeyAccessVerifiedCondition = "KeyAccessVerified"
	// SecretReadyCondition: the storage Secret holds current data.
	SecretReadyCondition = "SecretReady"
	// ReconcilingCondition (kstatus) is True while the operator works
	// towards a verdict, including retries after transient AWS errors.
	ReconcilingCondition = "Reconciling"
	// StalledCondition (kstatus) is True when the configuration cannot
	// succeed without a change by a person.
	StalledCondition = "Stalled"
)

// Condition reasons. A reason names the outcome; the message says what to
// fix. Reasons are shared by the checks where the meaning is the same.
const (
	// ReasonVerified: the check passed.
	ReasonVerified = "Verified"
	// ReasonNotApplicable: the tenant has nothing to check here (no bucket
	// for permissions, no bucket or no key for encryption, no key for key
	// access).
	ReasonNotApplicable = "NotApplicable"
	// ReasonDirectAccess: no roleArn; the service identity is used directly
	// (onboarding guide 004, Option A).
	ReasonDirectAccess = "DirectAccess"
	// ReasonWaiting: an earlier check failed, so this one could not run.
	ReasonWaiting = "WaitingForTrust"
	// ReasonProbeUnavailable: the probe object this check reads could not
	// be written.
	ReasonProbeUnavailable = "ProbeUnavailable"
	// ReasonTransientError: AWS throttled, failed or timed out; the check
	// keeps its previous verdict and is retried.
	ReasonTransientError = "TransientError"

	// ReasonServiceIdentityFailed: the operator's own identity (base
	// credentials or service role) is not usable.
	ReasonServiceIdentityFailed = "ServiceIdentityFailed"
	// ReasonServiceRoleNotPermitted: AssumeRole was denied and roleArn does
	// not match what the service role may assume (guide 000, Common Issue 1).
	ReasonServiceRoleNotPermitted = "ServiceRoleNotPermitted"
	// ReasonAssumeRoleDenied: AssumeRole with the ExternalId was denied: the
	// trust policy does not admit the service role, the ExternalId differs,
	// or the role does not exist (guide 000, Common Issues 2 and 3).
	ReasonAssumeRoleDenied = "AssumeRoleDenied"
	// ReasonAssumeRoleRejected: STS rejected the request's parameters, such
	// as a session longer than the role's maximum.
	ReasonAssumeRoleRejected = "AssumeRoleRejected"
	// ReasonExternalIDNotEnforced: the role can also be assumed without the
	// ExternalId or with a wrong one (the confused-deputy protection is
	// missing).
	ReasonExternalIDNotEnforced = "ExternalIdNotEnforced"

	// ReasonAccountNotAllowed: an ARN is in an AWS account the namespace may
	// not use; nothing was sent to AWS.
	ReasonAccountNotAllowed = "AccountNotAllowed"
	// ReasonExternalIDNotAllowed: the operator only uses ExternalIds it
	// generates, or the rotation annotation is malformed.
	ReasonExternalIDNotAllowed = "ExternalIdNotAllowed"
	// ReasonConflict: a TenantStorage of another namespace claimed roleArn
	// first; this one is not verified.
	ReasonConflict = "Conflict"

	// ReasonActionsDenied: one or more configured actions were denied; the
	// actions list in status names each one and its fix.
	ReasonActionsDenied = "ActionsDenied"
	// ReasonBucketNotFound: the bucket does not exist.
	ReasonBucketNotFound = "BucketNotFound"
	// ReasonBucketRegionMismatch: the bucket is in another region.
	ReasonBucketRegionMismatch = "BucketRegionMismatch"

	// ReasonSSES3: the bucket's default encryption is SSE-S3, not SSE-KMS.
	ReasonSSES3 = "SSES3Encryption"
	// ReasonWrongKey: objects are encrypted with another KMS key.
	ReasonWrongKey = "WrongKMSKey"
	// ReasonNotEncrypted: objects are stored unencrypted.
	ReasonNotEncrypted = "NotEncrypted"

	// ReasonKeyDisabled: the key is disabled.
	ReasonKeyDisabled = "KeyDisabled"
	// ReasonKeyPendingDeletion: the key is scheduled for deletion.
	ReasonKeyPendingDeletion = "KeyPendingDeletion"
	// ReasonKeyUnavailable: the key is in another state that cannot be
	// used (Creating, PendingImport, Unavailable, Updating...).
	ReasonKeyUnavailable = "KeyUnavailable"
	// ReasonKeyNotFound: no such key in the tenant's region and account.
	ReasonKeyNotFound = "KeyNotFound"
	// ReasonKeyRegionMismatch: the key lives in another region.
	ReasonKeyRegionMismatch = "KeyRegionMismatch"
	// ReasonKeyNotSymmetric: the key is not a symmetric ENCRYPT_DECRYPT key,
	// which S3's SSE-KMS requires.
	ReasonKeyNotSymmetric = "KeyNotSymmetric"

	// ReasonCredentialsCurrent: the Secret holds credentials with enough
	// lifetime left, refreshed before they expire.
	ReasonCredentialsCurrent = "CredentialsCurrent"
	// ReasonConfigOnly: the Secret holds the location only, as asked.
	ReasonConfigOnly = "ConfigOnly"
	// ReasonCredentialsWithdrawn: a check failed definitively, so the
	// Secret's credentials were removed (its location keys stay).
	ReasonCredentialsWithdrawn = "CredentialsWithdrawn"
	// ReasonCredentialsExpired: refreshing kept failing until the
	// credentials expired; they were removed and refresh is retried.
	ReasonCredentialsExpired = "CredentialsExpired"
	// ReasonCredentialsUnavailable: credentials cannot be issued for this
	// configuration (see the message).
	ReasonCredentialsUnavailable = "CredentialsUnavailable"

	// ReasonFailed: AWS answered with an error the checks do not know; the
	// message carries it.
	ReasonFailed = "Failed"
	// ReasonVerifying: a verification is in progress.
	ReasonVerifying = "Verifying"
)
