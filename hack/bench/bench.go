package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/internal/harness"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws"
	"github.com/tenantstorage/tenantstorage-operator/internal/seedworld"
)

// Namespaces of the benchmark's objects.
const (
	tenantNamespace    = "fleet"
	unrelatedNamespace = "other-apps"
)

// vendor is the operator's side of the world (seedworld's defaults).
var vendor = seedworld.Vendor{}.Fill()

// bench holds what was started, for the phases and the teardown.
type bench struct {
	o   options
	out io.Writer

	aws      *localaws.Server
	endpoint string
	cluster  *harness.Cluster
	k8s      client.Client
	tracker  *tracker
	// stopTracker ends the tracker's watch, which would hold up
	// kube-apiserver's shutdown.
	stopTracker context.CancelFunc
	managerKC   string
	// managerNS is the manager's namespace (config/default's).
	managerNS string
	manager   *harness.Manager
	// sampler keeps the current manager's peak of open fds.
	sampler *sampler
	starts  int    // manager processes started, to name their logs
	logPath string // the current manager's log
	// processMark is the last call record before the current manager
	// started.
	processMark int64

	warmup         tenant
	singles, fleet []tenant
	res            results
	// fleetTimes are the fleet's apply-to-Ready times, for the plot.
	fleetTimes []time.Duration
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.out, "bench: "+format+"\n", args...)
}

// fail reports err with the end of the current manager's log.
func (b *bench) fail(err error) {
	fmt.Fprintf(b.out, "bench failed: %v\n", err)
	if b.manager == nil {
		return
	}
	if tail := harness.LastLines(b.logPath, 20); tail != "" {
		fmt.Fprintf(b.out, "--- last lines of %s ---\n%s\n", harness.Rel(b.logPath), tail)
	}
}

// run runs the phases in order; each leaves the fleet healthy for the next.
func (b *bench) run(ctx context.Context) error {
	started := time.Now()
	b.res = results{N: b.o.n, Latency: b.o.latency, Machine: machine(), Command: b.o.command(),
		ManagerFlags: managerFlags(b.o.managerArgs), ManagerArgs: b.o.managerArgs, Path: criticalPath(defaultShape)}
	steps := []struct {
		name string
		run  func(context.Context) error
	}{
		{"setting up", b.up},
		{"single tenants", b.singleTenants},
		{"the fleet", b.firstVerification},
		{"restart", func(ctx context.Context) error { return b.restart(ctx, "restart", "healthy fleet") }},
		{"re-verification under a rate limit", b.reverify},
		{"unrelated Secrets", func(ctx context.Context) error {
			return b.restartWithSecrets(ctx, fmt.Sprintf("healthy fleet and %d unrelated Secrets", b.o.secrets))
		}},
		{"steady state", b.steadyState},
	}
	for _, s := range steps {
		if err := s.run(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	b.res.Took = time.Since(started)
	return b.write()
}

func (b *bench) up(ctx context.Context) error {
	for _, p := range []*string{&b.o.manager, &b.o.output, &b.o.crds, &b.o.deploy} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	if _, err := os.Stat(b.o.manager); err != nil {
		return fmt.Errorf("the manager binary: %w (build it with go build -o bin/manager .)", err)
	}
	if err := os.MkdirAll(b.o.output, 0o755); err != nil {
		return err
	}
	// The logs of an earlier run would be mistaken for this one's.
	old, _ := filepath.Glob(filepath.Join(b.o.output, "manager-*.log"))
	for _, f := range old {
		_ = os.Remove(f)
	}
	assets, err := harness.ControlPlaneAssets()
	if err != nil {
		return err
	}
	if err := b.startAWS(); err != nil {
		return err
	}
	b.logf("starting kube-apiserver and etcd from %s", assets)
	if b.cluster, err = harness.StartCluster(assets, b.o.crds, filepath.Join(b.o.output, "kubeconfig")); err != nil {
		return err
	}
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{storagev1alpha1.AddToScheme, corev1.AddToScheme} {
		if err := add(scheme); err != nil {
			return err
		}
	}
	if b.k8s, err = client.New(b.cluster.Config, client.Options{Scheme: scheme}); err != nil {
		return err
	}
	sa, _, err := b.cluster.ApplyRBAC(b.o.deploy, "bench")
	if err != nil {
		return err
	}
	b.managerNS = sa.GetNamespace()
	b.managerKC = filepath.Join(b.o.output, "manager.kubeconfig")
	if err := b.cluster.ServiceAccountKubeconfig(sa, b.managerKC); err != nil {
		return err
	}
	if err := b.k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: tenantNamespace}}); err != nil {
		return err
	}
	var trackerCtx context.Context
	trackerCtx, b.stopTracker = context.WithCancel(ctx)
	if b.tracker, err = startTracker(trackerCtx, b.cluster.Config, scheme, tenantNamespace); err != nil {
		return err
	}
	return b.startManager(ctx, "first")
}

