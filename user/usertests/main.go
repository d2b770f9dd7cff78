// Command usertests tests the kernel from user space, in the spirit of
// xv6's usertests: processes, exec, bad pointers, pipes, signals, limits,
// memory exhaustion, files and the shell.  Each test runs in its own
// child process (this program re-executed with -run NAME), so a test that
// crashes or hangs fails alone.  The last line is
//
//	usertests: N passed, M failed
//
// and the exit status is 0 only if all passed.  It passes on Linux too
// (as root or not, in any directory it can write): that checks the tests.
//
//	usertests [-v] [TEST...]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	me "scone/user/internal/self"
)

// A test returns nil if the kernel behaved.
type test struct {
	name string
	fn   func() error
}

// tests run in this order; the memory check wraps them all.
var tests []test

func register(name string, fn func() error) { tests = append(tests, test{name, fn}) }

var (
	runOne  = flag.String("run", "", "run one test in this process (used by the runner)")
	child   = flag.String("child", "", "act as a helper process for a test")
	verbose = flag.Bool("v", false, "print each test's output")
)

func main() {
	flag.Parse()
	switch {
	case *child != "":
		os.Exit(helper(*child, flag.Args()))
	case *runOne != "":
		for _, t := range tests {
			if t.name == *runOne {
				if err := t.fn(); err != nil {
					fmt.Println(err)
					os.Exit(1)
				}
				os.Exit(0)
			}
		}
		fmt.Printf("no test %q\n", *runOne)
		os.Exit(2)
	}
	os.Exit(runAll(flag.Args()))
}

// runAll runs the named tests (all if none) in a scratch directory and
// prints one line for each and the summary.
func runAll(names []string) int {
	dir, err := os.MkdirTemp("", "usertests")
	if err != nil {
		dir, err = os.MkdirTemp(".", "usertests")
	}
	if err != nil {
		fmt.Printf("usertests: no scratch directory: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o777) // the fork bomb runs as nobody on a Linux host
	os.Chdir(dir)
	before := memFree()
	passed, failed := 0, 0
	for _, t := range tests {
		if len(names) > 0 && !contains(names, t.name) {
			continue
		}
		start := time.Now()
		out, err := runChild(t.name, 5*time.Minute) // TCG on a loaded host is slow
		d := time.Since(start).Round(time.Millisecond)
		if err == nil {
			passed++
			fmt.Printf("usertests: %-14s ok (%v)\n", t.name, d)
		} else {
			failed++
			fmt.Printf("usertests: %-14s FAIL (%v): %v\n", t.name, d, err)
		}
		if (err != nil || *verbose) && len(out) > 0 {
			for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
				fmt.Printf("    %s\n", l)
			}
		}
	}
	if len(names) == 0 {
		if err := checkMemory(before); err != nil {
			failed++
			fmt.Printf("usertests: %-14s FAIL: %v\n", "memory", err)
		} else {
			passed++
		}
	}
	fmt.Printf("usertests: %d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return 1
	}
	return 0
}

// runChild runs one test in a child process, killed after limit.
func runChild(name string, limit time.Duration) ([]byte, error) {
	cmd := exec.Command(self(), "-run", name)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return out.Bytes(), fmt.Errorf("%v", err)
		}
		return out.Bytes(), nil
	case <-time.After(limit):
		cmd.Process.Kill()
		<-done
		return out.Bytes(), fmt.Errorf("no result within %v", limit)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// selfPath is this program's absolute path, found before any test
// changes directory.
var selfPath = me.Path()

// self is this program's path, for starting helpers and reading itself.
func self() string { return selfPath }

func onLinuxHost() bool { return me.OnLinuxHost() }
