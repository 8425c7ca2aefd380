// Command tenantstorage-operator serves the TenantStorage API: it verifies
// each tenant's bring-your-own bucket and key by assuming the tenant's role,
// and reports the outcome as status conditions.
package main

import (
	"context"
	"flag"
	"os"

	"github.com/aws/smithy-go/middleware"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/controllers"
	"github.com/tenantstorage/tenantstorage-operator/internal/awsauth"
	"github.com/tenantstorage/tenantstorage-operator/internal/cli"
	"github.com/tenantstorage/tenantstorage-operator/internal/externalid"
	"github.com/tenantstorage/tenantstorage-operator/internal/metrics"
	"github.com/tenantstorage/tenantstorage-operator/internal/verify"
)

func main() {
	// render, lint and preflight are subcommands of the same binary.
	if handled, code := cli.Run(os.Args[1:], os.Stdout, os.Stderr); handled {
		os.Exit(code)
	}
	var (
		metricsAddr, probeAddr             string
		leaderElect                        bool
		serviceRoleARN, clientRolePattern  string
		awsRegion                          string
		awsRateLimit                       float64
		maxConcurrent                      int
		namespace, leaderElectionNamespace string
		generateExternalIDs, forbidUserIDs bool
	)
	flag.StringVar(&metricsAddr, "metrics-bind-address", ":8080", "Address the Prometheus metrics endpoint binds to; 0 disables it.")
	flag.StringVar(&probeAddr, "health-probe-bind-address", ":8081", "Address the health and readiness probes bind to.")
	flag.BoolVar(&leaderElect, "leader-elect", false, "Elect a leader so that only one replica reconciles at a time.")
	flag.StringVar(&leaderElectionNamespace, "leader-election-namespace", "", "Namespace of the leader election lease; defaults to the in-cluster namespace.")
	flag.StringVar(&serviceRoleARN, "service-role-arn", "", "The vendor's service role (the onboarding guide's document-storage-role), assumed from the base identity and used to assume every tenant's role. Empty: the base identity assumes tenant roles itself.")
	flag.StringVar(&clientRolePattern, "client-role-pattern", "", "The role ARN pattern the service role's policy allows it to assume, e.g. arn:aws:iam::*:role/AlphaSense-DocumentStorage-ClientRole-*; used only to explain AssumeRole denials.")
	flag.StringVar(&awsRegion, "aws-region", "", "Region of the service role's STS calls; defaults to the SDK's (AWS_REGION).")
	flag.Float64Var(&awsRateLimit, "aws-rate-limit", 50, "Most AWS call attempts per second, across all tenants; 0 for no limit.")
	flag.IntVar(&maxConcurrent, "max-concurrent-reconciles", 10, "How many tenants are verified at once.")
	flag.StringVar(&namespace, "namespace", envOr("POD_NAMESPACE", "tenantstorage-system"), "The operator's namespace, where the ExternalId key Secret lives.")
	flag.BoolVar(&generateExternalIDs, "generate-external-ids", true, "Generate an ExternalId for tenants whose spec.externalId is empty (kept in the Secret "+externalid.DefaultSecretName+").")
	flag.BoolVar(&forbidUserIDs, "forbid-user-external-ids", false, "Refuse tenants that set spec.externalId: only generated ExternalIds are used.")
	opts := zap.Options{}
	opts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&opts)))
	log := ctrl.Log.WithName("setup")

	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(storagev1alpha1.AddToScheme(scheme))

	base, err := awsauth.LoadBase(context.Background(), awsauth.BaseOptions{
		Region:     awsRegion,
		RateLimit:  awsRateLimit,
		APIOptions: []func(*middleware.Stack) error{metrics.AWSCalls},
	})
	if err != nil {
		log.Error(err, "unable to load the AWS configuration")
		os.Exit(1)
	}

	mgr, err := ctrl.NewManager(ctrl.GetConfigOrDie(), ctrl.Options{
		Scheme:                  scheme,
		Metrics:                 metricsserver.Options{BindAddress: metricsAddr},
		HealthProbeBindAddress:  probeAddr,
		LeaderElection:          leaderElect,
		LeaderElectionID:        "tenantstorage-operator.storage.tenantstorage.dev",
		LeaderElectionNamespace: leaderElectionNamespace,
		Cache:                   controllers.CacheOptions(),
	})
	if err != nil {
		log.Error(err, "unable to create the manager")
		os.Exit(1)
	}
	var ids *externalid.Key
	if generateExternalIDs {
		// The manager's cache is not running yet: read the key directly.
		direct, err := client.New(mgr.GetConfig(), client.Options{Scheme: scheme})
		if err == nil {
			var key externalid.Key
			key, err = externalid.LoadOrCreateKey(context.Background(), direct, types.NamespacedName{Namespace: namespace, Name: externalid.DefaultSecretName})
			ids = &key
		}
		if err != nil {
			log.Error(err, "unable to load the ExternalId key", "namespace", namespace)
			os.Exit(1)
		}
	}
	reconciler := &controllers.TenantStorageReconciler{
		Client: mgr.GetClient(),
		Verifier: &verify.Verifier{
			Sessions:          awsauth.New(base, serviceRoleARN),
			ClientRolePattern: clientRolePattern,
		},
		ServiceRoleARN:        serviceRoleARN,
		Recorder:              mgr.GetEventRecorder("tenantstorage-operator"),
		Clock:                 clock.RealClock{},
		MaxConcurrent:         maxConcurrent,
		ExternalIDs:           ids,
		ForbidUserExternalIDs: forbidUserIDs,
	}
	if err := reconciler.SetupWithManager(mgr); err != nil {
		log.Error(err, "unable to set up the TenantStorage controller")
		os.Exit(1)
	}
	utilruntime.Must(mgr.AddHealthzCheck("healthz", healthz.Ping))
	utilruntime.Must(mgr.AddReadyzCheck("readyz", healthz.Ping))

	log.Info("starting the manager", "serviceRole", serviceRoleARN, "generateExternalIds", generateExternalIDs)
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		log.Error(err, "the manager stopped with an error")
		os.Exit(1)
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
