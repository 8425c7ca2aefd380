package externalid

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func mustKey(t *testing.T, fill byte) Key {
	t.Helper()
	k, err := NewKey(bytes.Repeat([]byte{fill}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// The value for one fixed key is pinned: a change to the derivation would
// change every customer's ExternalId, which must never happen by accident.
func TestExternalIDIsPinned(t *testing.T) {
	got := mustKey(t, 1).ExternalID("tenants", "acme", 0)
	// Independently: python3 hmac.new(bytes([1])*32, b"tenants/acme/0", sha256), first 20 bytes, base32.
	const want = "ts-44hlawux3vtinaitcjxxchh6vzlkzaca"
	if got != want {
		t.Fatalf("ExternalID = %q, want %q", got, want)
	}
}

func TestExternalIDDiffers(t *testing.T) {
	k1, k2 := mustKey(t, 1), mustKey(t, 2)
	base := k1.ExternalID("tenants", "acme", 0)
	for _, c := range []struct {
		name string
		got  string
	}{
		{"other namespace", k1.ExternalID("other", "acme", 0)},
		{"other name", k1.ExternalID("tenants", "globex", 0)},
		{"next rotation", k1.ExternalID("tenants", "acme", 1)},
		{"other key", k2.ExternalID("tenants", "acme", 0)},
		// "/" cannot be in a namespace or name, but the boundary between
		// them must still matter.
		{"boundary moved", k1.ExternalID("tenantsa", "cme", 0)},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.got == base {
				t.Fatalf("%s gives the same ExternalId %s", c.name, base)
			}
			if !Valid(c.got) {
				t.Fatalf("%q is not a valid ExternalId", c.got)
			}
		})
	}
}

func TestExternalIDIsDeterministic(t *testing.T) {
	// Same key material loaded twice, as after a restart.
	a, b := mustKey(t, 7), mustKey(t, 7)
	for _, c := range []struct {
		ns, name string
		rotation uint64
	}{{"default", "acme", 0}, {"default", "acme", 3}, {"team-b", "x", 18446744073709551615}} {
		if x, y := a.ExternalID(c.ns, c.name, c.rotation), b.ExternalID(c.ns, c.name, c.rotation); x != y {
			t.Errorf("%v: %s then %s", c, x, y)
		}
	}
}

func TestExternalIDFormat(t *testing.T) {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		id := k.ExternalID("ns", fmt.Sprintf("tenant-%d", i), uint64(i))
		if len(id) != len(Prefix)+32 || !strings.HasPrefix(id, Prefix) || !Valid(id) {
			t.Fatalf("ExternalID %q: want %q + 32 base32 characters in AWS's alphabet", id, Prefix)
		}
		if strings.ToLower(id) != id {
			t.Fatalf("ExternalID %q is not lower case", id)
		}
	}
}

func TestValid(t *testing.T) {
	for _, c := range []struct {
		id   string
		want bool
	}{
		{"ab", true},
		{"a", false},
		{"", false},
		{"acme-external-id-2024", true},
		{"A_b+c=d,e.f@g:h/i-j", true},
		{"has space", false},
		{"semi;colon", false},
		{"ünïcode", false},
		{strings.Repeat("x", MaxLength), true},
		{strings.Repeat("x", MaxLength+1), false},
	} {
		if got := Valid(c.id); got != c.want {
			t.Errorf("Valid(%.20q...) = %v, want %v", c.id, got, c.want)
		}
	}
}

func TestRotation(t *testing.T) {
	for _, c := range []struct {
		annotations map[string]string
		want        uint64
		err         string
	}{
		{nil, 0, ""},
		{map[string]string{"other": "5"}, 0, ""},
		{map[string]string{RotationAnnotation: ""}, 0, ""},
		{map[string]string{RotationAnnotation: "3"}, 3, ""},
		{map[string]string{RotationAnnotation: " 4 "}, 4, ""},
		{map[string]string{RotationAnnotation: "-1"}, 0, `annotation storage.tenantstorage.dev/external-id-rotation must be a non-negative integer (a rotation counter), not "-1"`},
		{map[string]string{RotationAnnotation: "next"}, 0, `annotation storage.tenantstorage.dev/external-id-rotation must be a non-negative integer (a rotation counter), not "next"`},
	} {
		got, err := Rotation(c.annotations)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != c.want || gotErr != c.err {
			t.Errorf("Rotation(%v) = %d, %q; want %d, %q", c.annotations, got, gotErr, c.want, c.err)
		}
	}
}

func TestFor(t *testing.T) {
	k := mustKey(t, 3)
	obj := &metav1.ObjectMeta{Namespace: "tenants", Name: "acme"}
	if got, err := k.For(obj); err != nil || got != k.ExternalID("tenants", "acme", 0) {
		t.Fatalf("For = %q, %v", got, err)
	}
	obj.Annotations = map[string]string{RotationAnnotation: "2"}
	if got, err := k.For(obj); err != nil || got != k.ExternalID("tenants", "acme", 2) {
		t.Fatalf("For after rotation = %q, %v", got, err)
	}
	obj.Annotations[RotationAnnotation] = "soon"
	if got, err := k.For(obj); err == nil || got != "" {
		t.Fatalf("For with a bad annotation = %q, %v", got, err)
	}
}

func TestNewKeyRefusesShortKeys(t *testing.T) {
	if _, err := NewKey(make([]byte, MinKeySize-1)); err == nil || err.Error() != "an ExternalId key needs at least 32 bytes, got 31" {
		t.Fatalf("err = %v", err)
	}
}

func TestEmptyKeyPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("ExternalID with a zero Key did not panic")
		}
	}()
	Key{}.ExternalID("ns", "n", 0)
}

// The key never reaches logs, whatever the formatter.
func TestKeyNeverPrints(t *testing.T) {
	k := mustKey(t, 0xab)
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("loaded", "key", k)
	j, err := json.Marshal(struct{ K Key }{k})
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{
		fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s %q %x %X %d", k, k, k, k, k, k, k, k),
		fmt.Sprintf("%v", []Key{k}), fmt.Sprintf("%+v", struct{ K Key }{k}),
		string(j), logged.String(),
	} {
		if strings.Contains(strings.ToLower(out), "abab") || strings.Contains(out, "171") || !strings.Contains(out, "redacted") {
			t.Errorf("key material printed: %s", out)
		}
	}
}
