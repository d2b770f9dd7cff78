// Package selftest holds the tests the booted kernel runs on itself:
// `make qemu KARGS=selftest`, or KARGS=selftest:name,name for some (the
// kernel turns NAME=value words into environment variables, hence ":").
// Each exercises a part of the Go runtime that the machine layer must
// support: threads and futexes, timers, the page allocator and demand
// paging, signals for preemption and faults, stack growth, system calls
// it does not know. The same tests run on the host under `go test`, which
// shows that a test is right before it is used to judge the kernel.
package selftest

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// A Test is one self-test. Run returns nil when the test passed.
type Test struct {
	Name string
	Run  func() error
}

// All is every self-test, in the order they run: cheap ones first, so a
// kernel that breaks early still reports as much as it can.
var All = []Test{
	{"nilderef", testNilDeref},
	{"panics", testPanics},
	{"ring", testRing},
	{"mutex", testMutex},
	{"sleep", testSleep},
	{"ticker", testTicker},
	{"timers", testTimers},
	{"random", testRandom},
	{"clock", testClock},
	{"threads", testThreads},
	{"enosys", testENOSYS},
	{"finalizer", testFinalizer},
	{"spingc", testSpinGC},
	{"map", testMap},
	{"stack", testStack},
	{"alloc", testAlloc},
}

// inKernel is set by Main: the tests run in the booted kernel, on an
// otherwise idle machine, and timing bounds are held strictly.
var inKernel bool

// Timeout bounds each test: a test that hangs is reported as failed and
// the rest still run.
var Timeout = 120 * time.Second

// Run runs tests, printing a line per test and then the summary line
// "selftest: N passed, M failed".
func Run(w io.Writer, tests []Test) (passed, failed int) {
	for _, t := range tests {
		start := time.Now()
		err := runOne(t)
		took := time.Since(start).Round(time.Millisecond)
		if err != nil {
			failed++
			fmt.Fprintf(w, "selftest: %-9s FAIL (%v): %v\n", t.Name, took, err)
		} else {
			passed++
			fmt.Fprintf(w, "selftest: %-9s ok (%v)\n", t.Name, took)
		}
	}
	fmt.Fprintf(w, "selftest: %d passed, %d failed\n", passed, failed)
	return passed, failed
}

// runOne runs t on its own goroutine, turning a panic or a timeout into
// an error.
func runOne(t Test) error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("panic: %v", r)
			}
		}()
		done <- t.Run()
	}()
	timer := time.NewTimer(Timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		return fmt.Errorf("timed out after %v", Timeout)
	}
}

// Main runs the self-tests named by the kernel argument arg and returns
// the exit status for the kernel: 0 only when every test passed.
// arg is "selftest" for all of them or "selftest:name,name" for some.
func Main(w io.Writer, arg string) int {
	inKernel = true
	tests, err := Select(arg)
	if err != nil {
		fmt.Fprintf(w, "selftest: %v\n", err)
		return 2
	}
	if _, failed := Run(w, tests); failed > 0 {
		return 1
	}
	return 0
}

// Select returns the tests that arg names (see Main).
func Select(arg string) ([]Test, error) {
	names, ok := strings.CutPrefix(arg, "selftest:")
	if !ok {
		if arg != "selftest" {
			return nil, fmt.Errorf("bad argument %q (want selftest or selftest:name,...)", arg)
		}
		return All, nil
	}
	var tests []Test
next:
	for _, n := range strings.Split(names, ",") {
		for _, t := range All {
			if t.Name == n {
				tests = append(tests, t)
				continue next
			}
		}
		return nil, fmt.Errorf("no test %q", n)
	}
	return tests, nil
}
