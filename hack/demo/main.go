// Command demo runs the operator end to end on this machine, with nothing
// from outside:
//
//   - a real kube-apiserver and etcd (controller-runtime's envtest, with the
//     binaries hack/control-plane.sh builds) serving the CRD,
//   - localaws holding the vendor's account and three customers set up from
//     the onboarding guides (world.go),
//   - the real manager binary as a child process, configured only through
//     its flags and the standard AWS variables, and running as the
//     ServiceAccount of config/default with config/rbac's permissions,
//
// then applies config/samples, waits until each sample reaches the verdict
// the guides predict (Ready condition, kstatus and the Argo CD health check
// of docs/argocd-health.lua), prints the table, and stays up until Ctrl-C.
// With --once (DEMO_ONCE=1) it tears down at once and exits non-zero unless
// every sample reached its verdict.
//
// Run it with `make demo`; it expects the repository root as its working
// directory and KUBEBUILDER_ASSETS (else it runs hack/control-plane.sh).
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"go.uber.org/zap/zapcore"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/controllers"
	"github.com/tenantstorage/tenantstorage-operator/internal/argohealth"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/control"
	"github.com/tenantstorage/tenantstorage-operator/internal/seedworld"
)

// namespace is where the samples are applied.
const namespace = "default"

type options struct {
	manager, output, crds, deploy, samples, argoHealth string
	timeout                                            time.Duration
	once                                               bool
}

func main() {
	var o options
	flag.StringVar(&o.manager, "manager", "bin/manager", "the manager binary (go build -o bin/manager .)")
	flag.StringVar(&o.output, "output", "_output/demo", "directory for the kubeconfigs and the manager's log")
	flag.StringVar(&o.crds, "crds", "config/crd/bases", "CRDs to install")
	flag.StringVar(&o.deploy, "deploy", "config/default", "kustomization whose ServiceAccount and RBAC the manager runs with (its Deployment and CRD are left out)")
	flag.StringVar(&o.samples, "samples", "config/samples", "kustomization of the TenantStorages to apply")
	flag.StringVar(&o.argoHealth, "argocd-health", "docs/argocd-health.lua", "the Argo CD health check to evaluate on the samples")
	flag.DurationVar(&o.timeout, "timeout", 2*time.Minute, "how long the samples may take to reach their verdicts")
	once := os.Getenv("DEMO_ONCE")
	flag.BoolVar(&o.once, "once", once != "" && once != "0" && once != "false", "check, tear down and exit (default from DEMO_ONCE)")
	flag.Parse()
	logf.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.ErrorLevel)))
	os.Exit(run(o))
}

// demo holds what was started, for teardown.
type demo struct {
	o         options
	out       io.Writer
	kubectl   string
	env       *envtest.Environment
	aws       *localaws.Server
	endpoint  string
	adminKC   string // the admin kubeconfig (printed)
	managerKC string // the manager's kubeconfig (the ServiceAccount)
	namespace string // the manager's namespace (config/default's)
	logPath   string
	manager   *exec.Cmd
	exited    chan struct{} // closed when the manager exits
	exitErr   error         // the manager's exit, once exited is closed
	k8s       client.Client
}

func run(o options) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	// A closed stdout (say, `make demo | head`) must not kill the demo
	// before it has torn down what it started.
	signal.Ignore(syscall.SIGPIPE)
	d := &demo{o: o, out: os.Stdout}
	defer d.teardown()

	if err := d.up(ctx); err != nil {
		d.fail(err)
		return 1
	}
	verdictErr := d.waitForVerdicts(ctx)
	if ctx.Err() != nil {
		return 1
	}
	if err := d.show(); err != nil {
		d.fail(err)
		return 1
	}
	if verdictErr != nil {
		d.fail(verdictErr)
		if o.once || d.managerExited() {
			return 1
		}
		d.logf("staying up for inspection; Ctrl-C to stop")
	} else if !o.once {
		d.hints()
	}
	fmt.Fprintf(d.out, "KUBECONFIG=%s\n", d.adminKC)
	fmt.Fprintf(d.out, "AWS_ENDPOINT_URL=%s\n", d.endpoint)
	if verdictErr == nil {
		fmt.Fprintln(d.out, "demo ready")
	}
	if o.once {
		return 0
	}
	select {
	case <-ctx.Done():
		fmt.Fprintln(d.out)
		d.logf("stopping")
	case <-d.exited:
		d.fail(fmt.Errorf("the manager exited: %v (log: %s)", d.exitErr, d.logPath))
		return 1
	}
	if verdictErr != nil {
		return 1
	}
	return 0
}

