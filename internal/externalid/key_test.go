package externalid

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

var where = types.NamespacedName{Namespace: "tenantstorage-system", Name: DefaultSecretName}

func keySecret(data []byte) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: where.Namespace, Name: where.Name},
		Data:       map[string][]byte{SecretDataKey: data},
	}
}

func TestLoadOrCreateKeyCreatesAnImmutableSecret(t *testing.T) {
	ctx := context.Background()
	c := fake.NewClientBuilder().Build()
	k, err := LoadOrCreateKey(ctx, c, where)
	if err != nil {
		t.Fatal(err)
	}
	var s corev1.Secret
	if err := c.Get(ctx, where, &s); err != nil {
		t.Fatalf("the Secret was not created: %v", err)
	}
	if len(s.Data[SecretDataKey]) != KeySize || !bytes.Equal(s.Data[SecretDataKey], k.secret) {
		t.Fatalf("Secret holds %d bytes, the returned key %d; want the same %d", len(s.Data[SecretDataKey]), len(k.secret), KeySize)
	}
	if s.Immutable == nil || !*s.Immutable || s.Type != corev1.SecretTypeOpaque {
		t.Fatalf("Secret immutable=%v type=%s; want an immutable Opaque Secret", s.Immutable, s.Type)
	}

	// A restart loads the same key, so the same ExternalIds.
	again, err := LoadOrCreateKey(ctx, c, where)
	if err != nil {
		t.Fatal(err)
	}
	if again.ExternalID("ns", "acme", 0) != k.ExternalID("ns", "acme", 0) {
		t.Fatal("the reloaded key gives another ExternalId")
	}
}

func TestLoadOrCreateKeyLoadsAnExistingKey(t *testing.T) {
	material := bytes.Repeat([]byte{9}, 48)
	c := fake.NewClientBuilder().WithObjects(keySecret(material)).Build()
	k, err := LoadOrCreateKey(context.Background(), c, where)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := NewKey(material)
	if k.ExternalID("ns", "acme", 2) != want.ExternalID("ns", "acme", 2) {
		t.Fatal("the existing key was not used")
	}
}

func TestLoadOrCreateKeyRefusesAnUnusableSecret(t *testing.T) {
	for name, data := range map[string][]byte{"missing entry": nil, "short key": []byte("too-short")} {
		t.Run(name, func(t *testing.T) {
			c := fake.NewClientBuilder().WithObjects(keySecret(data)).Build()
			_, err := LoadOrCreateKey(context.Background(), c, where)
			if err == nil || !strings.Contains(err.Error(), `the ExternalId key Secret tenantstorage-system/tenantstorage-externalid-key has no usable "key" entry`) {
				t.Fatalf("err = %v", err)
			}
			if strings.Contains(err.Error(), "too-short") {
				t.Fatal("the error prints the key material")
			}
			var s corev1.Secret
			_ = c.Get(context.Background(), where, &s)
			if !bytes.Equal(s.Data[SecretDataKey], data) {
				t.Fatal("an unusable Secret was replaced: every ExternalId would silently change")
			}
		})
	}
}

// Two replicas starting together: the one whose Create loses the race
// uses the winner's key.
func TestLoadOrCreateKeyLosesTheRaceGracefully(t *testing.T) {
	winner := bytes.Repeat([]byte{5}, KeySize)
	base := fake.NewClientBuilder().Build()
	c := interceptor.NewClient(base, interceptor.Funcs{
		Create: func(ctx context.Context, cl client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			if err := cl.Create(ctx, keySecret(winner)); err != nil {
				return err
			}
			return cl.Create(ctx, obj, opts...)
		},
	})
	k, err := LoadOrCreateKey(context.Background(), c, where)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := NewKey(winner)
	if k.ExternalID("ns", "acme", 0) != want.ExternalID("ns", "acme", 0) {
		t.Fatal("the loser kept its own key")
	}
}

func TestLoadOrCreateKeyReportsAPIErrors(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, where.Name, errors.New("no RBAC"))
	for name, funcs := range map[string]interceptor.Funcs{
		"get": {Get: func(context.Context, client.WithWatch, client.ObjectKey, client.Object, ...client.GetOption) error {
			return forbidden
		}},
		"create": {Create: func(context.Context, client.WithWatch, client.Object, ...client.CreateOption) error {
			return forbidden
		}},
	} {
		t.Run(name, func(t *testing.T) {
			c := interceptor.NewClient(fake.NewClientBuilder().Build(), funcs)
			_, err := LoadOrCreateKey(context.Background(), c, where)
			if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "ExternalId key Secret tenantstorage-system/tenantstorage-externalid-key") {
				t.Fatalf("err = %v", err)
			}
		})
	}
}
