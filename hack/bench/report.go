package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tenantstorage/tenantstorage-operator/internal/harness"
)

// results is everything one run measured.
type results struct {
	N       int
	Latency time.Duration
	// Machine and Command say where and how it ran.
	Machine, Command string
	// ManagerFlags describes the flags the manager ran with (beyond its
	// identity); ManagerArgs are those given to the benchmark.
	ManagerFlags, ManagerArgs string
	Took                      time.Duration

	Path   []round
	Single singleResult
	Fleet  fleetResult
	// Reverify is the fleet's second verification, after a restart with
	// every tenant due, under a global rate limit.
	Reverify reverifyResult
	Restarts []restartResult
	// Steady is the calls observed over a window, when one was asked for.
	Steady *steadyResult
}

type singleResult struct {
	Times []time.Duration
	// Rounds is the rounds observed in the calls' arrival times (median).
	Rounds    int
	Breakdown breakdown
}

type fleetResult struct {
	P50, P99, Max time.Duration
	// All is the first apply to the last Ready; Applied is the first to
	// the last apply.
	All, Applied time.Duration
	// PerSecond is tenants Ready per second at steady concurrency.
	PerSecond float64
	Calls     callStats
	// Verifications counts the fleet's verifications until all were
	// Ready: N, unless the first ones came due again meanwhile.
	Verifications int
	// BaseAssumeRoles is the process's, warm-up and single tenants
	// included.
	BaseAssumeRoles int
	Usage           processUsage
}

type reverifyResult struct {
	AWSLimit, ManagerLimit float64
	Took                   time.Duration
	PerSecond              float64
	Calls                  callStats
	// Retried counts retries after transient errors (throttling).
	Retried int
	Usage   processUsage
}

type restartResult struct {
	Label string
	// Readyz is the start to /readyz; Settled the start to every tenant
	// reconciled with an empty queue.
	Readyz, Settled time.Duration
	Calls           callStats
	// ReadyChanges counts Ready conditions that changed meanwhile.
	ReadyChanges int
	// ConditionSeries counts tenants with a tenantstorage_condition Ready
	// series on the new process's metrics endpoint.
	ConditionSeries, Tenants int
	Usage                    processUsage
}

type steadyResult struct {
	Window  time.Duration
	Tenants int
	Calls   callStats
}

// processUsage is what one manager process used, and how many reconciles
// it ran.
type processUsage struct {
	harness.Usage
	// PeakFDs is the most open file descriptors (connections) seen.
	PeakFDs int
	// Reconciles, Goroutines and HeapInuse are read at the end of the
	// phase.
	Reconciles, Goroutines int
	HeapInuse              int64
}

// verifyInterval is the CRD's default verifyInterval; nextInterval adds
// up to a tenth of it as jitter, so intervals average 10.5 minutes.
const verifyInterval = 10 * time.Minute

const meanInterval = verifyInterval + verifyInterval/20

// meanRefresh is the mean age at which the Secret's credentials (1 hour
// sessions, the default) are refreshed: storagesecret.RefreshAt plans it at
// two thirds of the lifetime plus up to a twelfth, i.e. 40-45 minutes. A
// refresh is one AssumeRole; verifications do not replace the credentials.
const meanRefresh = 40*time.Minute + 5*time.Minute/2

// Steady state per tenant-hour is extrapolated from one verification: a
// tenant is verified every meanInterval (5.71 times an hour), and its
// credentials are refreshed every meanRefresh (1.41 times an hour, one
// AssumeRole each).
var (
	verificationsPerHour = float64(time.Hour) / float64(meanInterval)
	refreshesPerHour     = float64(time.Hour) / float64(meanRefresh)
)

// render writes the results as markdown: a line on the setup, then three
// tables (times, AWS calls, manager processes).
func (r *results) render(w io.Writer) {
	fmt.Fprintf(w, "N = %d tenants (each its own customer account, client role, bucket and key), %s injected per AWS call.\n", r.N, ms(r.Latency))
	fmt.Fprintf(w, "Machine: %s. Manager flags: %s. Reproduce: `%s` (took %s).\n\n", r.Machine, r.ManagerFlags, r.Command, r.Took.Round(time.Second))
	writeTable(w, []string{"time", "measured"}, r.timeRows())
	fmt.Fprintln(w)
	writeTable(w, []string{"AWS calls per tenant", "first verification", "re-verification (retries of throttled calls included)",
		"per tenant-hour, steady state (extrapolated)"}, r.callRows())
	fmt.Fprintln(w)
	writeTable(w, []string{"manager process", "wall", "reconciles", "AWS calls", "peak RSS (VmHWM)", "CPU (user+sys)",
		"peak open fds", "at the end: goroutines, Go heap in use"}, r.processRows())
}

