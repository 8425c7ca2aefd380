package s3

import (
	"crypto/rand"
	"encoding/base64"
	"slices"
	"strings"
	"sync"
	"time"
)

// version is one stored object version (or delete marker). Data is always
// ciphertext: every S3 object is encrypted at rest.
type version struct {
	ID           string // "null" for objects written without versioning
	DeleteMarker bool
	Data         []byte
	Size         int64
	ETag         string
	LastModified time.Time
	ContentType  string
	Metadata     map[string]string // x-amz-meta-* (lower-case names, prefix removed)

	SSE         string // "AES256" or "aws:kms"
	KMSKeyARN   string
	BucketKey   bool
	EncCtx      map[string]string // the KMS encryption context S3 used
	DataKeyBlob []byte            // the data key, encrypted under KMSKeyARN

	ChecksumHeader, Checksum string // e.g. "X-Amz-Checksum-Crc32", base64 value
}

// objectStore keeps every bucket's versions, oldest first per key.
type objectStore struct {
	mu      sync.RWMutex
	buckets map[string]map[string][]*version
}

func newObjectStore() *objectStore {
	return &objectStore{buckets: map[string]map[string][]*version{}}
}

func newVersionID() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// put stores v according to the bucket's versioning state.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html
func (o *objectStore) put(bucket, key string, v *version, versioning string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	keys := o.buckets[bucket]
	if keys == nil {
		keys = map[string][]*version{}
		o.buckets[bucket] = keys
	}
	switch versioning {
	case "Enabled":
		v.ID = newVersionID()
		keys[key] = append(keys[key], v)
	case "Suspended":
		// A suspended bucket overwrites the "null" version and keeps the rest.
		v.ID = "null"
		keys[key] = append(slices.DeleteFunc(slices.Clone(keys[key]), func(x *version) bool { return x.ID == "null" }), v)
	default:
		v.ID = "null"
		keys[key] = []*version{v}
	}
}

// get returns the latest version (versionID "") or the named one.
func (o *objectStore) get(bucket, key, versionID string) (*version, bool) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	vs := o.buckets[bucket][key]
	if len(vs) == 0 {
		return nil, false
	}
	if versionID == "" {
		return vs[len(vs)-1], true
	}
	for _, v := range vs {
		if v.ID == versionID {
			return v, true
		}
	}
	return nil, false
}

// deleteVersion permanently removes one version, returning it.
func (o *objectStore) deleteVersion(bucket, key, versionID string) (*version, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	vs := o.buckets[bucket][key]
	for i, v := range vs {
		if v.ID == versionID {
			rest := slices.Delete(slices.Clone(vs), i, i+1)
			if len(rest) == 0 {
				delete(o.buckets[bucket], key)
			} else {
				o.buckets[bucket][key] = rest
			}
			return v, true
		}
	}
	return nil, false
}

// remove deletes an unversioned object.
func (o *objectStore) remove(bucket, key string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.buckets[bucket], key)
}

// listed is a key whose latest version is an object (not a delete marker).
type listed struct {
	Key string
	V   *version
}

// list returns the live keys starting with prefix, sorted by key bytes as
// S3 lists them.
func (o *objectStore) list(bucket, prefix string) []listed {
	o.mu.RLock()
	defer o.mu.RUnlock()
	var out []listed
	for k, vs := range o.buckets[bucket] {
		if latest := vs[len(vs)-1]; strings.HasPrefix(k, prefix) && !latest.DeleteMarker {
			out = append(out, listed{k, latest})
		}
	}
	slices.SortFunc(out, func(a, b listed) int { return strings.Compare(a.Key, b.Key) })
	return out
}

func (o *objectStore) drop(bucket string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.buckets, bucket)
}
