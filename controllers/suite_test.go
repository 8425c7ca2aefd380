package controllers_test

import (
	"context"
	"os"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/tenantstorage/tenantstorage-operator/controllers"
	"github.com/tenantstorage/tenantstorage-operator/internal/awsauth"
	"github.com/tenantstorage/tenantstorage-operator/internal/externalid"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws"
	"github.com/tenantstorage/tenantstorage-operator/internal/metrics"
	"github.com/tenantstorage/tenantstorage-operator/internal/seedworld"
	"github.com/tenantstorage/tenantstorage-operator/internal/testenv"
	"github.com/tenantstorage/tenantstorage-operator/internal/verify"
)

var (
	cfg       *rest.Config
	mgrCache  cache.Cache
	env       *envtest.Environment
	k8sClient client.Client
	aws       *localaws.Server
	vendor    = seedworld.Vendor{}.Fill()
	stop      context.CancelFunc
)

func TestControllers(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "TenantStorage controller suite (envtest + localaws)")
}

var _ = BeforeSuite(func() {
	ctrl.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))

	var err error
	env, err = testenv.New()
	Expect(err).NotTo(HaveOccurred())
	cfg, err = env.Start()
	Expect(err).NotTo(HaveOccurred())
	k8sClient, err = client.New(cfg, client.Options{Scheme: scheme.Scheme})
	Expect(err).NotTo(HaveOccurred())

	w, err := seedworld.World(vendor, customers...)
	Expect(err).NotTo(HaveOccurred())
	aws, err = localaws.New(w)
	Expect(err).NotTo(HaveOccurred())
	endpoint, err := aws.Start("127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())

	// The operator needs nothing but the standard variables to run
	// against localaws: the SDK's default chain reads them.
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":          endpoint,
		"AWS_ACCESS_KEY_ID":         vendor.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":     vendor.SecretAccessKey,
		"AWS_REGION":                "us-east-1",
		"AWS_EC2_METADATA_DISABLED": "true",
	} {
		GinkgoT().Setenv(k, v)
	}
	Expect(os.Unsetenv("AWS_PROFILE")).To(Succeed())
	base, err := awsauth.LoadBase(context.Background(), awsauth.BaseOptions{
		APIOptions: []func(*middleware.Stack) error{metrics.AWSCalls},
	})
	Expect(err).NotTo(HaveOccurred())
	// The fault scenarios exhaust the SDK's retries; short backoffs keep
	// them quick without changing what is retried.
	base.Retryer = func() awssdk.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 4
			o.MaxBackoff = 100 * time.Millisecond
		})
	}

	Expect(k8sClient.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: operatorNamespace}})).To(Succeed())
	idKey, err := externalid.LoadOrCreateKey(context.Background(), k8sClient, keySecret)
	Expect(err).NotTo(HaveOccurred())
	for _, ns := range append([]string{unmanagedNamespace}, isolationNamespaces...) {
		Expect(k8sClient.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
	}

	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:  scheme.Scheme,
		Metrics: metricsserver.Options{BindAddress: "0"},
		Cache:   managerCache(),
	})
	Expect(err).NotTo(HaveOccurred())
	mgrCache = mgr.GetCache()
	Expect((&controllers.TenantStorageReconciler{
		Client: mgr.GetClient(),
		Verifier: &verify.Verifier{
			Sessions:          awsauth.New(base, vendor.ServiceRoleARN()),
			ClientRolePattern: vendor.ClientRolePattern,
		},
		ServiceRoleARN: vendor.ServiceRoleARN(),
		Recorder:       mgr.GetEventRecorder("tenantstorage-operator"),
		Clock:          clock.RealClock{},
		MaxConcurrent:  4,
		ExternalIDs:    &idKey,
	}).SetupWithManager(mgr)).To(Succeed())

	var ctx context.Context
	ctx, stop = context.WithCancel(context.Background())
	go func() {
		defer GinkgoRecover()
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
})

var _ = AfterSuite(func() {
	if stop != nil {
		stop()
	}
	if aws != nil {
		Expect(aws.Close()).To(Succeed())
	}
	Expect(env.Stop()).To(Succeed())
})

// The operator's namespace, holding the ExternalId key.
const operatorNamespace = "tenantstorage-system"

var keySecret = types.NamespacedName{Namespace: operatorNamespace, Name: externalid.DefaultSecretName}

// isolationNamespaces are the teams of the isolation scenarios.
var isolationNamespaces = []string{"team-a", "team-b", "team-c"}

// unmanagedNamespace is left to tests that drive a reconciler of their own
// (with an injected clock): the suite's manager does not watch it.
const unmanagedNamespace = "clocked"

// managerCache is the operator's cache, limited to the namespaces the
// suite's manager serves.
func managerCache() cache.Options {
	o := controllers.CacheOptions()
	o.DefaultNamespaces = map[string]cache.Config{"default": {}}
	for _, ns := range isolationNamespaces {
		o.DefaultNamespaces[ns] = cache.Config{}
	}
	return o
}

// eventually is the patience for one verification, which takes a few
// round trips to localaws on loopback.
func eventually(f any) AsyncAssertion {
	return Eventually(f).WithTimeout(30 * time.Second).WithPolling(100 * time.Millisecond)
}
