// Package externalid generates the ExternalIds the vendor hands to
// customers for their client roles' trust policies.
//
// AWS says the third party should generate the ExternalId, unique per
// customer (docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html).
// An ExternalId derived as HMAC-SHA256(cluster key, "namespace/name/rotation")
// is unguessable without the key, different for every tenant, and the same
// after an operator restart, a lost status, or the resource being deleted and
// re-created from Git: nothing has to be stored but the key.
package externalid

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Prefix marks generated ExternalIds, so a person reading a trust policy
// knows where the value came from.
const Prefix = "ts-"

// RotationAnnotation on a TenantStorage holds the rotation counter: raising
// it gives the tenant a new ExternalId (the customer must then update the
// trust policy).
const RotationAnnotation = "storage.tenantstorage.dev/external-id-rotation"

// macBytes is how much of the HMAC is kept: 160 bits cannot be guessed,
// and the result (35 characters) stays short enough to paste and read.
const macBytes = 20

// AWS's ExternalId format: 2-1224 characters of [\w+=,.@:/-]
// (docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html). Go's
// regexp refuses repeat counts over 1000, so the length is checked apart.
const (
	MinLength = 2
	MaxLength = 1224
)

var alphabet = regexp.MustCompile(`^[\w+=,.@:/-]*$`)

// encoding is lower-case base32 without padding: only letters and digits,
// so the value survives shells, YAML and JSON unquoted.
var encoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// ExternalID returns the ExternalId of the tenant namespace/name at the
// given rotation. Namespace and name cannot contain "/", so the message is
// unambiguous.
func (k Key) ExternalID(namespace, name string, rotation uint64) string {
	if len(k.secret) == 0 {
		// A zero Key would make every ExternalId public knowledge.
		panic("externalid: ExternalID called with an empty Key")
	}
	mac := hmac.New(sha256.New, k.secret)
	mac.Write([]byte(namespace + "/" + name + "/" + strconv.FormatUint(rotation, 10)))
	return Prefix + encoding.EncodeToString(mac.Sum(nil)[:macBytes])
}

// For returns the ExternalId of a tenant object (a TenantStorage) at the
// rotation its RotationAnnotation asks for. The error is the annotation's,
// a configuration problem retrying will not fix.
func (k Key) For(obj metav1.Object) (string, error) {
	rotation, err := Rotation(obj.GetAnnotations())
	if err != nil {
		return "", err
	}
	return k.ExternalID(obj.GetNamespace(), obj.GetName(), rotation), nil
}

// Valid reports whether id is an ExternalId AWS accepts.
func Valid(id string) bool {
	return len(id) >= MinLength && len(id) <= MaxLength && alphabet.MatchString(id)
}

// Rotation reads RotationAnnotation from annotations: 0 when absent, else a
// non-negative decimal integer.
func Rotation(annotations map[string]string) (uint64, error) {
	v, ok := annotations[RotationAnnotation]
	if !ok || strings.TrimSpace(v) == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("annotation %s must be a non-negative integer (a rotation counter), not %q", RotationAnnotation, v)
	}
	return n, nil
}
