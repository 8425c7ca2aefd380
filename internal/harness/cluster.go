package harness

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// ControlPlaneAssets is KUBEBUILDER_ASSETS, or what hack/control-plane.sh
// (run from the working directory, the repository's root) builds and
// prints.
func ControlPlaneAssets() (string, error) {
	if a := os.Getenv("KUBEBUILDER_ASSETS"); a != "" {
		return filepath.Abs(a)
	}
	var stdout bytes.Buffer
	cmd := exec.Command("hack/control-plane.sh")
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("hack/control-plane.sh: %w", err)
	}
	return strings.TrimSpace(stdout.String()), nil
}

// Cluster is a running kube-apiserver and etcd with the CRDs installed.
type Cluster struct {
	env *envtest.Environment
	// Config is the admin's (system:masters).
	Config *rest.Config
	// AdminKubeconfig is the admin's kubeconfig file, for kubectl.
	AdminKubeconfig string
	// Kubectl is the kubectl binary used for kustomize and apply.
	Kubectl string
}

// StartCluster starts kube-apiserver and etcd from assets with the CRDs
// of crdDir, and writes the admin's kubeconfig to adminKubeconfig.
func StartCluster(assets, crdDir, adminKubeconfig string) (*Cluster, error) {
	kubectl := filepath.Join(assets, "kubectl")
	if _, err := os.Stat(kubectl); err != nil {
		if kubectl, err = exec.LookPath("kubectl"); err != nil {
			return nil, fmt.Errorf("kubectl not found: install it (apt-get install kubectl)")
		}
	}
	c := &Cluster{AdminKubeconfig: adminKubeconfig, Kubectl: kubectl, env: &envtest.Environment{
		CRDDirectoryPaths:        []string{crdDir},
		ErrorIfCRDPathMissing:    true,
		BinaryAssetsDirectory:    assets,
		ControlPlaneStartTimeout: time.Minute,
		ControlPlaneStopTimeout:  30 * time.Second,
	}}
	cfg, err := c.env.Start()
	if err != nil {
		return c, fmt.Errorf("starting the control plane: %w", err)
	}
	c.Config = cfg
	admin, err := c.env.AddUser(envtest.User{Name: "harness-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return c, err
	}
	return c, writeKubeconfig(admin, adminKubeconfig)
}

// Stop stops kube-apiserver and etcd, and removes the admin's kubeconfig,
// whose certificates died with them.
func (c *Cluster) Stop() error {
	_ = os.Remove(c.AdminKubeconfig)
	return c.env.Stop()
}

// ServiceAccountKubeconfig writes a kubeconfig that authenticates as the
// ServiceAccount sa (with its groups, so RBAC bound to it applies) to path.
func (c *Cluster) ServiceAccountKubeconfig(sa *unstructured.Unstructured, path string) error {
	user, err := c.env.AddUser(envtest.User{
		Name:   "system:serviceaccount:" + sa.GetNamespace() + ":" + sa.GetName(),
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + sa.GetNamespace()},
	}, nil)
	if err != nil {
		return err
	}
	return writeKubeconfig(user, path)
}

func writeKubeconfig(u *envtest.AuthenticatedUser, path string) error {
	kc, err := u.KubeConfig()
	if err != nil {
		return err
	}
	return os.WriteFile(path, kc, 0o600)
}

// KubectlRun runs kubectl as the admin, with stdin when not nil, and
// returns its standard output.
func (c *Cluster) KubectlRun(stdin []byte, args ...string) ([]byte, error) {
	cmd := exec.Command(c.Kubectl, args...)
	cmd.Env = append(EnvironWithout("KUBECONFIG"), "KUBECONFIG="+c.AdminKubeconfig)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("kubectl %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}

// ApplyRBAC applies the deploy kustomization without its Deployment (the
// manager runs here as a process, with no kubelet to run pods) and its
// CRDs (installed already), and returns its ServiceAccount and kubectl's
// output.
func (c *Cluster) ApplyRBAC(deploy, fieldManager string) (*unstructured.Unstructured, []byte, error) {
	built, err := c.KubectlRun(nil, "kustomize", deploy)
	if err != nil {
		return nil, nil, err
	}
	objs, err := DecodeAll(built)
	if err != nil {
		return nil, nil, fmt.Errorf("reading kubectl kustomize %s: %w", deploy, err)
	}
	var keep bytes.Buffer
	var sa *unstructured.Unstructured
	for _, o := range objs {
		switch o.GetKind() {
		case "Deployment", "CustomResourceDefinition":
			continue
		case "ServiceAccount":
			if sa != nil {
				return nil, nil, fmt.Errorf("%s has more than one ServiceAccount", deploy)
			}
			sa = o
		}
		j, err := o.MarshalJSON()
		if err != nil {
			return nil, nil, err
		}
		keep.Write(j)
		keep.WriteString("\n")
	}
	if sa == nil {
		return nil, nil, fmt.Errorf("%s has no ServiceAccount", deploy)
	}
	out, err := c.KubectlRun(keep.Bytes(), "apply", "--server-side", "--field-manager="+fieldManager, "-f", "-")
	if err != nil {
		return nil, nil, err
	}
	return sa, out, nil
}
