package metrics

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tenantstorage/tenantstorage-operator/internal/localaws"
	"github.com/tenantstorage/tenantstorage-operator/internal/seedworld"
)

// The middleware counts every call by service, operation and outcome,
// against a real server.
func TestAWSCallsCountsOutcomes(t *testing.T) {
	vendor := seedworld.Vendor{}.Fill()
	w, err := seedworld.World(vendor)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := localaws.New(w)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()

	call := func(secret string) {
		client := sts.New(sts.Options{
			Region:       "us-east-1",
			BaseEndpoint: aws.String(hs.URL),
			Credentials:  credentials.NewStaticCredentialsProvider(vendor.AccessKeyID, secret, ""),
			APIOptions:   []func(*middleware.Stack) error{AWSCalls},
			Retryer:      aws.NopRetryer{},
		})
		_, _ = client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	}
	call(vendor.SecretAccessKey)
	call(vendor.SecretAccessKey)
	call("wrong-secret")

	if got := testutil.ToFloat64(awsCalls.WithLabelValues("STS", "GetCallerIdentity", "OK")); got != 2 {
		t.Errorf("OK calls = %v, want 2", got)
	}
	if got := testutil.ToFloat64(awsCalls.WithLabelValues("STS", "GetCallerIdentity", "SignatureDoesNotMatch")); got != 1 {
		t.Errorf("SignatureDoesNotMatch calls = %v, want 1", got)
	}
}

func TestConditionAndExpirySeries(t *testing.T) {
	SetConditions("ns", "t", []metav1.Condition{{Type: "Ready", Status: metav1.ConditionFalse}})
	if got := testutil.ToFloat64(Condition.WithLabelValues("ns", "t", "Ready", "False")); got != 1 {
		t.Errorf("Ready False = %v, want 1", got)
	}
	if got := testutil.ToFloat64(Condition.WithLabelValues("ns", "t", "Ready", "True")); got != 0 {
		t.Errorf("Ready True = %v, want 0", got)
	}
	expires := metav1.Unix(1800000000, 0)
	SetCredentialsExpiry("ns", "t", &expires)
	if got := testutil.ToFloat64(credentialsExpiry.WithLabelValues("ns", "t")); got != 1800000000 {
		t.Errorf("expiry = %v", got)
	}
	ForgetTenant("ns", "t")
	if n := testutil.CollectAndCount(Condition) + testutil.CollectAndCount(credentialsExpiry); n != 0 {
		t.Errorf("%d series left after ForgetTenant", n)
	}
}