func (d *demo) managerExited() bool {
	select {
	case <-d.exited:
		return true
	default:
		return false
	}
}

func (d *demo) logf(format string, args ...any) {
	fmt.Fprintf(d.out, "demo: "+format+"\n", args...)
}

// fail reports err with the end of the manager's log.
func (d *demo) fail(err error) {
	fmt.Fprintf(d.out, "demo failed: %v\n", err)
	if d.logPath == "" {
		return
	}
	if tail := lastLines(d.logPath, 20); tail != "" {
		fmt.Fprintf(d.out, "--- last lines of %s ---\n%s\n", d.logPath, tail)
	}
}

func (d *demo) up(ctx context.Context) error {
	for _, p := range []*string{&d.o.manager, &d.o.output, &d.o.crds, &d.o.deploy, &d.o.samples, &d.o.argoHealth} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	if _, err := os.Stat(d.o.manager); err != nil {
		return fmt.Errorf("the manager binary: %w (build it with go build -o bin/manager .)", err)
	}
	if err := os.MkdirAll(d.o.output, 0o755); err != nil {
		return err
	}
	assets, err := controlPlaneAssets()
	if err != nil {
		return err
	}
	d.kubectl = filepath.Join(assets, "kubectl")
	if _, err := os.Stat(d.kubectl); err != nil {
		if d.kubectl, err = exec.LookPath("kubectl"); err != nil {
			return fmt.Errorf("kubectl not found: install it (apt-get install kubectl)")
		}
	}

	// AWS: the vendor and the customers, as the guides set them up.
	w, err := seedworld.World(vendor, customers()...)
	if err != nil {
		return fmt.Errorf("building the demo world: %w", err)
	}
	if d.aws, err = localaws.New(w); err != nil {
		return err
	}
	if d.endpoint, err = d.aws.Start("127.0.0.1:0"); err != nil {
		return err
	}
	d.logf("localaws serves the vendor (%s) and %d customers at %s", vendor.AccountID, len(samples), d.endpoint)
	for _, s := range samples {
		d.logf("  %-8s account %s: %s", s.name, s.customer.AccountID, s.story)
	}

	// Kubernetes: a real kube-apiserver and etcd with the CRD.
	d.logf("starting kube-apiserver and etcd from %s", assets)
	d.env = &envtest.Environment{
		CRDDirectoryPaths:        []string{d.o.crds},
		ErrorIfCRDPathMissing:    true,
		BinaryAssetsDirectory:    assets,
		ControlPlaneStartTimeout: time.Minute,
		ControlPlaneStopTimeout:  30 * time.Second,
	}
	cfg, err := d.env.Start()
	if err != nil {
		return fmt.Errorf("starting the control plane: %w", err)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	scheme := runtime.NewScheme()
	if err := storagev1alpha1.AddToScheme(scheme); err != nil {
		return err
	}
	if d.k8s, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		return err
	}
	admin, err := d.env.AddUser(envtest.User{Name: "demo-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return err
	}
	d.adminKC = filepath.Join(d.o.output, "kubeconfig")
	if err := writeKubeconfig(admin, d.adminKC); err != nil {
		return err
	}

	// The manager's identity: config/default's ServiceAccount, bound to the
	// generated ClusterRole, so that a missing permission fails the demo.
	sa, err := d.applyRBAC()
	if err != nil {
		return err
	}
	user, err := d.env.AddUser(envtest.User{
		Name:   "system:serviceaccount:" + sa.GetNamespace() + ":" + sa.GetName(),
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + sa.GetNamespace()},
	}, nil)
	if err != nil {
		return err
	}
	d.managerKC = filepath.Join(d.o.output, "manager.kubeconfig")
	if err := writeKubeconfig(user, d.managerKC); err != nil {
		return err
	}
	d.namespace = sa.GetNamespace()
	d.logf("the manager runs as ServiceAccount %s/%s with config/rbac's permissions", sa.GetNamespace(), sa.GetName())

	if err := d.startManager(ctx); err != nil {
		return err
	}

	d.logf("$ kubectl apply -k %s", rel(d.o.samples))
	out, err := d.kubectlRun(nil, "apply", "-n", namespace, "-k", d.o.samples)
	if err != nil {
		return fmt.Errorf("applying the samples: %w", err)
	}
	fmt.Fprint(d.out, indent(out))
	return nil
}

