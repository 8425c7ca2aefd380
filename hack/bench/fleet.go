package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/internal/seedworld"
)

// tenant is one customer of the benchmark world and its TenantStorage.
type tenant struct {
	name     string
	customer seedworld.Customer
	// verifyInterval is spec.verifyInterval (0: the default).
	verifyInterval time.Duration
}

// The benchmark's tenants: one to warm the manager up, the single-tenant
// runs, then the fleet. Each is a customer of its own account, set up as
// guide 000 says (seedworld Chained: client role with ExternalId, bucket,
// key). The warm-up and single tenants are verified once a day, so that
// every later call is the fleet's.
func benchTenants(singles, n int) (warmup tenant, single, fleet []tenant) {
	next := 0
	mk := func(name string, interval time.Duration) tenant {
		next++
		return tenant{name: name, verifyInterval: interval, customer: seedworld.Customer{
			Name: name, AccountID: fmt.Sprintf("%012d", 200000000000+next), Mode: seedworld.Chained,
		}.Fill()}
	}
	warmup = mk("warmup", 24*time.Hour)
	for i := range singles {
		single = append(single, mk(fmt.Sprintf("single-%02d", i+1), 24*time.Hour))
	}
	for i := range n {
		fleet = append(fleet, mk(fmt.Sprintf("t%05d", i+1), 0))
	}
	return warmup, single, fleet
}

func names(ts []tenant) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.name
	}
	return out
}

// object is the TenantStorage the platform team writes for t from what the
// customer sent back; everything else is the CRD's defaults, except for
// tenants with their own verifyInterval.
func (t tenant) object(namespace string) *storagev1alpha1.TenantStorage {
	c := t.customer
	ts := &storagev1alpha1.TenantStorage{
		ObjectMeta: metav1.ObjectMeta{Name: t.name, Namespace: namespace},
		Spec: storagev1alpha1.TenantStorageSpec{
			RoleArn: c.RoleARN(), Region: c.Region, ExternalID: c.ExternalID,
			BucketArn: c.BucketARN(), KMSKeyArn: c.KeyARN(),
		},
	}
	if t.verifyInterval > 0 {
		ts.Spec.VerifyInterval = &metav1.Duration{Duration: t.verifyInterval}
	}
	return ts
}

// parallel runs do for 0..n-1 on workers goroutines and returns the first
// error.
func parallel(ctx context.Context, n, workers int, do func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				if err := do(ctx, i); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}

// applyAll creates the tenants' TenantStorages as fast as the API server
// takes them (like one big kubectl apply, without its client-side
// sequencing) and returns when each was sent.
func applyAll(ctx context.Context, k8s client.Client, namespace string, ts []tenant) (map[string]time.Time, error) {
	var mu sync.Mutex
	applied := make(map[string]time.Time, len(ts))
	err := parallel(ctx, len(ts), 8, func(ctx context.Context, i int) error {
		at := time.Now()
		if err := k8s.Create(ctx, ts[i].object(namespace)); err != nil {
			return fmt.Errorf("creating TenantStorage %s: %w", ts[i].name, err)
		}
		mu.Lock()
		applied[ts[i].name] = at
		mu.Unlock()
		return nil
	})
	return applied, err
}

// makeDue sets every tenant's status.nextVerifyTime to the past, as if the
// operator had been down for longer than the verify interval: the next
// manager verifies them all at once.
func makeDue(ctx context.Context, k8s client.Client, namespace string, ts []tenant) error {
	patch := client.RawPatch(types.MergePatchType, fmt.Appendf(nil, `{"status":{"nextVerifyTime":%q}}`,
		time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)))
	return parallel(ctx, len(ts), 8, func(ctx context.Context, i int) error {
		obj := &storagev1alpha1.TenantStorage{ObjectMeta: metav1.ObjectMeta{Name: ts[i].name, Namespace: namespace}}
		return k8s.Status().Patch(ctx, obj, patch)
	})
}

// unrelatedSecrets creates n Secrets that are none of the operator's
// business (no managed-by label), of size bytes each, in namespace.
func unrelatedSecrets(ctx context.Context, k8s client.Client, namespace string, n, size int) error {
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}); err != nil {
		return err
	}
	return parallel(ctx, n, 8, func(ctx context.Context, i int) error {
		data := make([]byte, size)
		_, _ = rand.Read(data)
		return k8s.Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("unrelated-%05d", i), Namespace: namespace,
				Labels: map[string]string{"app.kubernetes.io/name": "some-other-app"}},
			Data: map[string][]byte{"tls.key": data},
		})
	})
}
