// Package metrics holds the operator's Prometheus metrics, registered with
// controller-runtime's registry so they are served on the manager's
// metrics endpoint: each tenant's condition status, and every AWS call by
// service, operation and outcome, with its latency.
package metrics

import (
	"context"
	"strconv"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/tenantstorage/tenantstorage-operator/internal/awserr"
)

var (
	// Condition is 1 for the status a tenant's condition has, 0 for the
	// others, so that alerts can select status="False".
	Condition = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "tenantstorage_condition",
		Help: "Status of each TenantStorage condition: 1 for the current status, 0 otherwise.",
	}, []string{"namespace", "name", "type", "status"})

	// CredentialsExpiry is when the credentials in a tenant's Secret expire
	// (absent while it holds none); alert when it comes close.
	credentialsExpiry = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "tenantstorage_credentials_expiry_timestamp_seconds",
		Help: "Unix time at which the credentials in the tenant's storage Secret expire.",
	}, []string{"namespace", "name"})

	awsCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tenantstorage_aws_calls_total",
		Help: "AWS API calls (each attempt) by service, operation and outcome (OK or the AWS error code).",
	}, []string{"service", "operation", "outcome"})

	awsLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "tenantstorage_aws_call_duration_seconds",
		Help:    "Latency of AWS API call attempts.",
		Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
	}, []string{"service", "operation"})
)

func init() {
	ctrlmetrics.Registry.MustRegister(Condition, credentialsExpiry, awsCalls, awsLatency)
}

// SetConditions records a tenant's conditions.
func SetConditions(namespace, name string, conds []metav1.Condition) {
	for _, c := range conds {
		for _, s := range []metav1.ConditionStatus{metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionUnknown} {
			v := 0.0
			if c.Status == s {
				v = 1
			}
			Condition.WithLabelValues(namespace, name, c.Type, string(s)).Set(v)
		}
	}
}

// SetCredentialsExpiry records when a tenant's credentials expire; nil
// when the Secret holds none.
func SetCredentialsExpiry(namespace, name string, expires *metav1.Time) {
	if expires == nil {
		credentialsExpiry.DeleteLabelValues(namespace, name)
		return
	}
	credentialsExpiry.WithLabelValues(namespace, name).Set(float64(expires.Unix()))
}

// ForgetTenant drops a deleted tenant's series.
func ForgetTenant(namespace, name string) {
	Condition.DeletePartialMatch(prometheus.Labels{"namespace": namespace, "name": name})
	credentialsExpiry.DeleteLabelValues(namespace, name)
}

// AWSCalls is an SDK middleware that counts and times every attempt. It
// sits in the deserialize step, below the retryer, so retries count.
func AWSCalls(stack *middleware.Stack) error {
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("tenantstorageMetrics",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			start := time.Now()
			out, md, err := next.HandleDeserialize(ctx, in)
			service, op := awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)
			outcome := "OK"
			if err != nil {
				outcome = awserr.Code(err)
				if status := awserr.HTTPStatus(err); outcome == "" && status != 0 {
					outcome = "HTTP" + strconv.Itoa(status) // S3's HEAD errors have no body
				} else if outcome == "" {
					outcome = "NoResponse"
				}
			}
			awsCalls.WithLabelValues(service, op, outcome).Inc()
			awsLatency.WithLabelValues(service, op).Observe(time.Since(start).Seconds())
			return out, md, err
		}), middleware.Before)
}
