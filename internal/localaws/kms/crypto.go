package kms

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"maps"
	"slices"
)

// Ciphertext blobs are this emulator's own format, bound like KMS's to the
// key and the encryption context (the context is authenticated data, so a
// different context fails to decrypt):
//
//	"LAK1" | uint16 len(keyARN) | keyARN | 12-byte nonce | AES-256-GCM sealed plaintext
//
// https://docs.aws.amazon.com/kms/latest/developerguide/encrypt_context.html
var magic = []byte("LAK1")

var errCiphertext = errors.New("invalid ciphertext")

func seal(material []byte, keyARN string, encCtx map[string]string, plaintext []byte) ([]byte, error) {
	aead, err := newGCM(material)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Write(magic)
	out.Write(binary.BigEndian.AppendUint16(nil, uint16(len(keyARN))))
	out.WriteString(keyARN)
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out.Write(nonce)
	return aead.Seal(out.Bytes(), nonce, plaintext, aad(keyARN, encCtx)), nil
}

// blobKey returns the key ARN a ciphertext blob was made with.
func blobKey(blob []byte) (string, error) {
	if len(blob) < len(magic)+2 || !bytes.Equal(blob[:len(magic)], magic) {
		return "", errCiphertext
	}
	n := int(binary.BigEndian.Uint16(blob[len(magic):]))
	if len(blob) < len(magic)+2+n {
		return "", errCiphertext
	}
	return string(blob[len(magic)+2 : len(magic)+2+n]), nil
}

func open(material []byte, blob []byte, encCtx map[string]string) ([]byte, error) {
	keyARN, err := blobKey(blob)
	if err != nil {
		return nil, err
	}
	aead, err := newGCM(material)
	if err != nil {
		return nil, err
	}
	rest := blob[len(magic)+2+len(keyARN):]
	if len(rest) < aead.NonceSize()+aead.Overhead() {
		return nil, errCiphertext
	}
	plain, err := aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], aad(keyARN, encCtx))
	if err != nil {
		return nil, errCiphertext
	}
	return plain, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// aad encodes the key and the encryption context unambiguously; the order
// of context pairs does not matter, as in KMS.
func aad(keyARN string, encCtx map[string]string) []byte {
	var b bytes.Buffer
	put := func(s string) {
		b.Write(binary.BigEndian.AppendUint32(nil, uint32(len(s))))
		b.WriteString(s)
	}
	put(keyARN)
	for _, k := range slices.Sorted(maps.Keys(encCtx)) {
		put(k)
		put(encCtx[k])
	}
	return b.Bytes()
}

// Seal encrypts with a raw AES-256 data key (S3 objects under a KMS data
// key or the SSE-S3 key), nonce first.
func Seal(dataKey, plaintext []byte) ([]byte, error) {
	aead, err := newGCM(dataKey)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, plaintext, nil), nil
}

// Open reverses Seal.
func Open(dataKey, sealed []byte) ([]byte, error) {
	aead, err := newGCM(dataKey)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize() {
		return nil, errCiphertext
	}
	return aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], nil)
}

func randRead(b []byte) error {
	_, err := rand.Read(b)
	return err
}
