package kms

import (
	"bytes"
	"testing"
)

func TestSealBindsKeyAndContext(t *testing.T) {
	material := bytes.Repeat([]byte{7}, 32)
	other := bytes.Repeat([]byte{8}, 32)
	ctx := map[string]string{"a": "1", "b": "2"}
	blob, err := seal(material, "arn:k1", ctx, []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	if arn, err := blobKey(blob); err != nil || arn != "arn:k1" {
		t.Fatalf("blob key %q %v", arn, err)
	}
	if p, err := open(material, blob, map[string]string{"b": "2", "a": "1"}); err != nil || string(p) != "secret" {
		t.Fatalf("open: %q %v", p, err)
	}
	for name, try := range map[string]func() error{
		"context":  func() error { _, err := open(material, blob, map[string]string{"a": "1"}); return err },
		"material": func() error { _, err := open(other, blob, ctx); return err },
		"tampered": func() error {
			bad := bytes.Clone(blob)
			bad[len(bad)-1] ^= 1
			_, err := open(material, bad, ctx)
			return err
		},
		"garbage": func() error { _, err := open(material, []byte("LAK1"), ctx); return err },
	} {
		if try() == nil {
			t.Errorf("wrong %s decrypted", name)
		}
	}
}
