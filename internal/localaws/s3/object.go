package s3

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"hash/crc64"
	"net/http"
	"strconv"
	"strings"

	"github.com/tenantstorage/tenantstorage-operator/internal/iampolicy"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/authz"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/awsreq"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/kms"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/state"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/world"
)

// Request and response headers of server-side encryption.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/specifying-kms-encryption.html
const (
	hSSE       = "X-Amz-Server-Side-Encryption"
	hSSEKey    = "X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"
	hSSEBucket = "X-Amz-Server-Side-Encryption-Bucket-Key-Enabled"
	hSSECtx    = "X-Amz-Server-Side-Encryption-Context"
)

// checksums are the algorithms of x-amz-checksum-* headers and trailers.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
var checksums = map[string]struct {
	name string
	sum  func([]byte) []byte
}{
	"X-Amz-Checksum-Crc32": {"CRC32", func(b []byte) []byte { return binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(b)) }},
	"X-Amz-Checksum-Crc32c": {"CRC32C", func(b []byte) []byte {
		return binary.BigEndian.AppendUint32(nil, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
	}},
	"X-Amz-Checksum-Crc64nvme": {"CRC64NVME", func(b []byte) []byte {
		// CRC-64/NVME: polynomial 0xad93d23594c93659, given bit-reversed as crc64 wants.
		return binary.BigEndian.AppendUint64(nil, crc64.Checksum(b, crc64nvme))
	}},
	"X-Amz-Checksum-Sha1":   {"SHA1", func(b []byte) []byte { s := sha1.Sum(b); return s[:] }},
	"X-Amz-Checksum-Sha256": {"SHA256", func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }},
}

var crc64nvme = crc64.MakeTable(0x9a6c9329ac4bc9b5)

// kmsError turns KMS's answer to S3 into S3's: access denials stay
// AccessDenied (with KMS's explanation), other KMS errors keep their code
// behind a "KMS." prefix.
func kmsError(e *awsreq.Error) *awsreq.Error {
	if e.Code == "AccessDeniedException" {
		return awsreq.Errorf(403, "AccessDenied", e.Message)
	}
	status := e.Status
	if status < 500 {
		status = 400
	}
	return awsreq.Errorf(status, "KMS."+e.Code, e.Message)
}

// kmsEnv is the request as KMS sees it when S3 calls for the caller: in
// the bucket's region, via an AWS service, without the client's address.
func kmsEnv(req *awsreq.Request, b state.Bucket) (authz.Env, string) {
	env := req.Env
	env.Region, env.SourceIP, env.ViaService = b.Region, "", true
	return env, "s3." + b.Region + ".amazonaws.com"
}

func objectCtx(req *awsreq.Request) iampolicy.Context {
	ctx := iampolicy.Context{}
	if v := req.HTTP.URL.Query().Get("versionId"); v != "" {
		ctx.Set("s3:versionid", v)
	}
	return ctx
}

// putObject stores an object under the bucket's default encryption unless
// the request asks for another. With SSE-KMS, S3 asks KMS for a data key as
// the caller, so the caller needs kms:GenerateDataKey on the key too.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
func (s *Service) putObject(w http.ResponseWriter, req *awsreq.Request, b state.Bucket) *awsreq.Error {
	h := req.HTTP.Header
	ctx := objectCtx(req)
	// The condition keys reflect the request headers only: a bucket default
	// does not satisfy a policy that requires the header.
	if v := h.Get(hSSE); v != "" {
		ctx.Set("s3:x-amz-server-side-encryption", v)
	}
	if v := h.Get(hSSEKey); v != "" {
		ctx.Set("s3:x-amz-server-side-encryption-aws-kms-key-id", v)
	}
	if !s.allowed(req, b, "s3:PutObject", world.ObjectARN(b.Name, req.Key), ctx) {
		return accessDenied
	}
	if sc := h.Get("X-Amz-Storage-Class"); sc != "" && sc != "STANDARD" {
		return awsreq.Errorf(501, "NotImplemented", "localaws stores objects in the STANDARD storage class only.")
	}
	v := &version{ContentType: h.Get("Content-Type"), LastModified: req.Env.Now, Size: int64(len(req.Body)), Metadata: map[string]string{}}
	if v.ContentType == "" {
		v.ContentType = "binary/octet-stream"
	}
	for name, vals := range h {
		if meta, ok := strings.CutPrefix(name, "X-Amz-Meta-"); ok {
			v.Metadata[strings.ToLower(meta)] = vals[0]
		}
	}
	if e := checkIntegrity(req, v); e != nil {
		return e
	}
	if e := s.encrypt(req, b, v); e != nil {
		return e
	}
	s.objects.put(b.Name, req.Key, v, b.Versioning)
	w.Header().Set("ETag", v.ETag)
	if b.Versioning != "" {
		w.Header().Set("X-Amz-Version-Id", v.ID)
	}
	if v.ChecksumHeader != "" {
		w.Header().Set(v.ChecksumHeader, v.Checksum)
		w.Header().Set("X-Amz-Checksum-Type", "FULL_OBJECT")
	}
	sseHeaders(w, v)
	w.Header().Set("X-Amz-Request-Id", req.RequestID)
	w.WriteHeader(http.StatusOK)
	return nil
}

