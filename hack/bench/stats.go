package main

import (
	"math"
	"slices"
	"time"
)

// percentile is the nearest-rank percentile p (0 < p <= 100) of ds: the
// smallest value that at least p% of them do not exceed. It is always one
// of the measured values; 0 when there are none.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// median is the 50th percentile.
func median(ds []time.Duration) time.Duration { return percentile(ds, 50) }

// steadyThroughput is how many tenants per second became Ready while the
// fleet was in full swing: between the 10th and the 90th percentile of the
// Ready times, which leaves out the ramp-up (the first reconciles, the
// service-role session) and the tail (the last workers draining). With too
// few tenants for that, it is all of them over the whole span.
func steadyThroughput(ready []time.Time) float64 {
	if len(ready) < 2 {
		return 0
	}
	sorted := slices.Clone(ready)
	slices.SortFunc(sorted, func(a, b time.Time) int { return a.Compare(b) })
	lo, hi := len(sorted)/10, len(sorted)*9/10
	if hi-lo < 2 {
		lo, hi = 0, len(sorted)-1
	}
	span := sorted[hi].Sub(sorted[lo])
	if span <= 0 {
		return 0
	}
	return float64(hi-lo) / span.Seconds()
}

// observedRounds groups calls, sorted by arrival, into the rounds they were
// issued in: a call that arrives more than half a round trip after the
// previous one waited for an answer, so it starts a new round. It returns
// each round's first arrival and its number of calls.
func observedRounds(arrivals []time.Time, latency time.Duration) (starts []time.Time, sizes []int) {
	sorted := slices.Clone(arrivals)
	slices.SortFunc(sorted, func(a, b time.Time) int { return a.Compare(b) })
	for i, t := range sorted {
		if i == 0 || t.Sub(sorted[i-1]) > latency/2 {
			starts = append(starts, t)
			sizes = append(sizes, 0)
		}
		sizes[len(sizes)-1]++
	}
	return starts, sizes
}

// breakdown splits one tenant's time from apply to Ready around its AWS
// calls.
type breakdown struct {
	// Before is apply to the first AWS call: the create, the watch event,
	// the reconcile's reads.
	Before time.Duration
	// AWS is the first call's arrival to the last call's answer (its
	// arrival plus the injected latency).
	AWS time.Duration
	// After is the last answer to Ready seen: the Secret, the onboarding
	// ConfigMap, the status patch and the watch event.
	After time.Duration
}

func splitTime(applied, ready time.Time, arrivals []time.Time, latency time.Duration) breakdown {
	if len(arrivals) == 0 {
		return breakdown{Before: ready.Sub(applied)}
	}
	first, last := slices.MinFunc(arrivals, time.Time.Compare), slices.MaxFunc(arrivals, time.Time.Compare)
	answered := last.Add(latency)
	return breakdown{Before: first.Sub(applied), AWS: answered.Sub(first), After: ready.Sub(answered)}
}

// medianBreakdown is the element-wise median of bs.
func medianBreakdown(bs []breakdown) breakdown {
	var before, aws, after []time.Duration
	for _, b := range bs {
		before, aws, after = append(before, b.Before), append(aws, b.AWS), append(after, b.After)
	}
	return breakdown{Before: median(before), AWS: median(aws), After: median(after)}
}
