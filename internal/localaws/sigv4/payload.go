package sigv4

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Values of X-Amz-Content-Sha256 other than a hex digest.
// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
const (
	UnsignedPayload                 = "UNSIGNED-PAYLOAD"
	StreamingUnsignedPayloadTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
)

// MaxBody bounds what one request may upload: objects live in memory.
const MaxBody = 256 << 20

// Payload is a request body read and decoded for verification.
type Payload struct {
	Body []byte
	// SignedHash is the payload hash of the canonical request.
	SignedHash string
	// Trailers holds the checksums an aws-chunked body carried after its
	// last chunk (x-amz-checksum-crc32 and friends).
	Trailers http.Header
	mismatch bool
}

// ReadPayload reads the body of r. For S3 it honours X-Amz-Content-Sha256:
// a hex digest (checked later by CheckContent, after the signature, as S3
// does), UNSIGNED-PAYLOAD, or STREAMING-UNSIGNED-PAYLOAD-TRAILER (an
// aws-chunked body whose checksum follows the data). Other services sign
// the SHA-256 of the body itself.
func ReadPayload(r *http.Request, service string) (*Payload, *Error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return nil, fail(MalformedPayload, "reading body: %v", err)
	}
	if len(body) > MaxBody {
		return nil, fail(PayloadTooLarge, "body exceeds %d bytes", MaxBody)
	}
	sum := sha256.Sum256(body)
	actual := hex.EncodeToString(sum[:])
	if service != "s3" {
		return &Payload{Body: body, SignedHash: actual}, nil
	}
	declared := r.Header.Get("X-Amz-Content-Sha256")
	switch {
	case declared == "":
		return nil, fail(MissingContentSHA256, "S3 requires X-Amz-Content-Sha256")
	case declared == UnsignedPayload:
		return &Payload{Body: body, SignedHash: declared}, nil
	case declared == StreamingUnsignedPayloadTrailer:
		data, trailers, err := decodeAWSChunked(body)
		if err != nil {
			return nil, fail(MalformedPayload, "aws-chunked body: %v", err)
		}
		if n := r.Header.Get("X-Amz-Decoded-Content-Length"); n != "" && n != strconv.Itoa(len(data)) {
			return nil, fail(MalformedPayload, "decoded %d bytes, X-Amz-Decoded-Content-Length says %s", len(data), n)
		}
		return &Payload{Body: data, SignedHash: declared, Trailers: trailers}, nil
	case strings.HasPrefix(declared, "STREAMING-"):
		// Signed chunks (STREAMING-AWS4-HMAC-SHA256-PAYLOAD...) need chunk
		// signature verification; the Go SDK never sends them.
		return nil, fail(UnsupportedPayload, "X-Amz-Content-Sha256 %s is not supported", declared)
	case len(declared) != 64:
		return nil, fail(MalformedPayload, "X-Amz-Content-Sha256 %q is not a SHA-256 digest", declared)
	}
	return &Payload{Body: body, SignedHash: declared, mismatch: !strings.EqualFold(declared, actual)}, nil
}

// CheckContent reports a body that does not hash to the declared digest.
// S3 checks this only once the signature is known to be good.
func (p *Payload) CheckContent() *Error {
	if p.mismatch {
		return fail(ContentMismatch, "body does not match X-Amz-Content-Sha256")
	}
	return nil
}

// decodeAWSChunked undoes the unsigned aws-chunked encoding:
//
//	<hex size>\r\n<data>\r\n ... 0\r\n<trailer>:<value>\r\n ... \r\n
//
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
func decodeAWSChunked(b []byte) ([]byte, http.Header, error) {
	br := bufio.NewReader(bytes.NewReader(b))
	var out bytes.Buffer
	for {
		line, err := readLine(br)
		if err != nil {
			return nil, nil, err
		}
		sizeHex, _, _ := strings.Cut(line, ";")
		size, err := strconv.ParseInt(sizeHex, 16, 64)
		if err != nil || size < 0 {
			return nil, nil, errors.New("bad chunk size " + strconv.Quote(line))
		}
		if size == 0 {
			break
		}
		if _, err := io.CopyN(&out, br, size); err != nil {
			return nil, nil, errors.New("chunk shorter than its size")
		}
		if crlf, err := readLine(br); err != nil || crlf != "" {
			return nil, nil, errors.New("chunk not followed by CRLF")
		}
	}
	trailers := http.Header{}
	for {
		line, err := readLine(br)
		if err != nil {
			return nil, nil, err
		}
		if line == "" {
			break
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return nil, nil, errors.New("bad trailer " + strconv.Quote(line))
		}
		trailers.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, nil, errors.New("data after the final CRLF")
	}
	return out.Bytes(), trailers, nil
}

func readLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return "", errors.New("truncated")
	}
	if !strings.HasSuffix(line, "\r\n") {
		return "", errors.New("line not ended by CRLF")
	}
	return strings.TrimSuffix(line, "\r\n"), nil
}