// controlPlaneAssets is KUBEBUILDER_ASSETS, or what hack/control-plane.sh
// builds and prints.
func controlPlaneAssets() (string, error) {
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

func writeKubeconfig(u *envtest.AuthenticatedUser, path string) error {
	kc, err := u.KubeConfig()
	if err != nil {
		return err
	}
	return os.WriteFile(path, kc, 0o600)
}

// applyRBAC applies the deploy kustomization without its Deployment (the
// manager runs here instead, with no kubelet to run pods) and its CRDs
// (installed already), and returns its ServiceAccount.
func (d *demo) applyRBAC() (*unstructured.Unstructured, error) {
	built, err := d.kubectlRun(nil, "kustomize", d.o.deploy)
	if err != nil {
		return nil, err
	}
	objs, err := decodeAll(built)
	if err != nil {
		return nil, fmt.Errorf("reading kubectl kustomize %s: %w", d.o.deploy, err)
	}
	var keep bytes.Buffer
	var sa *unstructured.Unstructured
	for _, o := range objs {
		switch o.GetKind() {
		case "Deployment", "CustomResourceDefinition":
			continue
		case "ServiceAccount":
			if sa != nil {
				return nil, fmt.Errorf("%s has more than one ServiceAccount", d.o.deploy)
			}
			sa = o
		}
		j, err := o.MarshalJSON()
		if err != nil {
			return nil, err
		}
		keep.Write(j)
		keep.WriteString("\n")
	}
	if sa == nil {
		return nil, fmt.Errorf("%s has no ServiceAccount", d.o.deploy)
	}
	d.logf("$ kubectl kustomize %s | (all but the Deployment and CRD) | kubectl apply --server-side -f -", rel(d.o.deploy))
	out, err := d.kubectlRun(keep.Bytes(), "apply", "--server-side", "--field-manager=demo", "-f", "-")
	if err != nil {
		return nil, err
	}
	fmt.Fprint(d.out, indent(out))
	return sa, nil
}

func decodeAll(data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return objs, nil
			}
			return nil, err
		}
		if len(m) > 0 {
			objs = append(objs, &unstructured.Unstructured{Object: m})
		}
	}
}

// startManager runs the manager binary with the standard AWS variables
// pointing at localaws and the vendor's keys, and waits until it is ready.
func (d *demo) startManager(ctx context.Context) error {
	metricsAddr, err := freeAddr()
	if err != nil {
		return err
	}
	probeAddr, err := freeAddr()
	if err != nil {
		return err
	}
	args := []string{
		"--service-role-arn=" + vendor.ServiceRoleARN(),
		"--client-role-pattern=" + seedworld.ClientRolePattern,
		"--aws-region=us-east-1",
		"--metrics-bind-address=" + metricsAddr,
		"--health-probe-bind-address=" + probeAddr,
	}
	d.logPath = filepath.Join(d.o.output, "manager.log")
	logFile, err := os.Create(d.logPath)
	if err != nil {
		return err
	}
	cmd := exec.Command(d.o.manager, args...)
	cmd.Env = append(environWithout("AWS_", "KUBECONFIG", "POD_NAMESPACE="),
		// As the Deployment's downward API would set it.
		"POD_NAMESPACE="+d.namespace,
		"KUBECONFIG="+d.managerKC,
		"AWS_ENDPOINT_URL="+d.endpoint,
		"AWS_ACCESS_KEY_ID="+vendor.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+vendor.SecretAccessKey,
		"AWS_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group: Ctrl-C reaches the demo, which stops the
	// manager first and the control plane after. Should the demo die
	// without tearing down, the kernel stops the manager.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	d.logf("$ AWS_ENDPOINT_URL=%s AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=... AWS_REGION=us-east-1 KUBECONFIG=%s \\\n      %s %s",
		d.endpoint, vendor.AccessKeyID, rel(d.managerKC), rel(d.o.manager), strings.Join(args, " "))
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("starting the manager: %w", err)
	}
	d.manager = cmd
	d.exited = make(chan struct{})
	go func() {
		d.exitErr = cmd.Wait()
		logFile.Close()
		close(d.exited)
	}()

	// Ready when /readyz answers 200.
	readyz := "http://" + probeAddr + "/readyz"
	deadline := time.Now().Add(time.Minute)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := http.Get(readyz)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				d.logf("the manager is ready (health %s, metrics http://%s/metrics, log %s)", readyz, metricsAddr, rel(d.logPath))
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the manager was not ready within a minute (%s)", readyz)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-d.exited:
			return fmt.Errorf("the manager exited: %v", d.exitErr)
		case <-tick.C:
		}
	}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// environWithout is the environment less the variables with these
