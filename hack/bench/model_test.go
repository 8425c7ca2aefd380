package main

import (
	"testing"
	"time"
)

func roundSizes(rounds []round) []int {
	out := make([]int, len(rounds))
	for i, r := range rounds {
		out[i] = len(r.Calls)
	}
	return out
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestCriticalPathOfTheBenchmarkTenant(t *testing.T) {
	rounds := criticalPath(defaultShape)
	if got, want := roundSizes(rounds), []int{3, 6, 4, 1}; !equalInts(got, want) {
		t.Fatalf("calls per round %v, want %v (trust; S3 and KMS round 1; round 2; the delete)", got, want)
	}
	if n := callCount(rounds); n != 14 {
		t.Errorf("%d calls, want 14", n)
	}
	if got := floor(len(rounds), 20*time.Millisecond); got != 80*time.Millisecond {
		t.Errorf("floor %v, want 80ms", got)
	}
	if got := ratio(120*time.Millisecond, 80*time.Millisecond); got != 1.5 {
		t.Errorf("ratio %g, want 1.5", got)
	}
	if got := ratio(time.Second, 0); got != 0 {
		t.Errorf("ratio without a floor %g, want 0", got)
	}
	if got := roundNames(rounds); got != "trust ×3 → S3 and KMS ×6 → S3 and KMS ×4 → S3 ×1" {
		t.Errorf("names %q", got)
	}
}

func TestCriticalPathOfOtherShapes(t *testing.T) {
	all := []string{"s3:GetObject", "s3:PutObject", "s3:RestoreObject", "s3:ListBucket", "s3:DeleteObject", "s3:GetObjectVersion", "s3:DeleteObjectVersion"}
	for _, c := range []struct {
		name  string
		s     shape
		sizes []int
	}{
		{"key only", shape{ExternalID: true, Key: true}, []int{3, 3, 2}},
		{"bucket only, no ExternalId", shape{Bucket: true, S3Actions: defaultShape.S3Actions}, []int{1, 3, 2, 1}},
		// The version delete and the plain delete run one after the other.
		{"versioned, every action", shape{ExternalID: true, Bucket: true, Key: true, S3Actions: all, Versioned: true}, []int{3, 6, 5, 1, 1}},
		// Without a version ID there is nothing to delete by version.
		{"unversioned, every action", shape{ExternalID: true, Bucket: true, Key: true, S3Actions: all}, []int{3, 6, 5, 1}},
		{"read only", shape{ExternalID: true, Bucket: true, Key: true, S3Actions: []string{"s3:GetObject"}}, []int{3, 4, 2}},
	} {
		if got := roundSizes(criticalPath(c.s)); !equalInts(got, c.sizes) {
			t.Errorf("%s: calls per round %v, want %v", c.name, got, c.sizes)
		}
	}
}

func TestSteadyStateExtrapolation(t *testing.T) {
	// 10 minutes plus a mean jitter of 30s; refreshes at 42.5 minutes.
	if meanInterval != 630*time.Second || meanRefresh != 2550*time.Second {
		t.Fatalf("mean interval %v, mean refresh %v", meanInterval, meanRefresh)
	}
	got := verificationsPerHour*14 + refreshesPerHour
	if want := 14*60/10.5 + 60/42.5; got != want || got < 81.4 || got > 81.42 {
		t.Errorf("14 calls per verification make %.3f calls per tenant-hour, want %.3f", got, want)
	}
}
