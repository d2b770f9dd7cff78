package proc

import (
	"sync"
	"sync/atomic"
)

// maxInRun bounds the threads in ring 3 at once.  Run is a blocking
// system call of the kernel's runtime, so each of them occupies a machine
// thread; the machine has 512, and the runtime throws if it cannot start
// one.  The others wait in enterRun as parked goroutines, costing no
// machine thread, and take turns as Run returns at the end of each time
// slice.
const maxInRun = 256

// runGate counts the threads inside Run.  Below the bound, entering and
// leaving are an atomic add each (a buffered channel cost a lock and more
// pages touched per trip, and every page counts after the CR3 switch has
// flushed the TLB); waiters sleep on cond.
type runGate struct {
	in      atomic.Int32
	waiting atomic.Int32
	mu      sync.Mutex
	cond    *sync.Cond
	max     int32
}

var gate = newRunGate(maxInRun)

func newRunGate(max int32) *runGate {
	g := &runGate{max: max}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// enter waits for a place inside Run.
func (g *runGate) enter() {
	if g.in.Add(1) <= g.max {
		return
	}
	g.in.Add(-1)
	g.mu.Lock()
	g.waiting.Add(1)
	for {
		// leave decrements in before it looks at waiting, and this adds
		// to waiting before it tries in, so one of the two sees the other.
		if g.in.Add(1) <= g.max {
			break
		}
		g.in.Add(-1)
		g.cond.Wait()
	}
	g.waiting.Add(-1)
	g.mu.Unlock()
}

// leave gives the place back and wakes the waiters, if any.
func (g *runGate) leave() {
	g.in.Add(-1)
	if g.waiting.Load() > 0 {
		g.mu.Lock()
		g.cond.Broadcast()
		g.mu.Unlock()
	}
}
