package main

import (
	"context"
	"sync"
	"time"

	"github.com/tenantstorage/tenantstorage-operator/internal/harness"
)

// sampler counts one manager's open file descriptors four times a second
// until it exits or ctx ends, and keeps the peak: the manager's
// connections, which its memory follows. It reads /proc rather than the
// metrics endpoint, whose every scrape would cost the manager CPU (tens
// of thousands of series with a large fleet).
type sampler struct {
	mu      sync.Mutex
	peakFDs int
}

func sample(ctx context.Context, m *harness.Manager) *sampler {
	s := &sampler{}
	go func() {
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-m.Exited():
				return
			case <-tick.C:
			}
			if n, err := m.OpenFDs(); err == nil {
				s.mu.Lock()
				s.peakFDs = max(s.peakFDs, n)
				s.mu.Unlock()
			}
		}
	}()
	return s
}

// peak returns the most open file descriptors seen so far.
func (s *sampler) peak() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peakFDs
}
