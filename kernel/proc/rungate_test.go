package proc

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestRunGate runs 64 goroutines through a gate of 4 many times: never
// more than 4 inside, and nobody is left waiting (a lost wake-up would
// hang, which the deadline catches).
func TestRunGate(t *testing.T) {
	g := newRunGate(4)
	var inside, worst atomic.Int32
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				g.enter()
				n := inside.Add(1)
				for {
					w := worst.Load()
					if n <= w || worst.CompareAndSwap(w, n) {
						break
					}
				}
				time.Sleep(10 * time.Microsecond) // a while inside, so that others pile up
				inside.Add(-1)
				g.leave()
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("goroutines still waiting at the gate after 30 s: a lost wake-up")
	}
	if w := worst.Load(); w != 4 {
		t.Errorf("at most %d inside at once, want 4", w)
	}
	if n := g.in.Load(); n != 0 {
		t.Errorf("gate count %d after everyone left", n)
	}
}
