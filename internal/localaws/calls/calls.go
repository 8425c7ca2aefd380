// Package calls records every request the emulator answered, like a
// CloudTrail that tests can assert on exactly: who called what, what it
// touched and how it ended.
package calls

import (
	"sync"
	"time"
)

// Call is one answered request, or one call a service made on the caller's
// behalf (Via set, e.g. S3 calling KMS for an SSE-KMS object).
type Call struct {
	Seq  int64     `json:"seq"`
	Time time.Time `json:"time"`
	// Principal is the caller's ARN (assumed-role ARN for sessions); empty
	// when the request failed authentication.
	Principal   string `json:"principal,omitempty"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
	Service     string `json:"service"`
	Operation   string `json:"operation"`
	// Outcome is "OK" or the error code answered; "ConnectionReset" for an
	// injected reset, "ClientGone" when the client hung up during injected
	// latency.
	Outcome string `json:"outcome"`
	Status  int    `json:"status,omitempty"`
	Bucket  string `json:"bucket,omitempty"`
	Key     string `json:"key,omitempty"`
	KMSKey  string `json:"kmsKey,omitempty"`
	Via     string `json:"via,omitempty"`
}

// Filter selects calls; empty fields match everything.
type Filter struct {
	Principal string `json:"principal,omitempty"`
	Service   string `json:"service,omitempty"`
	Operation string `json:"operation,omitempty"`
}

func (f Filter) match(c *Call) bool {
	return (f.Principal == "" || f.Principal == c.Principal) &&
		(f.Service == "" || f.Service == c.Service) &&
		(f.Operation == "" || f.Operation == c.Operation)
}

// Recorder keeps the calls in order.
type Recorder struct {
	mu    sync.Mutex
	calls []Call
	seq   int64
}

// Add appends a call, numbering it.
func (r *Recorder) Add(c Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	c.Seq = r.seq
	r.calls = append(r.calls, c)
}

// List returns the matching calls in the order they were answered.
func (r *Recorder) List(f Filter) []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := []Call{}
	for i := range r.calls {
		if f.match(&r.calls[i]) {
			out = append(out, r.calls[i])
		}
	}
	return out
}

// Reset forgets all calls (numbering continues, so a stale Seq is never
// mistaken for a new call).
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = nil
}
