package main

import (
	"math"
	"testing"
	"time"
)

func TestPercentileIsNearestRank(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {1, time.Millisecond}, {0.1, time.Millisecond}} {
		if got := percentile(ds, c.p); got != c.want {
			t.Errorf("p%g = %v, want %v", c.p, got, c.want)
		}
	}
	if ds[0] != 100*time.Millisecond {
		t.Error("percentile sorted its input in place")
	}
	// Nearest rank never interpolates: p50 of two values is the lower one.
	if got := percentile([]time.Duration{time.Second, 3 * time.Second}, 50); got != time.Second {
		t.Errorf("p50 of 1s, 3s = %v, want 1s", got)
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("p50 of nothing = %v", got)
	}
}

func TestSteadyThroughputLeavesOutRampAndTail(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var ready []time.Time
	// A slow start and a slow tail around 100 tenants at 10/s.
	ready = append(ready, t0, t0.Add(5*time.Second))
	for i := range 100 {
		ready = append(ready, t0.Add(10*time.Second+time.Duration(i)*100*time.Millisecond))
	}
	ready = append(ready, t0.Add(60*time.Second), t0.Add(90*time.Second))
	got := steadyThroughput(ready)
	if math.Abs(got-10) > 0.5 {
		t.Errorf("throughput %.2f/s, want about 10/s", got)
	}
	// Too few for percentiles: all of them over the whole span.
	if got := steadyThroughput([]time.Time{t0, t0.Add(time.Second), t0.Add(2 * time.Second)}); got != 1 {
		t.Errorf("3 tenants over 2s: %.2f/s, want 1/s", got)
	}
	if got := steadyThroughput([]time.Time{t0}); got != 0 {
		t.Errorf("one tenant: %.2f/s, want 0", got)
	}
}

func TestObservedRoundsSplitOnWaits(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	// Three calls together, six 21 ms later (spread over 3 ms), four, one.
	arrivals := []time.Time{at(0), at(1), at(1), at(22), at(21), at(23), at(24), at(21), at(22), at(44), at(45), at(45), at(46), at(67)}
	starts, sizes := observedRounds(arrivals, 20*time.Millisecond)
	if len(starts) != 4 || !starts[1].Equal(at(21)) {
		t.Fatalf("rounds start at %v", starts)
	}
	for i, want := range []int{3, 6, 4, 1} {
		if sizes[i] != want {
			t.Errorf("round %d has %d calls, want %d", i+1, sizes[i], want)
		}
	}
}

func TestSplitTimeAroundCalls(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	b := splitTime(at(0), at(120), []time.Time{at(10), at(50), at(90)}, 20*time.Millisecond)
	if b.Before != 10*time.Millisecond || b.AWS != 100*time.Millisecond || b.After != 10*time.Millisecond {
		t.Errorf("split %+v, want 10ms before, 100ms of AWS, 10ms after", b)
	}
	m := medianBreakdown([]breakdown{b, {Before: time.Second}, {Before: 2 * time.Second, AWS: time.Second}})
	if m.Before != time.Second || m.AWS != 100*time.Millisecond {
		t.Errorf("median %+v", m)
	}
}

func TestAxisScale(t *testing.T) {
	for _, c := range []struct{ top, step, end float64 }{
		{10.3, 2, 12}, {280, 50, 300}, {0.9, 0.1, 0.9}, {1000, 100, 1000}, {0, 1, 1},
	} {
		step, end := axisScale(c.top)
		if math.Abs(step-c.step) > 1e-9 || math.Abs(end-c.end) > 1e-9 {
			t.Errorf("axisScale(%g) = %g, %g; want %g, %g", c.top, step, end, c.step, c.end)
		}
	}
}

func TestPlotDrawsTheCurve(t *testing.T) {
	img := plotCDF([]time.Duration{time.Second, 2 * time.Second, 4 * time.Second}, "title", "seconds", nil)
	if b := img.Bounds(); b.Dx() != plotW || b.Dy() != plotH {
		t.Fatalf("size %v", b)
	}
	// The curve reaches 100% at 4s, the right end of a 0-4s axis.
	if got := img.RGBAAt(plotX1, plotY1); got != blue {
		t.Errorf("top right corner is %v, want the curve's colour", got)
	}
}
