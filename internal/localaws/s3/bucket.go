package s3

import (
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tenantstorage/tenantstorage-operator/internal/iampolicy"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/awsreq"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/state"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/world"
)

// headBucket needs s3:ListBucket; its errors have no body.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html
func (s *Service) headBucket(w http.ResponseWriter, req *awsreq.Request, b state.Bucket) *awsreq.Error {
	if !s.allowed(req, b, "s3:ListBucket", world.BucketARN(b.Name), nil) {
		return accessDenied
	}
	w.Header().Set("X-Amz-Request-Id", req.RequestID)
	w.Header().Set("X-Amz-Access-Point-Alias", "false")
	w.WriteHeader(http.StatusOK)
	return nil
}

type listContents struct {
	Key          string `xml:"Key"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
}

type listResult struct {
	XMLName               xml.Name       `xml:"ListBucketResult"`
	Xmlns                 string         `xml:"xmlns,attr"`
	Name                  string         `xml:"Name"`
	Prefix                string         `xml:"Prefix"`
	Delimiter             string         `xml:"Delimiter,omitempty"`
	MaxKeys               int            `xml:"MaxKeys"`
	KeyCount              int            `xml:"KeyCount"`
	IsTruncated           bool           `xml:"IsTruncated"`
	EncodingType          string         `xml:"EncodingType,omitempty"`
	ContinuationToken     string         `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string         `xml:"NextContinuationToken,omitempty"`
	StartAfter            string         `xml:"StartAfter,omitempty"`
	Contents              []listContents `xml:"Contents"`
	CommonPrefixes        []struct {
		Prefix string `xml:"Prefix"`
	} `xml:"CommonPrefixes"`
}

const timeFormat = "2006-01-02T15:04:05.000Z"

// listObjectsV2 is authorized as s3:ListBucket on the bucket with the
// listing parameters as s3:prefix, s3:delimiter and s3:max-keys.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
func (s *Service) listObjectsV2(w http.ResponseWriter, req *awsreq.Request, b state.Bucket) *awsreq.Error {
	q := req.HTTP.URL.Query()
	ctx := iampolicy.Context{}
	for param, key := range map[string]string{"prefix": "s3:prefix", "delimiter": "s3:delimiter", "max-keys": "s3:max-keys"} {
		if q.Has(param) {
			ctx.Set(key, q.Get(param))
		}
	}
	if !s.allowed(req, b, "s3:ListBucket", world.BucketARN(b.Name), ctx) {
		return accessDenied
	}
	maxKeys := 1000
	if q.Has("max-keys") {
		n, err := strconv.Atoi(q.Get("max-keys"))
		if err != nil || n < 0 {
			return awsreq.Errorf(400, "InvalidArgument", "Provided max-keys not an integer or within integer range")
		}
		maxKeys = min(n, 1000)
	}
	prefix, delim := q.Get("prefix"), q.Get("delimiter")
	encode := func(s string) string { return s }
	if et := q.Get("encoding-type"); et == "url" {
		encode = url.QueryEscape
	} else if et != "" {
		return awsreq.Errorf(400, "InvalidArgument", "Invalid Encoding Method specified in Request")
	}
	// The continuation token says where the previous page stopped: after a
	// key ("k") or after a whole common prefix ("p").
	after, afterPrefix := q.Get("start-after"), ""
	if tok := q.Get("continuation-token"); q.Has("continuation-token") {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(raw) < 2 || (raw[0] != 'k' && raw[0] != 'p') {
			return awsreq.Errorf(400, "InvalidArgument", "The continuation token provided is incorrect")
		}
		after = string(raw[1:])
		if raw[0] == 'p' {
			afterPrefix = after
		}
	}
	res := listResult{Xmlns: xmlns, Name: b.Name, Prefix: encode(prefix), Delimiter: encode(delim), MaxKeys: maxKeys,
		ContinuationToken: q.Get("continuation-token"), StartAfter: encode(q.Get("start-after"))}
	if q.Get("encoding-type") == "url" {
		res.EncodingType = "url"
	}
	lastPrefix, last := "", ""
	for _, o := range s.objects.list(b.Name, prefix) {
		if o.Key <= after || (afterPrefix != "" && strings.HasPrefix(o.Key, afterPrefix)) {
			continue
		}
		cp := ""
		if delim != "" {
			if i := strings.Index(o.Key[len(prefix):], delim); i >= 0 {
				cp = o.Key[:len(prefix)+i+len(delim)]
			}
		}
		if cp != "" && cp == lastPrefix {
			continue // rolled up into the common prefix already listed
		}
		if res.KeyCount == maxKeys {
			res.IsTruncated = true
			break
		}
		res.KeyCount++
		if cp != "" {
			lastPrefix, last = cp, "p"+cp
			res.CommonPrefixes = append(res.CommonPrefixes, struct {
				Prefix string `xml:"Prefix"`
			}{encode(cp)})
			continue
		}
		last = "k" + o.Key
		res.Contents = append(res.Contents, listContents{Key: encode(o.Key), LastModified: o.V.LastModified.UTC().Format(timeFormat),
			ETag: o.V.ETag, Size: o.V.Size, StorageClass: "STANDARD"})
	}
	if res.IsTruncated {
		res.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(last))
	}
	return writeXML(w, req, res)
}