// startAWS builds the world (the vendor and every tenant's account) and
// serves it with the latency on every call.
func (b *bench) startAWS() error {
	b.warmup, b.singles, b.fleet = benchTenants(b.o.singles, b.o.n)
	var customers []seedworld.Customer
	for _, t := range b.allTenants() {
		customers = append(customers, t.customer)
	}
	w, err := seedworld.World(vendor, customers...)
	if err != nil {
		return fmt.Errorf("building the world: %w", err)
	}
	if b.aws, err = localaws.New(w); err != nil {
		return err
	}
	if _, err := b.aws.InjectFault(localaws.Fault{Kind: localaws.FaultLatency, LatencyMillis: int(b.o.latency.Milliseconds())}); err != nil {
		return err
	}
	if b.endpoint, err = b.aws.Start("127.0.0.1:0"); err != nil {
		return err
	}
	b.logf("localaws serves the vendor and %d customers at %s, %s per call", len(customers), b.endpoint, b.o.latency)
	return nil
}

func (b *bench) allTenants() []tenant {
	return append(append([]tenant{b.warmup}, b.singles...), b.fleet...)
}

// startManager starts a manager process with the benchmark's flags and
// extra ones (later flags win); its log is manager-<n>-<name>.log.
func (b *bench) startManager(ctx context.Context, name string, extra ...string) error {
	b.starts++
	args := append([]string{
		"--service-role-arn=" + vendor.ServiceRoleARN(),
		"--client-role-pattern=" + seedworld.ClientRolePattern,
		"--aws-region=us-east-1",
	}, strings.Fields(b.o.managerArgs)...)
	b.logPath = filepath.Join(b.o.output, fmt.Sprintf("manager-%d-%s.log", b.starts, name))
	m, err := harness.NewManager(harness.ManagerOptions{
		Binary:     b.o.manager,
		Args:       append(args, extra...),
		Kubeconfig: b.managerKC,
		Namespace:  b.managerNS,
		AWS:        harness.AWSEnv{Endpoint: b.endpoint, AccessKeyID: vendor.AccessKeyID, SecretAccessKey: vendor.SecretAccessKey, Region: "us-east-1"},
		LogPath:    b.logPath,
	})
	if err != nil {
		return err
	}
	b.manager = m
	b.processMark = lastSeq(b.records())
	b.logf("manager %d (%s): %s", b.starts, name, strings.Join(m.Args(), " "))
	if err := m.Start(ctx); err != nil {
		return err
	}
	b.sampler = sample(ctx, m)
	return nil
}

// usage is the current manager's peak RSS, CPU time and peak of open fds,
// with its reconciles, goroutines and heap now (one scrape).
func (b *bench) usage(ctx context.Context) (processUsage, error) {
	u, err := b.manager.Usage()
	if err != nil {
		return processUsage{}, err
	}
	families, err := b.manager.Metrics(ctx)
	if err != nil {
		return processUsage{}, err
	}
	gauge := func(name string) float64 { return harness.MetricSum(families, name, nil) }
	return processUsage{Usage: u, PeakFDs: b.sampler.peak(),
		Reconciles: int(harness.MetricSum(families, "controller_runtime_reconcile_total", map[string]string{"controller": controllerName})),
		Goroutines: int(gauge("go_goroutines")), HeapInuse: int64(gauge("go_memstats_heap_inuse_bytes"))}, nil
}

// stopManager stops the current manager as a rollout would (SIGTERM).
func (b *bench) stopManager() {
	if b.manager != nil && b.manager.Stop(15*time.Second) {
		b.logf("the manager did not stop within 15s; killed it")
	}
}

// records returns localaws's call records.
func (b *bench) records() []localaws.Call { return b.aws.Calls(localaws.CallFilter{}) }

// waitFor waits until every one of names is done, printing progress.
func (b *bench) waitFor(ctx context.Context, what string, names []string, done func(tenantState) bool) error {
	deadline := time.Now().Add(b.o.timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	lastReport := time.Now()
	for {
		n := b.tracker.count(names, done)
		if n == len(names) {
			return nil
		}
		if len(names) > 1 && time.Since(lastReport) >= 15*time.Second {
			b.logf("  %s: %d/%d", what, n, len(names))
			lastReport = time.Now()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d tenants %s within %s", n, len(names), what, b.o.timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-b.manager.Exited():
			return b.manager.ExitError()
		case <-tick.C:
		}
	}
}

// teardown stops the manager, then the control plane, then localaws.
func (b *bench) teardown() {
	b.stopManager()
	if b.stopTracker != nil {
		b.stopTracker()
	}
	if b.cluster != nil {
		if err := b.cluster.Stop(); err != nil {
			b.logf("stopping the control plane: %v", err)
		}
	}
	if b.aws != nil {
		if err := b.aws.Close(); err != nil {
			b.logf("stopping localaws: %v", err)
		}
	}
	if b.managerKC != "" {
		_ = os.Remove(b.managerKC)
	}
}

// managerFlags describes the flags that decide throughput.
func managerFlags(extra string) string {
	if extra == "" {
		return "the defaults (`--aws-rate-limit=50 --max-concurrent-reconciles=10`, as config/manager)"
	}
	return "`" + extra + "` over the defaults (`--aws-rate-limit=50 --max-concurrent-reconciles=10`)"
}
