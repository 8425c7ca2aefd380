package main

import (
	"cmp"
	"slices"
	"time"

	"github.com/tenantstorage/tenantstorage-operator/internal/localaws"
)

// opCount is how many calls of one operation were made.
type opCount struct {
	Op    string // "service Operation"
	Count int
}

// callStats sums up call records.
type callStats struct {
	// ByOp counts the operator's own calls for tenants (retries included:
	// each attempt is a call), by operation.
	ByOp []opCount
	// Via counts the calls services made for the operator's (S3 asking KMS
	// for the probe object's data key): they count against the customer's
	// KMS quota, not the operator's rate limit.
	Via []opCount
	// Total is the operator's calls, the base identity's included.
	Total int
	// Throttled is the calls answered with a throttling error; the SDK
	// retries them, so they are also in ByOp. ThrottledByOp splits them.
	Throttled     int
	ThrottledByOp map[string]int
	// BaseAssumeRoles is the base identity's AssumeRole calls: the service
	// role's session, shared by every tenant (not in ByOp).
	BaseAssumeRoles int
	// PeakPerSecond is the most calls that arrived within one second of the
	// clock (the window localaws's rate limit counts in).
	PeakPerSecond int
}

// throttlingCodes are the three services' throttling errors.
var throttlingCodes = []string{"Throttling", "SlowDown", "ThrottlingException"}

// summarize counts the records; baseIdentity is the base identity's ARN.
func summarize(records []localaws.Call, baseIdentity string) callStats {
	s := callStats{ThrottledByOp: map[string]int{}}
	own, via := map[string]int{}, map[string]int{}
	perSecond := map[int64]int{}
	for _, c := range records {
		op := c.Service + " " + c.Operation
		if c.Via != "" {
			via[op]++
			continue
		}
		s.Total++
		perSecond[c.Time.Unix()]++
		if slices.Contains(throttlingCodes, c.Outcome) {
			s.Throttled++
			s.ThrottledByOp[op]++
		}
		if c.Principal == baseIdentity && c.Operation == "AssumeRole" {
			s.BaseAssumeRoles++
			continue
		}
		own[op]++
	}
	for _, n := range perSecond {
		s.PeakPerSecond = max(s.PeakPerSecond, n)
	}
	s.ByOp, s.Via = sortedCounts(own), sortedCounts(via)
	return s
}

// forTenants is the calls made for tenants: all but the base identity's.
func (s callStats) forTenants() int { return s.Total - s.BaseAssumeRoles }

// sortedCounts lists counts by service, then by descending count.
func sortedCounts(m map[string]int) []opCount {
	out := make([]opCount, 0, len(m))
	for op, n := range m {
		out = append(out, opCount{op, n})
	}
	slices.SortFunc(out, func(a, b opCount) int {
		return cmp.Or(cmp.Compare(serviceOrder(a.Op), serviceOrder(b.Op)), cmp.Compare(b.Count, a.Count), cmp.Compare(a.Op, b.Op))
	})
	return out
}

// serviceOrder lists STS first, as a verification calls it first.
func serviceOrder(op string) int {
	for i, prefix := range []string{"sts ", "s3 ", "kms "} {
		if len(op) >= len(prefix) && op[:len(prefix)] == prefix {
			return i
		}
	}
	return 3
}

// since returns the records numbered after seq.
func since(records []localaws.Call, seq int64) []localaws.Call {
	i, _ := slices.BinarySearchFunc(records, seq+1, func(c localaws.Call, s int64) int { return cmp.Compare(c.Seq, s) })
	return records[i:]
}

// lastSeq is the number of the last record, or 0.
func lastSeq(records []localaws.Call) int64 {
	if len(records) == 0 {
		return 0
	}
	return records[len(records)-1].Seq
}

// ownArrivals are the arrival times of the operator's own calls.
func ownArrivals(records []localaws.Call) []time.Time {
	var out []time.Time
	for _, c := range records {
		if c.Via == "" {
			out = append(out, c.Time)
		}
	}
	return out
}