// prefixes, so that no AWS profile or cluster of the person's leaks in.
func environWithout(prefixes ...string) []string {
	var out []string
next:
	for _, kv := range os.Environ() {
		for _, p := range prefixes {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}

// verdict is what the operator concluded about one sample.
type verdict struct {
	found      bool
	observed   bool // status describes the current generation
	ready      metav1.Condition
	kstatus    status.Status
	kstatusMsg string
	argo       argohealth.Status
}

func (v verdict) String() string {
	if !v.found {
		return "not found"
	}
	if !v.observed {
		return "not verified yet"
	}
	return fmt.Sprintf("Ready=%s reason %s, kstatus %s, Argo CD %s", v.ready.Status, v.ready.Reason, v.kstatus, v.argo.Status)
}

func (s sample) met(v verdict) bool {
	return v.found && v.observed && v.ready.Status == s.ready && v.ready.Reason == s.reason &&
		v.kstatus == s.kstatus && v.argo.Status == s.argo
}

// waitForVerdicts waits until every sample reached its expected verdict.
func (d *demo) waitForVerdicts(ctx context.Context) error {
	script, err := os.ReadFile(d.o.argoHealth)
	if err != nil {
		return err
	}
	d.logf("waiting for the operator's verdicts (at most %s)", d.o.timeout)
	deadline := time.Now().Add(d.o.timeout)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		pending := ""
		for _, s := range samples {
			v, err := d.verdictOf(ctx, s.name, string(script))
			if err != nil {
				return err
			}
			if !s.met(v) {
				pending += fmt.Sprintf("\n  %s: %s; expected Ready=%s reason %s, kstatus %s, Argo CD %s", s.name, v, s.ready, s.reason, s.kstatus, s.argo)
			}
		}
		if pending == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not every sample reached its verdict within %s:%s", d.o.timeout, pending)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-d.exited:
			return fmt.Errorf("the manager exited: %v", d.exitErr)
		case <-tick.C:
		}
	}
}

func (d *demo) verdictOf(ctx context.Context, name, script string) (verdict, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(storagev1alpha1.GroupVersion.WithKind("TenantStorage"))
	if err := d.k8s.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, u); err != nil {
		if client.IgnoreNotFound(err) == nil {
			return verdict{}, nil
		}
		return verdict{}, err
	}
	ts := &storagev1alpha1.TenantStorage{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, ts); err != nil {
		return verdict{}, err
	}
	v := verdict{found: true, observed: ts.Status.ObservedGeneration == ts.Generation}
	if c := meta.FindStatusCondition(ts.Status.Conditions, storagev1alpha1.ReadyCondition); c != nil {
		v.ready = *c
	}
	res, err := status.Compute(u)
	if err != nil {
		return verdict{}, fmt.Errorf("kstatus of %s: %w", name, err)
	}
	v.kstatus, v.kstatusMsg = res.Status, res.Message
	if v.argo, err = argohealth.Evaluate(script, u.Object); err != nil {
		return verdict{}, fmt.Errorf("Argo CD health of %s: %w", name, err)
	}
	return v, nil
}

