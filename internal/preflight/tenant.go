// Package preflight runs the operator's checks from a laptop, with no
// cluster: it reads a TenantStorage from a YAML file (as in config/samples),
// verifies it against AWS exactly as the reconciler would, and prints what
// each check and action found. A customer's setup can so be tried before
// the resource is applied.
package preflight

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
)

// DefaultS3Actions is the CRD's default for spec.s3Actions (the
// +kubebuilder:default marker), which the API server would apply.
var DefaultS3Actions = []storagev1alpha1.S3Action{
	storagev1alpha1.S3GetObject, storagev1alpha1.S3PutObject, storagev1alpha1.S3RestoreObject,
	storagev1alpha1.S3ListBucket, storagev1alpha1.S3DeleteObject,
}

// DefaultUID names the probe object of a tenant read from a file, which
// has no UID: the operator's own probe for the same tenant is elsewhere.
const DefaultUID = "preflight"

// LoadFile reads the TenantStorage in path. A file with several documents
// (a kustomize bundle) must hold exactly one TenantStorage, or name picks
// one. Unknown fields are errors: a misspelt "bucketARN" must not silently
// become no bucket.
func LoadFile(path, name string) (*storagev1alpha1.TenantStorage, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ts, err := Load(bytes.NewReader(b), name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ts, nil
}

// Load reads one TenantStorage from YAML or JSON, as LoadFile does.
func Load(r io.Reader, name string) (*storagev1alpha1.TenantStorage, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(r))
	var found []*storagev1alpha1.TenantStorage
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return nil, err
		}
		if meta.Kind != "TenantStorage" {
			continue
		}
		if meta.APIVersion != storagev1alpha1.GroupVersion.String() {
			return nil, fmt.Errorf("TenantStorage has apiVersion %q; this operator reads %s", meta.APIVersion, storagev1alpha1.GroupVersion)
		}
		ts, err := decodeStrict(doc)
		if err != nil {
			return nil, err
		}
		if name == "" || ts.Name == name {
			found = append(found, ts)
		}
	}
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(found) == 0 && name != "":
		return nil, fmt.Errorf("no TenantStorage named %q", name)
	case len(found) == 0:
		return nil, errors.New("no TenantStorage (apiVersion " + storagev1alpha1.GroupVersion.String() + ", kind TenantStorage)")
	}
	return nil, fmt.Errorf("%d TenantStorages: pick one by name", len(found))
}

// decoder decodes like the API server: field names are case-sensitive
// (encoding/json would take "bucketARN" for bucketArn, which the API server
// drops as unknown), unknown and duplicate fields are errors.
var decoder = func() *kjson.Serializer {
	scheme := runtime.NewScheme()
	utilruntime.Must(storagev1alpha1.AddToScheme(scheme))
	return kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme, kjson.SerializerOptions{Yaml: true, Strict: true})
}()

func decodeStrict(doc []byte) (*storagev1alpha1.TenantStorage, error) {
	var ts storagev1alpha1.TenantStorage
	if _, _, err := decoder.Decode(doc, nil, &ts); err != nil {
		return nil, fmt.Errorf("TenantStorage %q: %w", ts.Name, err)
	}
	return &ts, nil
}

// Default applies the CRD's defaults the checks depend on, as the API
// server would, and gives the tenant a namespace and UID.
func Default(ts *storagev1alpha1.TenantStorage) {
	if ts.Namespace == "" {
		ts.Namespace = metav1.NamespaceDefault
	}
	if ts.UID == "" {
		ts.UID = DefaultUID
	}
	if len(ts.Spec.S3Actions) == 0 {
		ts.Spec.S3Actions = slices.Clone(DefaultS3Actions)
	}
	if ts.Spec.ProbePrefix == "" {
		ts.Spec.ProbePrefix = storagev1alpha1.DefaultProbePrefix
	}
	if ts.Spec.SessionDuration == nil {
		ts.Spec.SessionDuration = &metav1.Duration{Duration: storagev1alpha1.DefaultSessionDuration}
	}
}

// Validate repeats the CRD's rules the checks cannot run without; the
// rest (ARN formats, partitions) the API server enforces on apply, and AWS
// reports here.
func Validate(ts *storagev1alpha1.TenantStorage) error {
	s := &ts.Spec
	switch {
	case s.Region == "":
		return errors.New("spec.region is required")
	case s.BucketArn == "" && s.KMSKeyArn == "":
		return errors.New("set spec.bucketArn, spec.kmsKeyArn or both: a tenant brings a bucket, a key, or both")
	case s.ExternalID != "" && s.RoleArn == "":
		return errors.New("spec.externalId is only sent when assuming spec.roleArn: set roleArn or remove externalId")
	}
	return nil
}
