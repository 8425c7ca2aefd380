package externalid

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Where the key lives: a Secret in the operator's namespace.
const (
	DefaultSecretName = "tenantstorage-externalid-key"
	SecretDataKey     = "key"
	// KeySize is the size of generated keys: RFC 2104 asks for at least
	// the hash's output length, 32 bytes for SHA-256.
	KeySize = 32
	// MinKeySize refuses hand-made keys too short to keep ExternalIds
	// unguessable.
	MinKeySize = 32
)

// redacted is what a Key prints as, in any format or log encoder.
const redacted = "externalid.Key(redacted)"

// Key is the cluster's ExternalId key. Whoever holds it can compute every
// tenant's ExternalId, so it never prints: fmt, JSON and slog all show
// "externalid.Key(redacted)".
type Key struct {
	secret []byte
}

// NewKey wraps key material read from somewhere else (a copy is kept).
func NewKey(b []byte) (Key, error) {
	if len(b) < MinKeySize {
		return Key{}, fmt.Errorf("an ExternalId key needs at least %d bytes, got %d", MinKeySize, len(b))
	}
	return Key{secret: append([]byte(nil), b...)}, nil
}

// GenerateKey makes a new random key.
func GenerateKey() (Key, error) {
	b := make([]byte, KeySize)
	if _, err := rand.Read(b); err != nil {
		return Key{}, err
	}
	return Key{secret: b}, nil
}

func (Key) String() string   { return redacted }
func (Key) GoString() string { return redacted }

// Format covers the verbs String does not (%d, %x on the bytes...).
func (Key) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// MarshalJSON keeps the key out of structured logs (zap, logr).
func (Key) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// LogValue keeps the key out of slog.
func (Key) LogValue() slog.Value { return slog.StringValue(redacted) }

// LoadOrCreateKey reads the key from the Secret at where, creating the
// Secret with a new random key when it does not exist. Losing or changing
// the key changes every generated ExternalId, so the Secret is created
// immutable and an unusable one is an error, never silently replaced.
//
// c must read from the API server, not from a cache: the manager's cache
// is not started yet when main runs, and it only holds the storage Secrets.
func LoadOrCreateKey(ctx context.Context, c client.Client, where types.NamespacedName) (Key, error) {
	k, err := loadKey(ctx, c, where)
	if err == nil || !apierrors.IsNotFound(err) {
		return k, err
	}
	k, err = GenerateKey()
	if err != nil {
		return Key{}, fmt.Errorf("generating the ExternalId key: %w", err)
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: where.Namespace,
			Name:      where.Name,
			Labels: map[string]string{
				"app.kubernetes.io/part-of":   "tenantstorage-operator",
				"app.kubernetes.io/component": "externalid-key",
			},
			Annotations: map[string]string{
				"storage.tenantstorage.dev/warning": "every generated ExternalId is derived from this key: deleting or changing it changes all of them, and every customer's trust policy must then be updated",
			},
		},
		Type:      corev1.SecretTypeOpaque,
		Immutable: ptr.To(true),
		Data:      map[string][]byte{SecretDataKey: k.secret},
	}
	switch err := c.Create(ctx, secret); {
	case err == nil:
		return k, nil
	case apierrors.IsAlreadyExists(err):
		// Another replica created it first: use theirs, or the two would
		// hand out different ExternalIds.
		return loadKey(ctx, c, where)
	default:
		return Key{}, fmt.Errorf("creating the ExternalId key Secret %s: %w", where, err)
	}
}

// loadKey returns the API's NotFound error unwrapped, for the caller to
// tell it apart.
func loadKey(ctx context.Context, c client.Client, where types.NamespacedName) (Key, error) {
	var secret corev1.Secret
	if err := c.Get(ctx, where, &secret); err != nil {
		if apierrors.IsNotFound(err) {
			return Key{}, err
		}
		return Key{}, fmt.Errorf("reading the ExternalId key Secret %s: %w", where, err)
	}
	k, err := NewKey(secret.Data[SecretDataKey])
	if err != nil {
		return Key{}, fmt.Errorf("the ExternalId key Secret %s has no usable %q entry (%w): restore it from a backup; deleting it makes a new key and changes every generated ExternalId", where, SecretDataKey, err)
	}
	return k, nil
}
