package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tenantstorage/tenantstorage-operator/internal/harness"
)

// controllerName labels the TenantStorage controller's metrics.
const controllerName = "tenantstorage"

// singleTenants verifies a warm-up tenant (the manager's first verification
// also assumes the service role), then single tenants one at a time, and
// splits each one's time around its AWS calls.
func (b *bench) singleTenants(ctx context.Context) error {
	b.logf("a warm-up tenant, then %d tenants one at a time", len(b.singles))
	if _, err := b.applyOne(ctx, b.warmup); err != nil {
		return err
	}
	var rounds []int
	var splits []breakdown
	for _, t := range b.singles {
		// Alone means alone: let the previous tenant's follow-up
		// reconciles (the events of its new Secret and ConfigMap) finish.
		time.Sleep(300 * time.Millisecond)
		mark := lastSeq(b.records())
		applied, err := b.applyOne(ctx, t)
		if err != nil {
			return err
		}
		st, _ := b.tracker.state(t.name)
		took := st.firstReady.Sub(applied)
		arrivals := ownArrivals(since(b.records(), mark))
		starts, _ := observedRounds(arrivals, b.o.latency)
		split := splitTime(applied, st.firstReady, arrivals, b.o.latency)
		b.logf("  %s: Ready after %s; %d AWS calls in %d rounds; %s before the first call, %s from it to the last answer, %s after",
			t.name, ms(took), len(arrivals), len(starts), ms(split.Before), ms(split.AWS), ms(split.After))
		b.res.Single.Times = append(b.res.Single.Times, took)
		rounds, splits = append(rounds, len(starts)), append(splits, split)
	}
	slices.Sort(rounds)
	b.res.Single.Rounds = rounds[len(rounds)/2]
	b.res.Single.Breakdown = medianBreakdown(splits)
	return nil
}

// applyOne creates t's TenantStorage and waits until it is Ready; it
// returns when it was sent.
func (b *bench) applyOne(ctx context.Context, t tenant) (time.Time, error) {
	applied, err := applyAll(ctx, b.k8s, tenantNamespace, []tenant{t})
	if err != nil {
		return time.Time{}, err
	}
	return applied[t.name], b.waitFor(ctx, "Ready", []string{t.name}, isReady)
}

