// Command bench is the fleet benchmark (`make bench`): the real manager
// binary against a real kube-apiserver and etcd and localaws, with a fleet
// of N tenants, each its own customer account with a client role, bucket
// and key set up as onboarding guide 000 says, and a fixed latency on every
// AWS call. It measures, in this order and with one manager process each:
//
//  1. a warm-up tenant, then single tenants one at a time (apply to Ready
//     against the critical path's floor), then the fleet applied at once
//     (apply to Ready, throughput, AWS calls per tenant);
//  2. a restart with the fleet healthy (AWS calls, time until every tenant
//     is reconciled);
//  3. a restart with every tenant due, as after an outage longer than the
//     verify interval, under a global AWS rate limit (throttling);
//  4. a restart with 10,000 unrelated Secrets in the cluster (memory);
//  5. optionally, the calls of a steady-state window.
//
// It prints the results and writes them, with a plot and the raw times,
// to --output. Run it from the repository's root with KUBEBUILDER_ASSETS
// set (else it runs hack/control-plane.sh).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap/zapcore"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

type options struct {
	manager, output, crds, deploy string
	n, singles, secrets           int
	latency, steady, timeout      time.Duration
	awsLimit, managerLimit        float64
	// managerArgs are extra manager flags for every start.
	managerArgs string
}

func main() {
	var o options
	flag.StringVar(&o.manager, "manager", "bin/manager", "the manager binary (go build -o bin/manager .)")
	flag.StringVar(&o.output, "output", "_output/bench", "directory for the results, the plot, the kubeconfigs and the managers' logs")
	flag.StringVar(&o.crds, "crds", "config/crd/bases", "CRDs to install")
	flag.StringVar(&o.deploy, "deploy", "config/default", "kustomization whose ServiceAccount and RBAC the manager runs with")
	flag.IntVar(&o.n, "n", envInt("BENCH_N", 1000), "tenants in the fleet (BENCH_N)")
	flag.DurationVar(&o.latency, "latency", envDuration("BENCH_LATENCY", 20*time.Millisecond), "latency localaws adds to every AWS call (BENCH_LATENCY)")
	flag.IntVar(&o.singles, "singles", 9, "single-tenant runs, one tenant at a time")
	flag.IntVar(&o.secrets, "unrelated-secrets", 10000, "Secrets of other applications created before the last restart")
	flag.Float64Var(&o.awsLimit, "aws-limit", 200, "localaws's global rate limit (requests per second) during the re-verification")
	flag.Float64Var(&o.managerLimit, "manager-limit", 150, "the manager's --aws-rate-limit during the re-verification")
	flag.StringVar(&o.managerArgs, "manager-args", os.Getenv("BENCH_MANAGER_ARGS"), "extra manager flags, space-separated (BENCH_MANAGER_ARGS)")
	flag.DurationVar(&o.steady, "steady", envDuration("BENCH_STEADY", 0), "also count the calls of this long a steady-state window, e.g. 10m30s, one mean verify interval (BENCH_STEADY)")
	flag.DurationVar(&o.timeout, "timeout", 0, "longest wait for any one phase (default 10m plus 0.6s per tenant)")
	flag.Parse()
	if o.timeout == 0 {
		o.timeout = 10*time.Minute + time.Duration(o.n)*600*time.Millisecond
	}
	if err := o.validate(); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(2)
	}
	logf.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.ErrorLevel)))
	os.Exit(run(o))
}

// validate refuses options the phases cannot measure with.
func (o options) validate() error {
	switch {
	case o.n < 1 || o.n > 99999:
		return fmt.Errorf("--n (BENCH_N) must be 1-99999, not %d", o.n)
	case o.singles < 1:
		return fmt.Errorf("--singles must be at least 1")
	case o.latency < time.Millisecond:
		// Rounds are told apart by the latency, and localaws injects
		// whole milliseconds.
		return fmt.Errorf("--latency (BENCH_LATENCY) must be at least 1ms, not %s", o.latency)
	case o.awsLimit < 1 || o.managerLimit <= 0:
		return fmt.Errorf("--aws-limit and --manager-limit must be positive")
	}
	return nil
}

func run(o options) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	signal.Ignore(syscall.SIGPIPE)
	b := &bench{o: o, out: os.Stdout}
	defer b.teardown()
	if err := b.run(ctx); err != nil {
		b.fail(err)
		return 1
	}
	return 0
}

func envInt(key string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(key)); err == nil {
		return v
	}
	return def
}

func envDuration(key string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(key)); err == nil {
		return v
	}
	return def
}

// command is how to reproduce the run, for the report.
func (o options) command() string {
	var env []string
	env = append(env, fmt.Sprintf("BENCH_N=%d", o.n), "BENCH_LATENCY="+o.latency.String())
	if o.steady > 0 {
		env = append(env, "BENCH_STEADY="+o.steady.String())
	}
	if o.managerArgs != "" {
		env = append(env, fmt.Sprintf("BENCH_MANAGER_ARGS=%q", o.managerArgs))
	}
	return strings.Join(env, " ") + " make bench"
}
