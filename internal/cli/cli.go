// Package cli implements the operator binary's subcommands for the people
// who onboard tenants: render (the exact documents a customer applies),
// lint (explain what is wrong in the documents a customer applied) and
// preflight (run the operator's checks from a laptop, with no cluster).
// Without a subcommand the binary runs the manager.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/internal/policy"
	"github.com/tenantstorage/tenantstorage-operator/internal/preflight"
)

// Exit codes.
const (
	exitOK = 0
	// exitFailed: the documents have errors, or a check did not pass.
	exitFailed = 1
	// exitUsage: bad flags or unreadable input; nothing was judged.
	exitUsage = 2
)

type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{
	"render":    {"write the exact trust, permissions, bucket and key policies and AWS CLI commands for a tenant", render},
	"lint":      {"explain the problems in the policy documents a customer applied", lint},
	"preflight": {"run the operator's checks for a TenantStorage file against AWS, without a cluster", runPreflight},
}

// Run runs the subcommand named by args[0] (os.Args[1:]). handled is
// false when args name no subcommand, for the caller to run the manager
// with its own flags.
func Run(args []string, stdout, stderr io.Writer) (handled bool, exitCode int) {
	if len(args) == 0 {
		return false, 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		return false, 0
	}
	return true, cmd.run(context.Background(), args[1:], stdout, stderr)
}

// Usage lists the subcommands, for the manager's -help.
func Usage() string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString("Subcommands (run one with -h for its flags):\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-10s %s\n", n, commands[n].summary)
	}
	return b.String()
}

// flagSet is a subcommand's flags, reporting to stderr.
func flagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		say(stderr, "Usage: %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args; ok is false after -h or a bad flag (code set).
func parse(fs *flag.FlagSet, args []string) (code int, ok bool) {
	switch err := fs.Parse(args); {
	case errors.Is(err, flag.ErrHelp):
		return exitOK, false
	case err != nil:
		return exitUsage, false
	case fs.NArg() > 0:
		say(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return exitUsage, false
	}
	return exitOK, true
}

func fail(stderr io.Writer, cmd string, err error) int {
	say(stderr, "%s: %v\n", cmd, err)
	return exitUsage
}

// say writes to stderr, where a failed write has nowhere to be reported.
func say(stderr io.Writer, format string, args ...any) {
	_, _ = fmt.Fprintf(stderr, format, args...)
}

// emit writes a command's output and returns code; a failed write (a
// closed pipe) fails the command instead.
func emit(stdout, stderr io.Writer, cmd, output string, code int) int {
	if _, err := io.WriteString(stdout, output); err != nil {
		return fail(stderr, cmd, err)
	}
	return code
}

// tenantFlags select a TenantStorage: from a file, or from the cluster.
type tenantFlags struct {
	file, name, namespace, kubeconfig string
}

func (t *tenantFlags) register(fs *flag.FlagSet, cluster bool) {
	fs.StringVar(&t.file, "f", "", "a YAML file holding the TenantStorage (as in config/samples)")
	fs.StringVar(&t.name, "name", "", "the TenantStorage's name: picks one in a file with several, or reads it from the cluster when -f is not given")
	if cluster {
		fs.StringVar(&t.namespace, "namespace", "", "the TenantStorage's namespace in the cluster (default: the kubeconfig context's)")
		fs.StringVar(&t.kubeconfig, "kubeconfig", "", "the kubeconfig to read the cluster's TenantStorage with (default: $KUBECONFIG, ~/.kube/config, or in-cluster)")
	}
}

// newClusterClient returns a client for the cluster of the kubeconfig and
// the namespace of its current context; tests replace it.
var newClusterClient = func(kubeconfig string) (client.Client, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{})
	namespace, _, err := cc.Namespace()
	if err != nil {
		return nil, "", err
	}
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", err
	}
	scheme := runtime.NewScheme()
	if err := storagev1alpha1.AddToScheme(scheme); err != nil {
		return nil, "", err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	return c, namespace, err
}

func (t *tenantFlags) load(ctx context.Context) (*storagev1alpha1.TenantStorage, error) {
	switch {
	case t.file != "":
		return preflight.LoadFile(t.file, t.name)
	case t.name == "":
		return nil, errors.New("name the tenant: -f file.yaml, or --name (and --namespace) to read it from the cluster")
	}
	c, namespace, err := newClusterClient(t.kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("connecting to the cluster: %w", err)
	}
	if t.namespace != "" {
		namespace = t.namespace
	}
	var ts storagev1alpha1.TenantStorage
	if err := c.Get(ctx, types.NamespacedName{Namespace: namespace, Name: t.name}, &ts); err != nil {
		return nil, fmt.Errorf("reading TenantStorage %s/%s: %w", namespace, t.name, err)
	}
	return &ts, nil
}

// renderInput is what policy needs of a tenant. The ExternalId is the
// spec's, else the one the operator generated (status), unless overridden.
func renderInput(ts *storagev1alpha1.TenantStorage, serviceRoleARN, externalID string) policy.RenderInput {
	preflight.Default(ts)
	in := policy.RenderInput{
		ServiceRoleARN: serviceRoleARN,
		ClientRoleARN:  ts.Spec.RoleArn,
		Region:         ts.Spec.Region,
		ExternalID:     externalID,
		BucketARN:      ts.Spec.BucketArn,
		KeyARN:         ts.Spec.KMSKeyArn,
	}
	for _, a := range ts.Spec.S3Actions {
		in.S3Actions = append(in.S3Actions, string(a))
	}
	if in.ExternalID == "" {
		in.ExternalID = ts.Spec.ExternalID
	}
	if in.ExternalID == "" {
		in.ExternalID = ts.Status.ExternalID
	}
	return in
}

// serviceRoleFlag is the vendor's service role, as the manager's flag of
// the same name.
func serviceRoleFlag(fs *flag.FlagSet) *string {
	return fs.String("service-role-arn", "", "the vendor's service role (the guides' document-storage-role), as the operator's --service-role-arn")
}

func readFile(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	return os.ReadFile(path)
}
