// Package localawstest serves a localaws world for a test and points the
// AWS SDK's standard variables at it, so that code under test finds it the
// way the operator does: through AWS_ENDPOINT_URL and the default chain.
package localawstest

import (
	"path/filepath"
	"testing"

	"github.com/tenantstorage/tenantstorage-operator/internal/localaws"
)

// Identity is the long-term key the code under test signs with.
type Identity struct {
	AccessKeyID, SecretAccessKey string
	// Region sets AWS_REGION; empty leaves the region to the code.
	Region string
}

// Serve starts w on loopback for the rest of the test and sets the SDK's
// variables: the endpoint, id's key, and nothing from the machine's own
// profiles, files or instance metadata.
func Serve(t testing.TB, w *localaws.World, id Identity) *localaws.Server {
	t.Helper()
	srv, err := localaws.New(w)
	if err != nil {
		t.Fatal(err)
	}
	endpoint, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":            endpoint,
		"AWS_ACCESS_KEY_ID":           id.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":       id.SecretAccessKey,
		"AWS_SESSION_TOKEN":           "",
		"AWS_REGION":                  id.Region,
		"AWS_DEFAULT_REGION":          "",
		"AWS_PROFILE":                 "",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_CONFIG_FILE":             filepath.Join(t.TempDir(), "none"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
	} {
		t.Setenv(k, v)
	}
	return srv
}
