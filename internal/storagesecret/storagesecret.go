// Package storagesecret decides what the storage Secret holds: where the
// tenant's data is, and short-lived credentials scoped to that data, in two
// forms (environment-style keys, and files that every AWS SDK re-reads
// through credential_process, so pods pick up refreshed credentials without
// a restart). It also plans when credentials are refreshed. Everything here
// is a pure function of its inputs.
package storagesecret

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// Keys of the Secret.
const (
	KeyRegion          = "AWS_REGION"
	KeyDefaultRegion   = "AWS_DEFAULT_REGION"
	KeyBucket          = "TENANTSTORAGE_BUCKET"
	KeyBucketARN       = "TENANTSTORAGE_BUCKET_ARN"
	KeyKMSKeyARN       = "TENANTSTORAGE_KMS_KEY_ARN"
	KeyRoleARN         = "TENANTSTORAGE_ROLE_ARN"
	KeyExternalID      = "TENANTSTORAGE_EXTERNAL_ID"
	KeyAccessKeyID     = "AWS_ACCESS_KEY_ID"
	KeySecretAccessKey = "AWS_SECRET_ACCESS_KEY"
	KeySessionToken    = "AWS_SESSION_TOKEN"
	KeyExpiration      = "AWS_CREDENTIAL_EXPIRATION"
	KeyProcessCreds    = "credentials.json"
	KeyConfig          = "config"
	DefaultMountPath   = "/var/run/secrets/tenantstorage"
)

// CredentialKeys are the keys removed when credentials are withdrawn.
var CredentialKeys = []string{KeyAccessKeyID, KeySecretAccessKey, KeySessionToken, KeyExpiration, KeyProcessCreds, KeyConfig}

// Annotations on the Secret.
const (
	// AnnotationExpiresAt is when the credentials in the Secret expire.
	AnnotationExpiresAt = "storage.tenantstorage.dev/expires-at"
	// AnnotationRefreshAt is when the operator replaces them.
	AnnotationRefreshAt = "storage.tenantstorage.dev/refresh-at"
	// AnnotationContentHash changes whenever the data does; copy it into a
	// pod template annotation (or let a reloader do it) to roll pods that
	// read the environment-style keys.
	AnnotationContentHash = "storage.tenantstorage.dev/content-hash"
)

// Location is where the tenant's data is.
type Location struct {
	Region     string
	BucketARN  string
	KMSKeyARN  string
	RoleARN    string
	ExternalID string
}

// LocationData is the Secret's data for a location: credentials-free, and
// kept even when credentials are withdrawn. withRole adds the role and
// ExternalId, for pods that assume the role themselves.
func LocationData(l Location, withRole bool) map[string][]byte {
	data := map[string][]byte{
		KeyRegion:        []byte(l.Region),
		KeyDefaultRegion: []byte(l.Region),
	}
	if l.BucketARN != "" {
		data[KeyBucketARN] = []byte(l.BucketARN)
		if a, err := arn.Parse(l.BucketARN); err == nil {
			data[KeyBucket] = []byte(a.Resource)
		}
	}
	if l.KMSKeyARN != "" {
		data[KeyKMSKeyARN] = []byte(l.KMSKeyARN)
	}
	if withRole && l.RoleARN != "" {
		data[KeyRoleARN] = []byte(l.RoleARN)
		if l.ExternalID != "" {
			data[KeyExternalID] = []byte(l.ExternalID)
		}
	}
	return data
}

// processCredentials is the credential_process output format every AWS SDK
// reads: docs.aws.amazon.com/sdkref/latest/guide/feature-process-credentials.html
type processCredentials struct {
	Version         int    `json:"Version"`
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	SessionToken    string `json:"SessionToken"`
	Expiration      string `json:"Expiration"`
}

