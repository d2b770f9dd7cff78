package testnet

import (
	"strings"
	"sync"
	"time"
)

// Buffer is a strings.Builder a server's goroutines write to (a log) while
// the test reads it.
type Buffer struct {
	mu      sync.Mutex
	b       strings.Builder
	changed chan struct{} // closed by the next Write; made by Wait
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Wait returns the text once it contains every string in want, and
// whether it did before timeout.  A server logs a request after it has
// answered, so a test that has the answer must wait for the log line.
func (s *Buffer) Wait(timeout time.Duration, want ...string) (string, bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		text := s.b.String()
		all := true
		for _, w := range want {
			all = all && strings.Contains(text, w)
		}
		if all {
			s.mu.Unlock()
			return text, true
		}
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			return s.String(), false
		}
	}
}
