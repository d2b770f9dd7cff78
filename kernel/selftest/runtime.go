package selftest

import (
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// testThreads locks 8 goroutines to their own OS threads, so the runtime
// must clone new threads, and has them hand work round through channels:
// every hand-off is a futex wake of another thread.
func testThreads() error {
	const n, rounds = 8, 200
	chans := make([]chan int, n)
	for i := range chans {
		chans[i] = make(chan int, 1)
	}
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			for r := 0; r < rounds; r++ {
				v := <-chans[i]
				chans[(i+1)%n] <- v + 1
			}
		}(i)
	}
	chans[0] <- 0
	wg.Wait()
	if v := <-chans[0]; v != n*rounds {
		return fmt.Errorf("token = %d, want %d", v, n*rounds)
	}
	return nil
}

// testFinalizer drops an object with a finalizer and collects until the
// runtime's finalizer goroutine has run it, for up to 10 s (a bound on
// time, not on collections, so that a loaded host cannot fail it).
func testFinalizer() error {
	ran := make(chan struct{})
	func() {
		obj := new([64]byte)
		runtime.SetFinalizer(obj, func(*[64]byte) { close(ran) })
	}()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for i := 1; i <= 1000; i++ {
		runtime.GC()
		select {
		case <-ran:
			return nil
		case <-deadline.C:
			return fmt.Errorf("finalizer did not run within 10s (%d collections)", i)
		case <-time.After(10 * time.Millisecond):
		}
	}
	return fmt.Errorf("finalizer did not run after 1000 collections")
}

// testClock reads the clock 100,000 times: the monotonic reading never
// goes back, and across a 20 ms sleep it agrees with the wall clock.
func testClock() error {
	prev := time.Now()
	for i := 0; i < 100_000; i++ {
		now := time.Now()
		if now.Before(prev) {
			return fmt.Errorf("clock went back from %v to %v", prev, now)
		}
		prev = now
	}
	// Both spans come from the same two readings, so the check does not
	// depend on when this goroutine runs.
	start := time.Now()
	time.Sleep(20 * time.Millisecond)
	end := time.Now()
	mono := end.Sub(start)
	wall := end.Round(0).Sub(start.Round(0)) // Round(0) drops the monotonic reading
	if diff := mono - wall; diff < -5*time.Millisecond || diff > 5*time.Millisecond {
		return fmt.Errorf("over a 20ms sleep the monotonic clock advanced %v, the wall clock %v", mono, wall)
	}
	if start.Year() < 2020 {
		return fmt.Errorf("wall clock says %v", start)
	}
	return nil
}

// NoSuchSyscall is a system-call number Linux x86-64 leaves unused (between
// rseq, 334, and pidfd_send_signal, 424). The machine layer logs it once,
// "scone: unknown system call 335 (ENOSYS)"; tests/qemu counts the lines.
const NoSuchSyscall = 335

// testENOSYS makes a system call that does not exist three times: each
// must fail with ENOSYS. It runs only in the kernel (the host's own
// kernel, or a sandbox around it, may answer with a signal instead).
func testENOSYS() error {
	for i := 0; i < 3; i++ {
		if _, _, e := syscall.Syscall(NoSuchSyscall, 0, 0, 0); e != syscall.ENOSYS {
			return fmt.Errorf("system call %d failed with %d (%v), want ENOSYS", NoSuchSyscall, int(e), e)
		}
	}
	return nil
}
