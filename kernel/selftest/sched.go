package selftest

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// testRing passes a token 100 times round a ring of 1,000 goroutines
// joined by channels; this goroutine closes the ring, so that it can count
// the laps. Every hop parks one goroutine and wakes the next.
func testRing() error {
	const n, laps = 1000, 100
	chans := make([]chan int, n+1)
	for i := range chans {
		chans[i] = make(chan int)
	}
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(in <-chan int, out chan<- int) {
			defer wg.Done()
			defer close(out)
			for v := range in {
				out <- v + 1
			}
		}(chans[i], chans[i+1])
	}
	token := 0
	for lap := 0; lap < laps; lap++ {
		chans[0] <- token
		token = <-chans[n]
	}
	close(chans[0]) // each goroutine closes the next channel as it leaves
	if _, open := <-chans[n]; open {
		return fmt.Errorf("ring did not shut down")
	}
	wg.Wait()
	if token != n*laps {
		return fmt.Errorf("token = %d after %d laps of %d, want %d", token, laps, n, n*laps)
	}
	return nil
}

// testMutex has 100 goroutines increment a counter 1,000 times each under
// a mutex: contention puts goroutines to sleep in futex waits.
func testMutex() error {
	const g, n = 100, 1000
	var mu sync.Mutex
	var wg sync.WaitGroup
	count := 0
	for i := 0; i < g; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < n; j++ {
				mu.Lock()
				count++
				if j%100 == 0 {
					runtime.Gosched() // hold the lock across a switch
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if count != g*n {
		return fmt.Errorf("count = %d, want %d", count, g*n)
	}
	return nil
}

// testRandom reads from crypto/rand (getrandom): two reads must differ and
// neither may be constant.
func testRandom() error {
	a, b := make([]byte, 64), make([]byte, 64)
	if _, err := rand.Read(a); err != nil {
		return err
	}
	if _, err := rand.Read(b); err != nil {
		return err
	}
	if bytes.Equal(a, b) || bytes.Count(a, a[:1]) == len(a) {
		return fmt.Errorf("random bytes repeat: %x %x", a, b)
	}
	return nil
}

// testSpinGC runs a goroutine in a loop with no function calls, and so no
// cooperative preemption point, while runtime.GC stops the world: it can
// complete only if the spinner is preempted asynchronously (SIGURG). One P
// makes the test as strict on the host as in the kernel.
func testSpinGC() error {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	var started, stop int32
	spun := make(chan uint64, 1)
	go func() {
		atomic.StoreInt32(&started, 1)
		// The bound turns a missing preemption into a failure instead of
		// a hang: the world cannot restart until the spinner stops.
		var n uint64
		for atomic.LoadInt32(&stop) == 0 && n < spinLimit { // no calls
			n++
		}
		spun <- n
	}()
	deadline := time.Now().Add(10 * time.Second)
	for atomic.LoadInt32(&started) == 0 {
		if time.Now().After(deadline) {
			atomic.StoreInt32(&stop, 1)
			return fmt.Errorf("spinner did not start")
		}
		runtime.Gosched()
	}
	gcDone := make(chan struct{})
	go func() {
		runtime.GC()
		close(gcDone)
	}()
	var err error
	select {
	case <-gcDone:
	case <-time.After(20 * time.Second):
		err = fmt.Errorf("runtime.GC did not finish within 20s beside a spinning goroutine")
	}
	atomic.StoreInt32(&stop, 1)
	switch n := <-spun; {
	case err != nil:
	case n == spinLimit:
		err = fmt.Errorf("runtime.GC finished only when the spinner gave up after %d iterations: no asynchronous preemption", n)
	case n == 0:
		err = fmt.Errorf("the spinner never ran")
	}
	return err
}

// spinLimit is seconds of spinning on the host and tens under emulation:
// far beyond the 10 ms after which the runtime preempts a running goroutine.
const spinLimit = 4e9
