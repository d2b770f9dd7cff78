package selftest

import (
	"fmt"
	"sync/atomic"
	"time"
)

// testSleep checks time.Sleep(10ms) five times. In the kernel a sleep
// must never return early and must return within 50 ms, four times of
// five: one late wake-up is allowed because QEMU is itself a process on a
// shared host and may not run for a while, while a slow timer makes every
// sleep late. On the host the test checks its own logic, not Linux's
// timers, which a loaded machine makes late: never early, each within
// hostLate.
func testSleep() error {
	const d, runs = 10 * time.Millisecond, 5
	limit, need := 50*time.Millisecond, runs-1
	if !inKernel {
		limit, need = hostLate, runs
	}
	var took []time.Duration
	inWindow := 0
	for i := 0; i < runs; i++ {
		start := time.Now()
		time.Sleep(d)
		t := time.Since(start)
		if t < d {
			return fmt.Errorf("time.Sleep(%v) returned after %v", d, t)
		}
		if t <= limit {
			inWindow++
		}
		took = append(took, t)
	}
	if inWindow < need {
		return fmt.Errorf("time.Sleep(%v) took %v: %d within %v, want %d", d, took, inWindow, limit, need)
	}
	return nil
}

// hostLate bounds how late a timer may fire in a host run of the tests:
// far beyond any timer bug worth finding there, and beyond what a loaded
// machine does to a runnable process.
const hostLate = 5 * time.Second

// testTicker takes 10 ticks of a 5 ms ticker: no sooner than 45 ms, and
// not absurdly later (2 s in the kernel, hostLate on the host).
func testTicker() error {
	const period, n = 5 * time.Millisecond, 10
	late := 2 * time.Second
	if !inKernel {
		late = hostLate
	}
	tk := time.NewTicker(period)
	defer tk.Stop()
	start := time.Now()
	for i := 0; i < n; i++ {
		select {
		case <-tk.C:
		case <-time.After(late):
			return fmt.Errorf("tick %d did not come within %v", i, late)
		}
	}
	if t := time.Since(start); t < (n-1)*period || t > late {
		return fmt.Errorf("%d ticks of %v took %v", n, period, t)
	}
	return nil
}

// testTimers checks that timers never fire early (three armed out of
// order), that a stopped timer never fires, that Reset re-arms one, and
// that AfterFunc runs its function exactly once. (The order in which
// AfterFunc functions run is not checked: each runs on a new goroutine,
// and two that come due together may be scheduled either way.)
func testTimers() error {
	type firing struct{ due, at time.Duration }
	fired := make(chan firing, 3)
	start := time.Now()
	for _, ms := range []int{30, 10, 20} {
		due := time.Duration(ms) * time.Millisecond
		time.AfterFunc(due, func() { fired <- firing{due, time.Since(start)} })
	}
	for i := 0; i < 3; i++ {
		select {
		case f := <-fired:
			if f.at < f.due {
				return fmt.Errorf("a %v timer fired after %v", f.due, f.at)
			}
		case <-time.After(5 * time.Second):
			return fmt.Errorf("only %d of 3 timers fired within 5s", i)
		}
	}

	stopped := time.NewTimer(10 * time.Millisecond)
	if !stopped.Stop() {
		return fmt.Errorf("Stop of a pending timer returned false")
	}
	later := time.NewTimer(40 * time.Millisecond) // well after stopped was due
	select {
	case <-stopped.C:
		return fmt.Errorf("a stopped timer fired")
	case <-later.C:
	}

	stopped.Reset(5 * time.Millisecond)
	select {
	case <-stopped.C:
	case <-time.After(5 * time.Second):
		return fmt.Errorf("a reset timer did not fire within 5s")
	}

	var calls atomic.Int32
	once := make(chan struct{}, 2)
	time.AfterFunc(time.Millisecond, func() { calls.Add(1); once <- struct{}{} })
	select {
	case <-once:
	case <-time.After(5 * time.Second):
		return fmt.Errorf("AfterFunc did not run within 5s")
	}
	time.Sleep(20 * time.Millisecond) // time for a wrong second call to show
	if c := calls.Load(); c != 1 {
		return fmt.Errorf("AfterFunc ran %d times", c)
	}
	return nil
}
