package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/tenantstorage/tenantstorage-operator/internal/harness"
)

func TestWriteTable(t *testing.T) {
	var b bytes.Buffer
	writeTable(&b, []string{"a", "b"}, [][]string{{"1", "2"}, {"x", "y"}})
	want := "| a | b |\n| --- | --- |\n| 1 | 2 |\n| x | y |\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// sampleResults is a run of 100 tenants whose every verification made the
// model's 14 calls.
func sampleResults() *results {
	perTenant := func(n int) []opCount {
		var out []opCount
		for _, r := range criticalPath(defaultShape) {
			for _, c := range r.Calls {
				out = append(out, opCount{Op: c, Count: n})
			}
		}
		// The model lists AssumeRole three times, each a separate call.
		merged := map[string]int{}
		for _, c := range out {
			merged[c.Op] += c.Count
		}
		return sortedCounts(merged)
	}
	via := []opCount{{"kms GenerateDataKey", 100}, {"kms Decrypt", 100}}
	calls := callStats{ByOp: perTenant(100), Total: 1401, BaseAssumeRoles: 1, PeakPerSecond: 180, Via: via}
	// The re-verification met 10 throttles on AssumeRole, retried.
	again := callStats{ByOp: perTenant(100), Total: 1411, BaseAssumeRoles: 1, PeakPerSecond: 221, Via: via,
		Throttled: 10, ThrottledByOp: map[string]int{"sts AssumeRole": 10}}
	again.ByOp[0].Count += 10
	return &results{
		N: 100, Latency: 20 * time.Millisecond, Machine: "2 cores", Command: "BENCH_N=100 make bench",
		ManagerFlags: managerFlags(""), Took: 95 * time.Second, Path: criticalPath(defaultShape),
		Single: singleResult{Times: []time.Duration{110 * time.Millisecond, 120 * time.Millisecond, 130 * time.Millisecond}, Rounds: 4,
			Breakdown: breakdown{Before: 8 * time.Millisecond, AWS: 90 * time.Millisecond, After: 22 * time.Millisecond}},
		Fleet: fleetResult{P50: 14 * time.Second, P99: 27500 * time.Millisecond, Max: 28 * time.Second, All: 28100 * time.Millisecond,
			Applied: 300 * time.Millisecond, PerSecond: 3.57, Calls: calls, Verifications: 100, BaseAssumeRoles: 1, Usage: processUsage{Usage: harness.Usage{PeakRSS: 80 << 20, CPU: 3 * time.Second}, PeakFDs: 30, Reconciles: 312, Goroutines: 120, HeapInuse: 50 << 20}},
		Reverify: reverifyResult{AWSLimit: 200, ManagerLimit: 150, Took: 9500 * time.Millisecond, PerSecond: 10.7, Calls: again, Retried: 4},
		Restarts: []restartResult{{Label: "healthy fleet", Readyz: 40 * time.Millisecond, Settled: 600 * time.Millisecond,
			Tenants: 106, Usage: processUsage{Usage: harness.Usage{PeakRSS: 60 << 20, CPU: 500 * time.Millisecond}, Reconciles: 106}}},
	}
}

func TestRenderResults(t *testing.T) {
	var b bytes.Buffer
	sampleResults().render(&b)
	out := b.String()
	for _, want := range []string{
		"| critical path of one verification (warm manager) | 4 AWS round trips: trust ×3 → S3 and KMS ×6 → S3 and KMS ×4 → S3 ×1; floor 80 ms |",
		"| one tenant alone, warm manager: apply → Ready (median of 3) | 120 ms = **1.50x the floor**; 4 rounds observed; 8 ms before the first AWS call, 90 ms from it to the last answer, 22 ms after |",
		"| fleet: apply → Ready, p50 / p99 / max | 14.0 s / 27.5 s / 28.0 s |",
		"| fleet: first apply → all 100 Ready | 28.1 s (all applied within 0.3 s) |",
		"| fleet: tenants verified per second (10th to 90th percentile) | 3.6/s (ceilings: `--aws-rate-limit=50` ÷ 14 calls = 3.6/s; 10 workers ÷ 120 ms = 83/s) |",
		"| fleet re-verified after a restart with every tenant due: localaws limit 200/s, `--aws-rate-limit=150` | 9.5 s, 10.7/s; **10 throttled** of 1411 calls (4 verifications retried); at most 221 calls in one second |",
		// Throttled attempts count in the re-verification, not in the
		// steady state.
		"| largest fleet `--aws-rate-limit=50` keeps on the default 10 min schedule | 2211 tenants (50 calls/s × 3600 s ÷ 81.4 calls per tenant-hour) |",
		"| sts AssumeRole | 3.00 | 3.10 | 18.6 |",
		"| kms ReEncrypt | 1.00 | 1.00 | 5.7 |",
		"| **all** (model: 14) | **14.00** | **14.10** | **81.4** |",
		"| kms GenerateDataKey, made by S3 for the probe object | 1.00 | 1.00 | 5.7 |",
		"| the base identity's AssumeRole (the service-role session all tenants share) | 1 for the manager process | 1 for the manager process |",
		"| restart, healthy fleet: all 106 tenants reconciled (/readyz after 40 ms); Ready unchanged: yes; tenantstorage_condition series: 0 | 0.6 s | 106 | 0 | 60 MiB | 0.5 s | 0 | 0, 0 MiB |",
		"| first start: a warm-up and 3 single tenants, then the fleet | 28.1 s | 312 | 1401 | 80 MiB | 3.0 s | 30 | 120, 50 MiB |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks\n  %s\nin\n%s", want, out)
		}
	}
	// STS first (a verification starts with it), then S3, then KMS.
	if sts, s3, kms := strings.Index(out, "| sts AssumeRole"), strings.Index(out, "| s3 "), strings.Index(out, "| kms "); sts >= s3 || s3 >= kms {
		t.Errorf("operations out of order: sts at %d, s3 at %d, kms at %d", sts, s3, kms)
	}
}

func TestFlagValueTakesTheLast(t *testing.T) {
	args := "--aws-rate-limit=100 --max-concurrent-reconciles=20 -aws-rate-limit=0"
	if got := flagValue(args, "aws-rate-limit", 50); got != 0 {
		t.Errorf("aws-rate-limit %g, want 0", got)
	}
	if got := flagValue(args, "max-concurrent-reconciles", 10); got != 20 {
		t.Errorf("max-concurrent-reconciles %g, want 20", got)
	}
	if got := flagValue("", "aws-rate-limit", 50); got != 50 {
		t.Errorf("default %g, want 50", got)
	}
}
