package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
)

// tracker watches the TenantStorages of one namespace and notes when each
// became Ready and when its checks last ran. It stamps events as they
// arrive: status times are whole seconds, too coarse for one tenant.
type tracker struct {
	mu      sync.Mutex
	tenants map[string]*tenantState
}

// tenantState is what the tracker saw of one TenantStorage.
type tenantState struct {
	ready  metav1.ConditionStatus
	reason string
	// firstReady is when Ready=True was first seen for its generation.
	firstReady time.Time
	// lastVerified is status.lastVerifiedTime; verifiedSeen is when it
	// last changed, verifications how often it did.
	lastVerified  time.Time
	verifiedSeen  time.Time
	verifications int
	// readyChanges counts changes of Ready's status after firstReady.
	readyChanges int
	// retrying is Reconciling=True (a retry after a transient AWS error
	// is pending); retries counts how often it became so.
	retrying bool
	retries  int
}

// startTracker runs an informer on namespace until ctx ends and returns
// once it has synced.
func startTracker(ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme, namespace string) (*tracker, error) {
	c, err := cache.New(cfg, cache.Options{Scheme: scheme, DefaultNamespaces: map[string]cache.Config{namespace: {}}})
	if err != nil {
		return nil, err
	}
	inf, err := c.GetInformer(ctx, &storagev1alpha1.TenantStorage{})
	if err != nil {
		return nil, err
	}
	t := &tracker{tenants: map[string]*tenantState{}}
	if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { t.observe(obj, time.Now()) },
		UpdateFunc: func(_, obj any) { t.observe(obj, time.Now()) },
	}); err != nil {
		return nil, err
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		return nil, fmt.Errorf("the TenantStorage informer did not sync")
	}
	return t, nil
}

func (t *tracker) observe(obj any, at time.Time) {
	ts, ok := obj.(*storagev1alpha1.TenantStorage)
	if !ok {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.tenants[ts.Name]
	if s == nil {
		s = &tenantState{}
		t.tenants[ts.Name] = s
	}
	if lv := ts.Status.LastVerifiedTime; lv != nil && !lv.Time.Equal(s.lastVerified) {
		s.lastVerified, s.verifiedSeen = lv.Time, at
		s.verifications++
	}
	retrying := meta.IsStatusConditionTrue(ts.Status.Conditions, storagev1alpha1.ReconcilingCondition)
	if retrying && !s.retrying {
		s.retries++
	}
	s.retrying = retrying
	c := meta.FindStatusCondition(ts.Status.Conditions, storagev1alpha1.ReadyCondition)
	if c == nil || ts.Status.ObservedGeneration != ts.Generation {
		return
	}
	if !s.firstReady.IsZero() && c.Status != s.ready {
		s.readyChanges++
	}
	s.ready, s.reason = c.Status, c.Reason
	if c.Status == metav1.ConditionTrue && s.firstReady.IsZero() {
		s.firstReady = at
	}
}

// state returns a copy of what was seen of name.
func (t *tracker) state(name string) (tenantState, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.tenants[name]
	if !ok {
		return tenantState{}, false
	}
	return *s, true
}

// count returns how many of names satisfy done.
func (t *tracker) count(names []string, done func(tenantState) bool) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, name := range names {
		if s, ok := t.tenants[name]; ok && done(*s) {
			n++
		}
	}
	return n
}

// sum adds up f over what was seen of names.
func (t *tracker) sum(names []string, f func(tenantState) int) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, name := range names {
		if s, ok := t.tenants[name]; ok {
			n += f(*s)
		}
	}
	return n
}

// isReady is done for the first verification.
func isReady(s tenantState) bool { return !s.firstReady.IsZero() && s.ready == metav1.ConditionTrue }

// verifiedSince is done for a verification that ran after since (the
// status keeps whole seconds) and got a definitive answer.
func verifiedSince(since time.Time) func(tenantState) bool {
	return func(s tenantState) bool {
		return s.ready == metav1.ConditionTrue && !s.retrying && !s.lastVerified.Before(since.Truncate(time.Second))
	}
}