// checkIntegrity verifies Content-MD5 and an x-amz-checksum-* header or
// trailer, and keeps the checksum to return on GetObject.
func checkIntegrity(req *awsreq.Request, v *version) *awsreq.Error {
	h := req.HTTP.Header
	if md := h.Get("Content-Md5"); md != "" {
		want, err := base64.StdEncoding.DecodeString(md)
		if err != nil || len(want) != md5.Size {
			return awsreq.Errorf(400, "InvalidDigest", "The Content-MD5 you specified is not valid.")
		}
		if got := md5.Sum(req.Body); !bytes.Equal(got[:], want) {
			return awsreq.Errorf(400, "BadDigest", "The Content-MD5 you specified did not match what we received.")
		}
	}
	for header, alg := range checksums {
		val := h.Get(header)
		if val == "" {
			val = req.Trailers.Get(header)
		}
		if val == "" {
			continue
		}
		if got := base64.StdEncoding.EncodeToString(alg.sum(req.Body)); got != val {
			return awsreq.Errorf(400, "BadDigest", fmt.Sprintf("The %s you specified did not match the calculated checksum.", alg.name))
		}
		v.ChecksumHeader, v.Checksum = header, val
	}
	return nil
}

// encrypt applies SSE-S3 or SSE-KMS to v's data.
func (s *Service) encrypt(req *awsreq.Request, b state.Bucket, v *version) *awsreq.Error {
	h := req.HTTP.Header
	sse, keyID := h.Get(hSSE), h.Get(hSSEKey)
	bucketKey := b.Encryption.BucketKeyEnabled
	if bk := h.Get(hSSEBucket); bk != "" {
		bucketKey = strings.EqualFold(bk, "true")
	}
	switch {
	case sse == "":
		sse = b.Encryption.Type
		if sse == "aws:kms" {
			keyID = b.Encryption.KMSKeyID
		}
	case sse == "aws:kms" && keyID == "" && b.Encryption.Type == "aws:kms":
		keyID = b.Encryption.KMSKeyID
	case sse == "aws:kms" && keyID == "":
		return awsreq.Errorf(501, "NotImplemented", "localaws does not emulate the AWS managed key aws/s3; name a key in x-amz-server-side-encryption-aws-kms-key-id.")
	case sse == "aws:kms:dsse":
		return awsreq.Errorf(501, "NotImplemented", "localaws does not emulate DSSE-KMS.")
	case sse != "AES256" && sse != "aws:kms":
		return awsreq.Errorf(400, "InvalidArgument", "The encryption method specified is not supported")
	}
	if keyID != "" && sse != "aws:kms" {
		return awsreq.Errorf(400, "InvalidArgument", "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms")
	}
	v.SSE = sse
	if sse == "AES256" {
		data, err := kms.Seal(s.sseS3Key, req.Body)
		if err != nil {
			return awsreq.Errorf(500, "InternalError", err.Error())
		}
		v.Data = data
		sum := md5.Sum(req.Body)
		v.ETag = `"` + hex.EncodeToString(sum[:]) + `"`
		return nil
	}
	// S3 binds the data key to the object (or, with a bucket key, the
	// bucket) through the encryption context aws:s3:arn.
	// https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#encryption-context
	encCtx := map[string]string{}
	if raw := h.Get(hSSECtx); raw != "" {
		js, err := base64.StdEncoding.DecodeString(raw)
		if err != nil || json.Unmarshal(js, &encCtx) != nil {
			return awsreq.Errorf(400, "InvalidArgument", "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map")
		}
	}
	encCtx["aws:s3:arn"] = world.ObjectARN(b.Name, req.Key)
	if bucketKey {
		encCtx["aws:s3:arn"] = world.BucketARN(b.Name)
	}
	env, via := kmsEnv(req, b)
	dataKey, blob, keyARN, e := s.kms.GenerateDataKeyVia(req.Principal, env, via, keyID, encCtx)
	if e != nil {
		return kmsError(e)
	}
	data, err := kms.Seal(dataKey, req.Body)
	if err != nil {
		return awsreq.Errorf(500, "InternalError", err.Error())
	}
	// An SSE-KMS object's ETag is not the MD5 of its content.
	sum := md5.Sum(data)
	v.Data, v.ETag, v.KMSKeyARN, v.BucketKey, v.EncCtx, v.DataKeyBlob = data, `"`+hex.EncodeToString(sum[:])+`"`, keyARN, bucketKey, encCtx, blob
	return nil
}

