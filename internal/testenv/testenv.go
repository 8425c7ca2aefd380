// Package testenv starts a real kube-apiserver and etcd (envtest) with the
// project's CRDs installed, for the suites that need a control plane.
package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
)

// Root is the repository's root directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// New returns an envtest environment with the TenantStorage CRD, using the
// control plane that hack/control-plane.sh builds. KUBEBUILDER_ASSETS, when
// set, points at prebuilt binaries instead; otherwise the script is run,
// which costs nothing once its cache is warm.
func New() (*envtest.Environment, error) {
	if err := storagev1alpha1.AddToScheme(scheme.Scheme); err != nil {
		return nil, err
	}
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(filepath.Join(Root(), "hack", "control-plane.sh"))
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("building the control plane with hack/control-plane.sh: %w\n%s", err, stderr.String())
		}
		assets = strings.TrimSpace(stdout.String())
	}
	return &envtest.Environment{
		CRDDirectoryPaths:        []string{filepath.Join(Root(), "config", "crd", "bases")},
		ErrorIfCRDPathMissing:    true,
		BinaryAssetsDirectory:    assets,
		ControlPlaneStartTimeout: time.Minute,
	}, nil
}