// AddCredentials adds creds to data as environment-style keys and as a
// credential_process JSON file with a shared config file that runs `cat` on
// it from mountPath. SDKs re-run credential_process before Expiration, and
// the kubelet updates mounted Secret files in place, so long-running pods
// follow refreshes.
func AddCredentials(data map[string][]byte, region string, creds aws.Credentials, mountPath string) error {
	expiration := creds.Expires.UTC().Format(time.RFC3339)
	process, err := json.Marshal(processCredentials{
		Version: 1, AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey,
		SessionToken: creds.SessionToken, Expiration: expiration,
	})
	if err != nil {
		return err
	}
	data[KeyAccessKeyID] = []byte(creds.AccessKeyID)
	data[KeySecretAccessKey] = []byte(creds.SecretAccessKey)
	data[KeySessionToken] = []byte(creds.SessionToken)
	data[KeyExpiration] = []byte(expiration)
	data[KeyProcessCreds] = process
	data[KeyConfig] = []byte(fmt.Sprintf("[default]\nregion = %s\ncredential_process = cat %s/%s\n",
		region, strings.TrimSuffix(mountPath, "/"), KeyProcessCreds))
	return nil
}

// Credentials reads the credentials back from a Secret's data and its
// expiry annotation; ok is false when there are none.
func Credentials(data map[string][]byte) (aws.Credentials, bool) {
	id, secret, token := string(data[KeyAccessKeyID]), string(data[KeySecretAccessKey]), string(data[KeySessionToken])
	expires, err := time.Parse(time.RFC3339, string(data[KeyExpiration]))
	if id == "" || secret == "" || err != nil {
		return aws.Credentials{}, false
	}
	return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: token, CanExpire: true, Expires: expires}, true
}

// ContentHash is a short digest of data, stable across map order.
func ContentHash(data map[string][]byte) string {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%x;", k, data[k])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// RefreshAt plans when credentials issued at issued and expiring at
// expires are replaced: at two thirds of their lifetime plus up to a
// twelfth of it as jitter (so tenants created together do not all call STS
// together), and never later than minRemaining before expiry, the least
// lifetime a pod may be handed. The plan is in whole seconds.
func RefreshAt(issued, expires time.Time, minRemaining time.Duration, rnd *rand.Rand) time.Time {
	lifetime := expires.Sub(issued)
	at := issued.Add(lifetime * 2 / 3)
	if jitter := int64(lifetime / 12); jitter > 0 {
		at = at.Add(time.Duration(rnd.Int64N(jitter)))
	}
	if latest := expires.Add(-minRemaining); at.After(latest) {
		at = latest
	}
	// Whole seconds, as the annotation that carries it across restarts.
	return at.Truncate(time.Second)
}

// Usable reports whether creds may be handed out at now: they must have at
// least minRemaining left.
func Usable(creds aws.Credentials, now time.Time, minRemaining time.Duration) bool {
	return creds.AccessKeyID != "" && creds.Expires.Sub(now) >= minRemaining
}

// SessionPolicy narrows a tenant's session to the tenant's bucket and key
// and the configured actions, so that credentials handed to pods can do
// nothing else, even when the role (or, in direct mode, the vendor's
// service role) could. Effective permissions are the role's AND this
// policy (docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session).
func SessionPolicy(bucketARN, keyARN string, s3Actions []string) string {
	type statement struct {
		Sid      string   `json:"Sid"`
		Effect   string   `json:"Effect"`
		Action   []string `json:"Action"`
		Resource string   `json:"Resource"`
	}
	var stmts []statement
	if bucketARN != "" {
		var bucketActions, objectActions []string
		for _, a := range s3Actions {
			if a == "s3:ListBucket" {
				bucketActions = append(bucketActions, a)
			} else {
				objectActions = append(objectActions, a)
			}
		}
		if len(bucketActions) > 0 {
			stmts = append(stmts, statement{"TenantBucket", "Allow", bucketActions, bucketARN})
		}
		if len(objectActions) > 0 {
			stmts = append(stmts, statement{"TenantObjects", "Allow", objectActions, bucketARN + "/*"})
		}
	}
	if keyARN != "" {
		// The key actions of onboarding guide 000 ("For KMS Only Access").
		stmts = append(stmts, statement{"TenantKey", "Allow",
			[]string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"}, keyARN})
	}
	b, _ := json.Marshal(struct {
		Version   string      `json:"Version"`
		Statement []statement `json:"Statement"`
	}{"2012-10-17", stmts})
	return string(b)
}