// firstVerification applies the whole fleet at once and waits until every
// tenant is Ready.
func (b *bench) firstVerification(ctx context.Context) error {
	mark := lastSeq(b.records())
	b.logf("applying %d TenantStorages", len(b.fleet))
	applied, err := applyAll(ctx, b.k8s, tenantNamespace, b.fleet)
	if err != nil {
		return err
	}
	fleet := names(b.fleet)
	if err := b.waitFor(ctx, "Ready", fleet, isReady); err != nil {
		return err
	}
	var firstApply, lastApply, lastReady time.Time
	var ready []time.Time
	for _, t := range b.fleet {
		st, _ := b.tracker.state(t.name)
		at := applied[t.name]
		b.fleetTimes = append(b.fleetTimes, st.firstReady.Sub(at))
		ready = append(ready, st.firstReady)
		if firstApply.IsZero() || at.Before(firstApply) {
			firstApply = at
		}
		lastApply, lastReady = latest(lastApply, at), latest(lastReady, st.firstReady)
	}
	records := b.records()
	calls := summarize(since(records, mark), vendor.UserARN())
	usage, err := b.usage(ctx)
	if err != nil {
		return err
	}
	f := fleetResult{
		P50: percentile(b.fleetTimes, 50), P99: percentile(b.fleetTimes, 99), Max: percentile(b.fleetTimes, 100),
		All: lastReady.Sub(firstApply), Applied: lastApply.Sub(firstApply),
		PerSecond: steadyThroughput(ready), Calls: calls, Usage: usage,
		Verifications: b.tracker.sum(fleet, func(s tenantState) int { return s.verifications }),
		// The service-role session was assumed for the warm-up tenant:
		// count the whole process.
		BaseAssumeRoles: summarize(since(records, b.processMark), vendor.UserARN()).BaseAssumeRoles,
	}
	b.res.Fleet = f
	b.logf("  all %d Ready %s after the first apply: p50 %s, p99 %s; %.1f tenants/s; %d AWS calls (%.2f per tenant)",
		len(fleet), secs(f.All), secs(f.P50), secs(f.P99), f.PerSecond, calls.Total, float64(calls.Total)/float64(len(fleet)))
	return nil
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// restart stops the manager and starts another with the fleet healthy,
// and measures the calls and the time until it has reconciled every
// tenant.
func (b *bench) restart(ctx context.Context, name, label string) error {
	b.stopManager()
	all := names(b.allTenants())
	changes := func(s tenantState) int { return s.readyChanges }
	changesBefore := b.tracker.sum(all, changes)
	if err := b.startManager(ctx, name); err != nil {
		return err
	}
	m := b.manager
	settled, err := b.waitSettled(ctx, len(all))
	if err != nil {
		return err
	}
	// A late reconcile would call AWS within moments: give it the time.
	time.Sleep(2 * time.Second)
	families, err := m.Metrics(ctx)
	if err != nil {
		return err
	}
	usage, err := b.usage(ctx)
	if err != nil {
		return err
	}
	r := restartResult{
		Label: label, Readyz: m.Ready.Sub(m.Started), Settled: settled.Sub(m.Started),
		Calls:           summarize(since(b.records(), b.processMark), vendor.UserARN()),
		ReadyChanges:    b.tracker.sum(all, changes) - changesBefore,
		ConditionSeries: int(harness.MetricSum(families, "tenantstorage_condition", map[string]string{"type": "Ready", "status": "True"})),
		Tenants:         len(all), Usage: usage,
	}
	b.res.Restarts = append(b.res.Restarts, r)
	b.logf("  every tenant reconciled %s after the start (%d reconciles), %d AWS calls, Ready changed %d times; peak RSS %s, CPU %s",
		secs(r.Settled), usage.Reconciles, r.Calls.Total, r.ReadyChanges, mib(usage.PeakRSS), secs(usage.CPU))
	return nil
}

// waitSettled waits until the manager has reconciled at least tenants
// times with nothing queued or running: every tenant, listed at start,
// has been through Reconcile. It returns when that was first seen.
func (b *bench) waitSettled(ctx context.Context, tenants int) (time.Time, error) {
	deadline := time.Now().Add(b.o.timeout)
	controller := map[string]string{"controller": controllerName}
	for {
		families, err := b.manager.Metrics(ctx)
		if err == nil {
			reconciles := harness.MetricSum(families, "controller_runtime_reconcile_total", controller)
			queued := harness.MetricSum(families, "workqueue_depth", map[string]string{"name": controllerName})
			running := harness.MetricSum(families, "controller_runtime_active_workers", controller)
			if int(reconciles) >= tenants && queued == 0 && running == 0 {
				return time.Now(), nil
			}
		}
		if time.Now().After(deadline) {
			if err != nil {
				return time.Time{}, fmt.Errorf("the manager did not reconcile every tenant within %s; its metrics: %w", b.o.timeout, err)
			}
			return time.Time{}, fmt.Errorf("the manager did not reconcile every tenant within %s", b.o.timeout)
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-b.manager.Exited():
			return time.Time{}, b.manager.ExitError()
		case <-time.After(200 * time.Millisecond):
			// Not more often: a scrape of a large fleet's series costs the
			// manager CPU, which this would measure.
		}
	}
}

// reverify restarts the manager with every fleet tenant due, as after an
// outage longer than the verify interval, with localaws enforcing a global
// rate limit and the manager's own limit below it.
func (b *bench) reverify(ctx context.Context) error {
	b.stopManager()
	fleet := names(b.fleet)
	if err := makeDue(ctx, b.k8s, tenantNamespace, b.fleet); err != nil {
		return err
	}
	if err := b.aws.SetRateLimit(int(b.o.awsLimit)); err != nil {
		return err
	}
	defer func() { _ = b.aws.SetRateLimit(0) }()
	retries := func(s tenantState) int { return s.retries }
	retriesBefore := b.tracker.sum(fleet, retries)
	start := time.Now()
	if err := b.startManager(ctx, "every-tenant-due", fmt.Sprintf("--aws-rate-limit=%g", b.o.managerLimit)); err != nil {
		return err
	}
	if err := b.waitFor(ctx, "re-verified", fleet, verifiedSince(start)); err != nil {
		return err
	}
	var seen []time.Time
	var last time.Time
	for _, name := range fleet {
		st, _ := b.tracker.state(name)
		seen, last = append(seen, st.verifiedSeen), latest(last, st.verifiedSeen)
	}
	usage, err := b.usage(ctx)
	if err != nil {
		return err
	}
	v := reverifyResult{AWSLimit: b.o.awsLimit, ManagerLimit: b.o.managerLimit, Took: last.Sub(start),
		PerSecond: steadyThroughput(seen), Calls: summarize(since(b.records(), b.processMark), vendor.UserARN()),
		Retried: b.tracker.sum(fleet, retries) - retriesBefore, Usage: usage}
	b.res.Reverify = v
	b.logf("  all %d re-verified %s after the start, %.1f/s; %d calls, %d throttled, at most %d in one second; %d retries after transient errors",
		len(fleet), secs(v.Took), v.PerSecond, v.Calls.Total, v.Calls.Throttled, v.Calls.PeakPerSecond, v.Retried)
	return nil
}

// restartWithSecrets fills the cluster with Secrets of other applications,
// which the manager must not cache, and restarts it.
func (b *bench) restartWithSecrets(ctx context.Context, label string) error {
	start := time.Now()
	if err := unrelatedSecrets(ctx, b.k8s, unrelatedNamespace, b.o.secrets, 2048); err != nil {
		return err
	}
	b.logf("created %d unrelated Secrets of 2 KiB in %s", b.o.secrets, secs(time.Since(start)))
	return b.restart(ctx, "restart-with-secrets", label)
}

// steadyState counts every call over a window of the current manager's
// life, when asked for.
func (b *bench) steadyState(ctx context.Context) error {
	if b.o.steady <= 0 {
		return nil
	}
	mark := lastSeq(b.records())
	b.logf("counting AWS calls for %s of steady state", b.o.steady)
	end := time.Now().Add(b.o.steady)
	for time.Now().Before(end) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-b.manager.Exited():
			return b.manager.ExitError()
		case <-time.After(min(time.Minute, time.Until(end))):
		}
		b.logf("  %d calls so far", len(since(b.records(), mark)))
	}
	b.res.Steady = &steadyResult{Window: b.o.steady, Tenants: len(b.fleet), Calls: summarize(since(b.records(), mark), vendor.UserARN())}
	return nil
}