func sseHeaders(w http.ResponseWriter, v *version) {
	w.Header().Set(hSSE, v.SSE)
	if v.SSE == "aws:kms" {
		w.Header().Set(hSSEKey, v.KMSKeyARN)
		if v.BucketKey {
			w.Header().Set(hSSEBucket, "true")
		}
	}
}

// versionAction picks the action for an object request: the *Version
// action when a versionId is given.
func versionAction(req *awsreq.Request, b state.Bucket, plain, versioned string) (string, string, *awsreq.Error) {
	q := req.HTTP.URL.Query()
	if !q.Has("versionId") {
		return plain, "", nil
	}
	id := q.Get("versionId")
	if b.Versioning == "" && id != "null" {
		return "", "", awsreq.Errorf(400, "InvalidArgument", "Invalid version id specified")
	}
	return versioned, id, nil
}

// getObject serves GetObject and HeadObject. Only GetObject decrypts, so
// only it needs kms:Decrypt on an SSE-KMS object.
func (s *Service) getObject(w http.ResponseWriter, req *awsreq.Request, b state.Bucket) *awsreq.Error {
	action, versionID, e := versionAction(req, b, "s3:GetObject", "s3:GetObjectVersion")
	if e != nil {
		return e
	}
	if !s.allowed(req, b, action, world.ObjectARN(b.Name, req.Key), objectCtx(req)) {
		return accessDenied
	}
	v, ok := s.objects.get(b.Name, req.Key, versionID)
	switch {
	case !ok && versionID != "":
		return &awsreq.Error{Status: 404, Code: "NoSuchVersion", Message: "The specified version does not exist.",
			Fields: [][2]string{{"Key", req.Key}, {"VersionId", versionID}}}
	case !ok:
		return s.missing(req, b)
	case v.DeleteMarker:
		w.Header().Set("X-Amz-Delete-Marker", "true")
		w.Header().Set("X-Amz-Version-Id", v.ID)
		if versionID != "" {
			return awsreq.Errorf(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
		}
		return s.missing(req, b)
	}
	body := []byte(nil)
	if req.Operation == "GetObject" {
		if body, e = s.decrypt(req, b, v); e != nil {
			return e
		}
	}
	hd := w.Header()
	hd.Set("Content-Type", v.ContentType)
	hd.Set("ETag", v.ETag)
	hd.Set("Last-Modified", lastModified(v.LastModified))
	hd.Set("Accept-Ranges", "bytes")
	hd.Set("X-Amz-Request-Id", req.RequestID)
	if b.Versioning != "" {
		hd.Set("X-Amz-Version-Id", v.ID)
	}
	for k, val := range v.Metadata {
		hd.Set("X-Amz-Meta-"+k, val)
	}
	sseHeaders(w, v)
	start, end, partial, e := byteRange(req.HTTP.Header.Get("Range"), v.Size)
	if e != nil {
		hd.Set("Content-Range", "bytes */"+strconv.FormatInt(v.Size, 10))
		return e
	}
	status := http.StatusOK
	if partial {
		status = http.StatusPartialContent
		hd.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end-1, v.Size))
	} else if v.ChecksumHeader != "" && strings.EqualFold(req.HTTP.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") {
		hd.Set(v.ChecksumHeader, v.Checksum)
		hd.Set("X-Amz-Checksum-Type", "FULL_OBJECT")
	}
	hd.Set("Content-Length", strconv.FormatInt(end-start, 10))
	w.WriteHeader(status)
	if req.Operation == "GetObject" {
		// The status is sent, so there is no error left to answer with:
		// a failed write means the client has gone.
		_, _ = w.Write(body[start:end])
	}
	return nil
}