// show prints the platform team's view.
func (d *demo) show() error {
	for _, args := range [][]string{
		{"get", "tenantstorage", "-A"},
		{"describe", "tenantstorage", "-n", namespace, "initech"},
	} {
		fmt.Fprintf(d.out, "\n$ kubectl %s\n", strings.Join(args, " "))
		out, err := d.kubectlRun(nil, args...)
		if err != nil {
			return err
		}
		fmt.Fprint(d.out, string(out))
	}

	script, err := os.ReadFile(d.o.argoHealth)
	if err != nil {
		return err
	}
	fmt.Fprintln(d.out, "\nGitOps health (kstatus as Flux and kpt compute it; Argo CD with docs/argocd-health.lua):")
	tw := tabwriter.NewWriter(d.out, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKSTATUS\tARGO CD\tMESSAGE")
	for _, s := range samples {
		v, err := d.verdictOf(context.Background(), s.name, string(script))
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.name, v.kstatus, v.argo.Status, truncate(v.argo.Message, 100))
	}
	return tw.Flush()
}

// hints prints what to try next.
func (d *demo) hints() {
	globex := samples[1].customer
	fix := map[string]any{
		"bucket": samples[2].customer.BucketName(),
		"policy": map[string]any{
			"Version": "2012-10-17",
			"Statement": []any{map[string]any{
				"Effect":    "Allow",
				"Principal": map[string]any{"AWS": vendor.ServiceRoleARN()},
				"Action":    []string{"s3:GetObject", "s3:PutObject", "s3:RestoreObject", "s3:ListBucket", "s3:DeleteObject"},
				"Resource":  []string{samples[2].customer.BucketARN(), samples[2].customer.BucketARN() + "/*"},
			}},
		},
	}
	fixPath := filepath.Join(d.o.output, "initech-bucket-policy-fix.json")
	body, _ := json.MarshalIndent(fix, "", "  ")
	if err := os.WriteFile(fixPath, body, 0o644); err != nil {
		d.logf("writing %s: %v", fixPath, err)
		return
	}
	fmt.Fprintf(d.out, `
Try, in another terminal with the two variables below exported:
  # globex: send the ExternalId its trust policy requires; the operator re-verifies at once
  kubectl patch tenantstorage globex --type=merge -p '{"spec":{"externalId":%q}}'
  # initech: let the bucket policy grant s3:ListBucket on the bucket itself (localaws's control API), then ask for a re-check
  curl -sS -X POST --data @%s $AWS_ENDPOINT_URL%sbuckets/policy
  kubectl annotate tenantstorage initech %s="$(date +%%s)" --overwrite
  kubectl get tenantstorage -o wide
Manager log: %s

`, globex.ExternalID, rel(fixPath), control.Prefix, controllers.ReverifyAnnotation, rel(d.logPath))
}

func (d *demo) kubectlRun(stdin []byte, args ...string) ([]byte, error) {
	cmd := exec.Command(d.kubectl, args...)
	cmd.Env = append(environWithout("KUBECONFIG"), "KUBECONFIG="+d.adminKC)
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

// teardown stops the manager, then the control plane, then localaws.
func (d *demo) teardown() {
	if d.manager != nil && d.manager.Process != nil {
		select {
		case <-d.exited:
		default:
			_ = d.manager.Process.Signal(syscall.SIGTERM)
			select {
			case <-d.exited:
			case <-time.After(15 * time.Second):
				d.logf("the manager did not stop within 15s; killing it")
				_ = d.manager.Process.Kill()
				<-d.exited
			}
		}
	}
	if d.env != nil {
		if err := d.env.Stop(); err != nil {
			d.logf("stopping the control plane: %v", err)
		}
	}
	if d.aws != nil {
		if err := d.aws.Close(); err != nil {
			d.logf("stopping localaws: %v", err)
		}
	}
	// The kubeconfigs' certificates died with the control plane.
	for _, kc := range []string{d.adminKC, d.managerKC} {
		if kc != "" {
			_ = os.Remove(kc)
		}
	}
	if d.env != nil || d.aws != nil {
		d.logf("stopped the manager, kube-apiserver, etcd and localaws")
	}
}

func rel(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	if r, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}

func indent(b []byte) string {
	var sb strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		sb.WriteString("  " + sc.Text() + "\n")
	}
	return sb.String()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

// lastLines returns the last n lines of a file.
func lastLines(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
