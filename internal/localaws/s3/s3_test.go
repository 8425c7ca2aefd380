package s3

import (
	"encoding/base64"
	"testing"
)

func TestByteRange(t *testing.T) {
	for _, c := range []struct {
		h          string
		start, end int64
		partial    bool
		err        bool
	}{
		{"", 0, 10, false, false},
		{"bytes=2-4", 2, 5, true, false},
		{"bytes=8-", 8, 10, true, false},
		{"bytes=7-100", 7, 10, true, false},
		{"bytes=-3", 7, 10, true, false},
		{"bytes=-30", 0, 10, true, false},
		{"bytes=10-", 0, 0, false, true},
		{"bytes=1-2,4-5", 0, 10, false, false}, // multiple ranges: whole object
		{"bytes=5-2", 0, 10, false, false},
		{"items=1-2", 0, 10, false, false},
	} {
		s, e, p, err := byteRange(c.h, 10)
		if s != c.start || e != c.end || p != c.partial || (err != nil) != c.err {
			t.Errorf("%q: %d %d %v %v", c.h, s, e, p, err)
		}
	}
}

// Known check values for "123456789" from the CRC catalogue.
func TestChecksums(t *testing.T) {
	for header, want := range map[string]string{
		"X-Amz-Checksum-Crc32":     "cbf43926",
		"X-Amz-Checksum-Crc32c":    "e3069283",
		"X-Amz-Checksum-Crc64nvme": "ae8b14860a799888",
	} {
		got := checksums[header].sum([]byte("123456789"))
		if hex := base64.StdEncoding.EncodeToString(got); hexOf(got) != want {
			t.Errorf("%s = %s (%s), want %s", header, hexOf(got), hex, want)
		}
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}
