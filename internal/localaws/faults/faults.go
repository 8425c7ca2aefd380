// Package faults injects failures and a request rate limit into the
// emulator, so tests can show how the operator copes with a slow,
// throttling or broken AWS.
package faults

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Kind is what an injected fault does.
type Kind string

// The fault kinds.
const (
	// Latency delays the request, which then proceeds normally.
	Latency Kind = "latency"
	// Throttle answers the service's throttling error (STS Throttling,
	// S3 SlowDown, KMS ThrottlingException).
	Throttle Kind = "throttle"
	// InternalError answers HTTP 500.
	InternalError Kind = "internal-error"
	// Unavailable answers HTTP 503.
	Unavailable Kind = "unavailable"
	// Reset closes the connection without an answer (TCP RST).
	Reset Kind = "reset"
)

// Fault is one injection rule. Empty Service, Operation and
// PrincipalARNPrefix match everything.
type Fault struct {
	ID                 string `json:"id,omitempty"` // assigned by Add
	Service            string `json:"service,omitempty"`
	Operation          string `json:"operation,omitempty"`
	PrincipalARNPrefix string `json:"principalArnPrefix,omitempty"`
	Kind               Kind   `json:"kind"`
	LatencyMillis      int    `json:"latencyMs,omitempty"`
	// Count is how many more requests the fault applies to; 0 means until
	// it is removed.
	Count int `json:"count,omitempty"`
}

// Injector holds the active faults and the rate limit.
type Injector struct {
	mu     sync.Mutex
	faults []*Fault
	nextID int

	perSecond int
	window    int64 // the Unix second being counted
	inWindow  int
}

// Add validates and activates a fault, returning it with its ID.
func (in *Injector) Add(f Fault) (Fault, error) {
	switch f.Kind {
	case Latency:
		if f.LatencyMillis <= 0 {
			return Fault{}, fmt.Errorf("a latency fault needs latencyMs > 0")
		}
	case Throttle, InternalError, Unavailable, Reset:
		if f.LatencyMillis != 0 {
			return Fault{}, fmt.Errorf("latencyMs is only valid for kind latency")
		}
	default:
		return Fault{}, fmt.Errorf("fault kind %q must be latency, throttle, internal-error, unavailable or reset", f.Kind)
	}
	switch f.Service {
	case "", "sts", "s3", "kms":
	default:
		return Fault{}, fmt.Errorf("service %q must be sts, s3, kms or empty", f.Service)
	}
	if f.Count < 0 {
		return Fault{}, fmt.Errorf("count must not be negative")
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.nextID++
	f.ID = "fault-" + strconv.Itoa(in.nextID)
	in.faults = append(in.faults, &f)
	return f, nil
}

// Remove deactivates one fault; it reports whether it was active.
func (in *Injector) Remove(id string) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	for i, f := range in.faults {
		if f.ID == id {
			in.faults = append(in.faults[:i], in.faults[i+1:]...)
			return true
		}
	}
	return false
}

// Clear removes every fault (the rate limit stays).
func (in *Injector) Clear() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.faults = nil
}

// List returns the active faults with their remaining counts.
func (in *Injector) List() []Fault {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make([]Fault, len(in.faults))
	for i, f := range in.faults {
		out[i] = *f
	}
	return out
}

// Match consumes the faults that apply to a request: the sum of the
// matching latency faults, then the first matching failing fault (Kind ""
// when none).
func (in *Injector) Match(service, operation, principal string) (time.Duration, Kind) {
	in.mu.Lock()
	defer in.mu.Unlock()
	var delay time.Duration
	var kind Kind
	kept := in.faults[:0]
	for _, f := range in.faults {
		applies := (f.Service == "" || f.Service == service) &&
			(f.Operation == "" || f.Operation == operation) &&
			strings.HasPrefix(principal, f.PrincipalARNPrefix) &&
			(f.Kind == Latency || kind == "")
		if applies {
			if f.Kind == Latency {
				delay += time.Duration(f.LatencyMillis) * time.Millisecond
			} else {
				kind = f.Kind
			}
			if f.Count > 0 {
				f.Count--
				if f.Count == 0 {
					continue // used up
				}
			}
		}
		kept = append(kept, f)
	}
	in.faults = kept
	return delay, kind
}

// SetRateLimit throttles requests beyond perSecond in any one second of
// the server clock; 0 removes the limit.
func (in *Injector) SetRateLimit(perSecond int) error {
	if perSecond < 0 {
		return fmt.Errorf("rate limit must not be negative")
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.perSecond, in.inWindow = perSecond, 0
	return nil
}

// RateLimit returns the current limit (0: none).
func (in *Injector) RateLimit() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.perSecond
}

// Admit counts a request against the rate limit and reports whether it
// fits. A fixed one-second window keeps the outcome predictable under an
// injected clock.
func (in *Injector) Admit(now time.Time) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.perSecond == 0 {
		return true
	}
	if sec := now.Unix(); sec != in.window {
		in.window, in.inWindow = sec, 0
	}
	if in.inWindow >= in.perSecond {
		return false
	}
	in.inWindow++
	return true
}