// decrypt recovers an object's content; for SSE-KMS through KMS as the
// caller, so a denied, disabled or deleted key fails the GetObject.
func (s *Service) decrypt(req *awsreq.Request, b state.Bucket, v *version) ([]byte, *awsreq.Error) {
	key := s.sseS3Key
	if v.SSE == "aws:kms" {
		env, via := kmsEnv(req, b)
		dataKey, e := s.kms.DecryptVia(req.Principal, env, via, v.DataKeyBlob, v.EncCtx)
		if e != nil {
			return nil, kmsError(e)
		}
		key = dataKey
	}
	body, err := kms.Open(key, v.Data)
	if err != nil {
		return nil, awsreq.Errorf(500, "InternalError", "stored object does not decrypt: "+err.Error())
	}
	return body, nil
}

// byteRange parses a single-range Range header ("bytes=a-b", "bytes=a-",
// "bytes=-n"); anything else S3 ignores and serves the whole object.
// https://www.rfc-editor.org/rfc/rfc9110#name-range
func byteRange(h string, size int64) (start, end int64, partial bool, e *awsreq.Error) {
	spec, ok := strings.CutPrefix(h, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return 0, size, false, nil
	}
	first, last, ok := strings.Cut(spec, "-")
	if !ok {
		return 0, size, false, nil
	}
	unsatisfiable := &awsreq.Error{Status: 416, Code: "InvalidRange", Message: "The requested range is not satisfiable",
		Fields: [][2]string{{"RangeRequested", h}, {"ActualObjectSize", strconv.FormatInt(size, 10)}}}
	if first == "" {
		n, ok := rangeBound(last)
		if !ok || n <= 0 {
			return 0, size, false, nil
		}
		if size == 0 {
			return 0, 0, false, unsatisfiable
		}
		return max(size-n, 0), size, true, nil
	}
	a, ok := rangeBound(first)
	if !ok {
		return 0, size, false, nil
	}
	z := size - 1
	if last != "" {
		if z, ok = rangeBound(last); !ok || z < a {
			return 0, size, false, nil
		}
	}
	if a >= size {
		return 0, 0, false, unsatisfiable
	}
	return a, min(z, size-1) + 1, true, nil
}

// rangeBound parses a number of a Range header; ok is false when it is not
// one, which makes the header one to ignore rather than an error.
func rangeBound(s string) (n int64, ok bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// deleteObject removes an object or, in a versioned bucket, adds a delete
// marker; with versionId it removes that version for good. Deleting what
// does not exist succeeds.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html
func (s *Service) deleteObject(w http.ResponseWriter, req *awsreq.Request, b state.Bucket) *awsreq.Error {
	action, versionID, e := versionAction(req, b, "s3:DeleteObject", "s3:DeleteObjectVersion")
	if e != nil {
		return e
	}
	if !s.allowed(req, b, action, world.ObjectARN(b.Name, req.Key), objectCtx(req)) {
		return accessDenied
	}
	hd := w.Header()
	hd.Set("X-Amz-Request-Id", req.RequestID)
	switch {
	case versionID != "":
		if v, ok := s.objects.deleteVersion(b.Name, req.Key, versionID); ok {
			hd.Set("X-Amz-Version-Id", v.ID)
			if v.DeleteMarker {
				hd.Set("X-Amz-Delete-Marker", "true")
			}
		}
	case b.Versioning == "":
		s.objects.remove(b.Name, req.Key)
	default:
		marker := &version{DeleteMarker: true, LastModified: req.Env.Now}
		s.objects.put(b.Name, req.Key, marker, b.Versioning)
		hd.Set("X-Amz-Delete-Marker", "true")
		hd.Set("X-Amz-Version-Id", marker.ID)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// restoreObject only restores archived objects; localaws stores STANDARD
// objects only, so an authorized restore of an existing object answers
// InvalidObjectState, as S3 does for a STANDARD object.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_RestoreObject.html
func (s *Service) restoreObject(w http.ResponseWriter, req *awsreq.Request, b state.Bucket) *awsreq.Error {
	_, versionID, e := versionAction(req, b, "", "")
	if e != nil {
		return e
	}
	if !s.allowed(req, b, "s3:RestoreObject", world.ObjectARN(b.Name, req.Key), objectCtx(req)) {
		return accessDenied
	}
	v, ok := s.objects.get(b.Name, req.Key, versionID)
	if !ok || v.DeleteMarker {
		return s.missing(req, b)
	}
	return &awsreq.Error{Status: 403, Code: "InvalidObjectState", Message: "Restore is not allowed for the object's current storage class",
		Fields: [][2]string{{"StorageClass", "STANDARD"}}}
}
