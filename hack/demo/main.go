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
// The control plane and the manager process come from internal/harness,
// which the fleet benchmark (hack/bench) shares.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
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
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/controllers"
	"github.com/tenantstorage/tenantstorage-operator/internal/argohealth"
	"github.com/tenantstorage/tenantstorage-operator/internal/harness"
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
	cluster   *harness.Cluster
	aws       *localaws.Server
	endpoint  string
	adminKC   string // the admin kubeconfig (printed)
	managerKC string // the manager's kubeconfig (the ServiceAccount)
	namespace string // the manager's namespace (config/default's)
	logPath   string
	manager   *harness.Manager
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
	case <-d.manager.Exited():
		d.fail(fmt.Errorf("%w (log: %s)", d.manager.ExitError(), d.logPath))
		return 1
	}
	if verdictErr != nil {
		return 1
	}
	return 0
}

func (d *demo) managerExited() bool {
	return d.manager != nil && d.manager.HasExited()
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
	if tail := harness.LastLines(d.logPath, 20); tail != "" {
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
	assets, err := harness.ControlPlaneAssets()
	if err != nil {
		return err
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
	d.adminKC = filepath.Join(d.o.output, "kubeconfig")
	d.cluster, err = harness.StartCluster(assets, d.o.crds, d.adminKC)
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	scheme := runtime.NewScheme()
	if err := storagev1alpha1.AddToScheme(scheme); err != nil {
		return err
	}
	if d.k8s, err = client.New(d.cluster.Config, client.Options{Scheme: scheme}); err != nil {
		return err
	}

	// The manager's identity: config/default's ServiceAccount, bound to the
	// generated ClusterRole, so that a missing permission fails the demo.
	sa, out, err := d.cluster.ApplyRBAC(d.o.deploy, "demo")
	if err != nil {
		return err
	}
	d.logf("$ kubectl kustomize %s | (all but the Deployment and CRD) | kubectl apply --server-side -f -", harness.Rel(d.o.deploy))
	fmt.Fprint(d.out, harness.Indent(out))
	d.managerKC = filepath.Join(d.o.output, "manager.kubeconfig")
	if err := d.cluster.ServiceAccountKubeconfig(sa, d.managerKC); err != nil {
		return err
	}
	d.namespace = sa.GetNamespace()
	d.logf("the manager runs as ServiceAccount %s/%s with config/rbac's permissions", sa.GetNamespace(), sa.GetName())

	if err := d.startManager(ctx); err != nil {
		return err
	}

	d.logf("$ kubectl apply -k %s", harness.Rel(d.o.samples))
	out, err = d.cluster.KubectlRun(nil, "apply", "-n", namespace, "-k", d.o.samples)
	if err != nil {
		return fmt.Errorf("applying the samples: %w", err)
	}
	fmt.Fprint(d.out, harness.Indent(out))
	return nil
}

// startManager runs the manager binary with the standard AWS variables
// pointing at localaws and the vendor's keys, and waits until it is ready.
func (d *demo) startManager(ctx context.Context) error {
	d.logPath = filepath.Join(d.o.output, "manager.log")
	m, err := harness.NewManager(harness.ManagerOptions{
		Binary: d.o.manager,
		Args: []string{
			"--service-role-arn=" + vendor.ServiceRoleARN(),
			"--client-role-pattern=" + seedworld.ClientRolePattern,
			"--aws-region=us-east-1",
		},
		Kubeconfig: d.managerKC,
		Namespace:  d.namespace,
		AWS:        harness.AWSEnv{Endpoint: d.endpoint, AccessKeyID: vendor.AccessKeyID, SecretAccessKey: vendor.SecretAccessKey, Region: "us-east-1"},
		LogPath:    d.logPath,
	})
	if err != nil {
		return err
	}
	d.logf("$ %s", m.CommandLine())
	d.manager = m
	if err := m.Start(ctx); err != nil {
		return err
	}
	d.logf("the manager is ready (health http://%s/readyz, metrics http://%s/metrics, log %s)", m.ProbeAddr, m.MetricsAddr, harness.Rel(d.logPath))
	return nil
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
		case <-d.manager.Exited():
			return d.manager.ExitError()
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
		return verdict{}, fmt.Errorf("the Argo CD health of %s: %w", name, err)
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
		out, err := d.cluster.KubectlRun(nil, args...)
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
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.name, v.kstatus, v.argo.Status, harness.Truncate(v.argo.Message, 100))
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

`, globex.ExternalID, harness.Rel(fixPath), control.Prefix, controllers.ReverifyAnnotation, harness.Rel(d.logPath))
}

// teardown stops the manager, then the control plane, then localaws.
func (d *demo) teardown() {
	if d.manager != nil && d.manager.Stop(15*time.Second) {
		d.logf("the manager did not stop within 15s; killed it")
	}
	if d.cluster != nil {
		if err := d.cluster.Stop(); err != nil {
			d.logf("stopping the control plane: %v", err)
		}
	}
	if d.aws != nil {
		if err := d.aws.Close(); err != nil {
			d.logf("stopping localaws: %v", err)
		}
	}
	// The manager's kubeconfig's certificates died with the control plane.
	if d.managerKC != "" {
		_ = os.Remove(d.managerKC)
	}
	if d.cluster != nil || d.aws != nil {
		d.logf("stopped the manager, kube-apiserver, etcd and localaws")
	}
}