// getBucketEncryption needs s3:GetEncryptionConfiguration, which the seeds'
// permission lists do not grant.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketEncryption.html
func (s *Service) getBucketEncryption(w http.ResponseWriter, req *awsreq.Request, b state.Bucket) *awsreq.Error {
	if !s.allowed(req, b, "s3:GetEncryptionConfiguration", world.BucketARN(b.Name), nil) {
		return accessDenied
	}
	type byDefault struct {
		SSEAlgorithm   string `xml:"SSEAlgorithm"`
		KMSMasterKeyID string `xml:"KMSMasterKeyID,omitempty"`
	}
	var out struct {
		XMLName xml.Name `xml:"ServerSideEncryptionConfiguration"`
		Xmlns   string   `xml:"xmlns,attr"`
		Rule    struct {
			ApplyServerSideEncryptionByDefault byDefault `xml:"ApplyServerSideEncryptionByDefault"`
			BucketKeyEnabled                   bool      `xml:"BucketKeyEnabled"`
		} `xml:"Rule"`
	}
	out.Xmlns = xmlns
	out.Rule.ApplyServerSideEncryptionByDefault = byDefault{b.Encryption.Type, b.Encryption.KMSKeyID}
	out.Rule.BucketKeyEnabled = b.Encryption.BucketKeyEnabled
	return writeXML(w, req, out)
}

// getBucketVersioning needs s3:GetBucketVersioning; a bucket that never
// had versioning answers an empty configuration.
func (s *Service) getBucketVersioning(w http.ResponseWriter, req *awsreq.Request, b state.Bucket) *awsreq.Error {
	if !s.allowed(req, b, "s3:GetBucketVersioning", world.BucketARN(b.Name), nil) {
		return accessDenied
	}
	return writeXML(w, req, struct {
		XMLName xml.Name `xml:"VersioningConfiguration"`
		Xmlns   string   `xml:"xmlns,attr"`
		Status  string   `xml:"Status,omitempty"`
	}{Xmlns: xmlns, Status: b.Versioning})
}

// getPublicAccessBlock needs s3:GetBucketPublicAccessBlock.
func (s *Service) getPublicAccessBlock(w http.ResponseWriter, req *awsreq.Request, b state.Bucket) *awsreq.Error {
	if !s.allowed(req, b, "s3:GetBucketPublicAccessBlock", world.BucketARN(b.Name), nil) {
		return accessDenied
	}
	p := b.PublicAccessBlock
	if p == nil {
		return &awsreq.Error{Status: 404, Code: "NoSuchPublicAccessBlockConfiguration",
			Message: "The public access block configuration was not found", Fields: [][2]string{{"BucketName", b.Name}}}
	}
	return writeXML(w, req, struct {
		XMLName               xml.Name `xml:"PublicAccessBlockConfiguration"`
		Xmlns                 string   `xml:"xmlns,attr"`
		BlockPublicAcls       bool     `xml:"BlockPublicAcls"`
		IgnorePublicAcls      bool     `xml:"IgnorePublicAcls"`
		BlockPublicPolicy     bool     `xml:"BlockPublicPolicy"`
		RestrictPublicBuckets bool     `xml:"RestrictPublicBuckets"`
	}{xml.Name{}, xmlns, p.BlockPublicAcls, p.IgnorePublicAcls, p.BlockPublicPolicy, p.RestrictPublicBuckets})
}

// lastModified formats times for Last-Modified headers.
func lastModified(t time.Time) string { return t.UTC().Format(http.TimeFormat) }