// writeTable writes a markdown table.
func writeTable(w io.Writer, header []string, rows [][]string) {
	line := func(cells []string) { fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | ")) }
	line(header)
	sep := make([]string, len(header))
	for i := range sep {
		sep[i] = "---"
	}
	line(sep)
	for _, row := range rows {
		line(row)
	}
}

func (r *results) timeRows() [][]string {
	fl := floor(len(r.Path), r.Latency)
	single := median(r.Single.Times)
	b, f, v := r.Single.Breakdown, r.Fleet, r.Reverify
	return [][]string{
		{"critical path of one verification (warm manager)",
			fmt.Sprintf("%d AWS round trips: %s; floor %s", len(r.Path), roundNames(r.Path), ms(fl))},
		{fmt.Sprintf("one tenant alone, warm manager: apply → Ready (median of %d)", len(r.Single.Times)),
			fmt.Sprintf("%s = **%.2fx the floor**; %d rounds observed; %s before the first AWS call, %s from it to the last answer, %s after",
				ms(single), ratio(single, fl), r.Single.Rounds, ms(b.Before), ms(b.AWS), ms(b.After))},
		{"fleet: apply → Ready, p50 / p99 / max", fmt.Sprintf("%s / %s / %s", secs(f.P50), secs(f.P99), secs(f.Max))},
		{fmt.Sprintf("fleet: first apply → all %d Ready", r.N), fmt.Sprintf("%s (all applied within %s)%s", secs(f.All), secs(f.Applied), r.dueAgain())},
		{"fleet: tenants verified per second (10th to 90th percentile)", fmt.Sprintf("%.1f/s (%s)", f.PerSecond, r.ceilings())},
		r.sustainedRow(),
		{fmt.Sprintf("fleet re-verified after a restart with every tenant due: localaws limit %g/s, `--aws-rate-limit=%g`", v.AWSLimit, v.ManagerLimit),
			fmt.Sprintf("%s, %.1f/s; **%d throttled** of %d calls (%d verifications retried); at most %d calls in one second",
				secs(v.Took), v.PerSecond, v.Calls.Throttled, v.Calls.Total, v.Retried, v.Calls.PeakPerSecond)},
	}
}

// dueAgain notes the verifications of tenants that came due again before
// the whole fleet was Ready: their calls are in the first verification's.
func (r *results) dueAgain() string {
	if again := r.Fleet.Verifications - r.N; again > 0 {
		return fmt.Sprintf("; %d tenants verified a second time meanwhile, their calls included below", again)
	}
	return ""
}

// ceilings are the throughputs the manager's flags allow: its AWS rate
// limit over the calls of a verification, and its workers over the
// single-tenant time.
func (r *results) ceilings() string {
	limit, workers := flagValue(r.ManagerArgs, "aws-rate-limit", 50), flagValue(r.ManagerArgs, "max-concurrent-reconciles", 10)
	single := median(r.Single.Times)
	workersCeiling := fmt.Sprintf("%g workers ÷ %s = %.0f/s", workers, ms(single), workers/single.Seconds())
	if limit == 0 {
		return "ceilings: no AWS rate limit; " + workersCeiling
	}
	calls := float64(callCount(r.Path))
	return fmt.Sprintf("ceilings: `--aws-rate-limit=%g` ÷ %g calls = %.1f/s; %s", limit, calls, limit/calls, workersCeiling)
}

// sustainedRow is the largest fleet the manager's AWS rate limit keeps
// verified on schedule, from the steady state's calls.
func (r *results) sustainedRow() []string {
	limit := flagValue(r.ManagerArgs, "aws-rate-limit", 50)
	_, perHour := r.steadyPerHour()
	if limit == 0 || perHour == 0 {
		return []string{"largest fleet kept on its verify schedule", "no AWS rate limit"}
	}
	return []string{fmt.Sprintf("largest fleet `--aws-rate-limit=%g` keeps on the default 10 min schedule", limit),
		fmt.Sprintf("%.0f tenants (%g calls/s × 3600 s ÷ %.1f calls per tenant-hour)", limit*3600/perHour, limit, perHour)}
}

// flagValue is the last value of --name=value in args, or def.
func flagValue(args, name string, def float64) float64 {
	v := def
	for _, a := range strings.Fields(args) {
		if s, ok := strings.CutPrefix(strings.TrimLeft(a, "-"), name+"="); ok {
			if x, err := strconv.ParseFloat(s, 64); err == nil {
				v = x
			}
		}
	}
	return v
}

// steadyPerHour extrapolates the steady state's calls per tenant-hour,
// by operation and in all: the re-verification's calls less its throttled
// attempts (throttling is the restart's, not the steady state's), times
// the verifications of a tenant-hour, plus one AssumeRole per credentials
// refresh.
func (r *results) steadyPerHour() (byOp map[string]float64, all float64) {
	n := float64(r.N)
	byOp = map[string]float64{}
	for _, c := range r.Reverify.Calls.ByOp {
		hour := verificationsPerHour * float64(c.Count-r.Reverify.Calls.ThrottledByOp[c.Op]) / n
		if c.Op == "sts AssumeRole" {
			hour += refreshesPerHour
		}
		byOp[c.Op] = hour
		all += hour
	}
	return byOp, all
}

// callRows lists the calls per tenant by operation.
func (r *results) callRows() [][]string {
	n := float64(r.N)
	first, again := perTenant(r.Fleet.Calls.ByOp, r.N), perTenant(r.Reverify.Calls.ByOp, r.N)
	steady, steadyAll := r.steadyPerHour()
	var rows [][]string
	for _, op := range unionOps(r.Fleet.Calls.ByOp, r.Reverify.Calls.ByOp) {
		rows = append(rows, []string{op, f2(first[op]), f2(again[op]), f1(steady[op])})
	}
	rows = append(rows, []string{fmt.Sprintf("**all** (model: %d)", callCount(r.Path)),
		bold(f2(float64(r.Fleet.Calls.forTenants()) / n)), bold(f2(float64(r.Reverify.Calls.forTenants()) / n)), bold(f1(steadyAll))})
	viaFirst, viaAgain := perTenant(r.Fleet.Calls.Via, r.N), perTenant(r.Reverify.Calls.Via, r.N)
	for _, op := range unionOps(r.Fleet.Calls.Via, r.Reverify.Calls.Via) {
		rows = append(rows, []string{op + ", made by S3 for the probe object", f2(viaFirst[op]), f2(viaAgain[op]), f1(verificationsPerHour * viaAgain[op])})
	}
	rows = append(rows, []string{"the base identity's AssumeRole (the service-role session all tenants share)",
		fmt.Sprintf("%d for the manager process", r.Fleet.BaseAssumeRoles), fmt.Sprintf("%d for the manager process", r.Reverify.Calls.BaseAssumeRoles),
		"~1.4 per manager (renewed 40-44 min into its 1 h session), none per tenant"})
	if s := r.Steady; s != nil {
		rows = append(rows, []string{fmt.Sprintf("observed: every call over %s of steady state, %d tenants", s.Window.Round(time.Second), s.Tenants), "", "",
			f1(float64(s.Calls.forTenants()) / float64(s.Tenants) * float64(time.Hour) / float64(s.Window))})
	}
	return rows
}

func (r *results) processRows() [][]string {
	row := func(label string, wall time.Duration, calls int, u processUsage) []string {
		return []string{label, secs(wall), strconv.Itoa(u.Reconciles), strconv.Itoa(calls), mib(u.PeakRSS), secs(u.CPU),
			strconv.Itoa(u.PeakFDs), fmt.Sprintf("%d, %s", u.Goroutines, mib(u.HeapInuse))}
	}
	f := r.Fleet
	rows := [][]string{row(fmt.Sprintf("first start: a warm-up and %d single tenants, then the fleet", len(r.Single.Times)), f.All, f.Calls.Total, f.Usage)}
	for _, x := range r.Restarts {
		rows = append(rows, row(fmt.Sprintf("restart, %s: all %d tenants reconciled (/readyz after %s); Ready unchanged: %s; tenantstorage_condition series: %d",
			x.Label, x.Tenants, ms(x.Readyz), yes(x.ReadyChanges == 0), x.ConditionSeries), x.Settled, x.Calls.Total, x.Usage))
	}
	v := r.Reverify
	return append(rows, row(fmt.Sprintf("restart with every tenant due, `--aws-rate-limit=%g`", v.ManagerLimit), v.Took, v.Calls.Total, v.Usage))
}

// perTenant divides each count by n.
func perTenant(counts []opCount, n int) map[string]float64 {
	out := map[string]float64{}
	for _, c := range counts {
		out[c.Op] = float64(c.Count) / float64(n)
	}
	return out
}

// unionOps lists the operations of a, then those only in b.
func unionOps(a, b []opCount) []string {
	var out []string
	seen := map[string]bool{}
	for _, list := range [][]opCount{a, b} {
		for _, c := range list {
			if !seen[c.Op] {
				seen[c.Op] = true
				out = append(out, c.Op)
			}
		}
	}
	return out
}

func roundNames(rounds []round) string {
	names := make([]string, len(rounds))
	for i, r := range rounds {
		names[i] = fmt.Sprintf("%s ×%d", r.Name, len(r.Calls))
	}
	return strings.Join(names, " → ")
}

func f1(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }

func f2(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }

func ms(d time.Duration) string {
	return fmt.Sprintf("%d ms", d.Round(time.Millisecond).Milliseconds())
}

func secs(d time.Duration) string {
	return fmt.Sprintf("%.1f s", d.Seconds())
}

func mib(bytes int64) string {
	return fmt.Sprintf("%.0f MiB", float64(bytes)/(1<<20))
}

func bold(s string) string { return "**" + s + "**" }

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
