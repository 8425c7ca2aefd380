package main

import (
	"context"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/internal/awsauth"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/localawstest"
	"github.com/tenantstorage/tenantstorage-operator/internal/seedworld"
	"github.com/tenantstorage/tenantstorage-operator/internal/verify"
)

// TestModelMatchesVerify runs internal/verify against localaws for the
// benchmark's tenant and checks that its calls and their rounds are the
// ones criticalPath predicts, so the floor the benchmark reports follows
// the code.
func TestModelMatchesVerify(t *testing.T) {
	// Long enough that calls issued together never look like rounds apart
	// on a busy machine (rounds split on gaps of half of it).
	const latency = 100 * time.Millisecond
	_, _, fleet := benchTenants(0, 1)
	tn := fleet[0]
	w, err := seedworld.World(vendor, tn.customer)
	if err != nil {
		t.Fatal(err)
	}
	srv := localawstest.Serve(t, w, localawstest.Identity{AccessKeyID: vendor.AccessKeyID, SecretAccessKey: vendor.SecretAccessKey, Region: "us-east-1"})
	base, err := awsauth.LoadBase(context.Background(), awsauth.BaseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v := &verify.Verifier{Sessions: awsauth.New(base, vendor.ServiceRoleARN())}

	// The tenant as the API server stores the benchmark's object, with the
	// CRD's defaults.
	ts := tn.object(tenantNamespace)
	ts.UID = "0c7d4f7e-1d1e-4b5a-9f57-3f0b6f1c2a10"
	for _, a := range defaultShape.S3Actions {
		ts.Spec.S3Actions = append(ts.Spec.S3Actions, storagev1alpha1.S3Action(a))
	}
	ts.Spec.ProbePrefix = storagev1alpha1.DefaultProbePrefix

	// The first verification also assumes the service role; the second is
	// a warm manager's.
	if r := v.Verify(context.Background(), verify.TenantFrom(ts)); r.KeyAccess.Status != metav1.ConditionTrue {
		t.Fatalf("warm-up verification: %+v", r)
	}
	if _, err := srv.InjectFault(localaws.Fault{Kind: localaws.FaultLatency, LatencyMillis: int(latency.Milliseconds())}); err != nil {
		t.Fatal(err)
	}
	mark := lastSeq(srv.Calls(localaws.CallFilter{}))
	r := v.Verify(context.Background(), verify.TenantFrom(ts))
	for _, c := range []verify.Check{r.Trust, r.Permissions, r.Encryption, r.KeyAccess} {
		if c.Status != metav1.ConditionTrue {
			t.Fatalf("verification failed: %+v", r)
		}
	}
	records := since(srv.Calls(localaws.CallFilter{}), mark)

	model := criticalPath(defaultShape)
	var want, got []string
	for _, r := range model {
		want = append(want, r.Calls...)
	}
	var arrivals []time.Time
	for _, c := range records {
		if c.Via == "" {
			got = append(got, c.Service+" "+c.Operation)
			arrivals = append(arrivals, c.Time)
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("verify made\n  %v\nthe model predicts\n  %v", got, want)
	}
	_, sizes := observedRounds(arrivals, latency)
	if !slices.Equal(sizes, roundSizes(model)) {
		t.Errorf("calls per round: verify %v, the model %v", sizes, roundSizes(model))
	}
}
