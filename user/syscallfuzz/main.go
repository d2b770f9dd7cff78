// Command syscallfuzz makes random system calls with random arguments, to
// show that the kernel never panics, hangs or leaks, whatever a process
// asks.  The calls run in a child process, restarted whenever it dies (a
// random munmap or rt_sigreturn easily kills it).  A call that blocks (a
// futex wait or a sleep with random arguments, say) is interrupted by a
// signal after about 20 ms; a watchdog kills a child that makes no
// progress for 5 s all the same and starts another.
//
//	syscallfuzz [-n CALLS] [-seed N] [-safe]
//
// CALLS defaults to $FUZZCALLS or 10,000.  On Scone every call is fair
// game except the few that reach outside the child (kill of other
// processes, reboot, setting the clock or host name) or multiply it
// (fork, clone, exec).  On a Linux host it always uses -safe: a short
// list of calls that cannot harm the machine, checking only the harness.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"scone/user/internal/self"
)

var (
	calls = flag.Int("n", envInt("FUZZCALLS", 10000), "number of system calls")
	seed  = flag.Int64("seed", time.Now().UnixNano(), "random seed")
	safe  = flag.Bool("safe", false, "only calls that are harmless on a Linux host")
	child = flag.String("child", "", "run as the fuzzing child, counting calls in this file")
)

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func main() {
	flag.Parse()
	if self.OnLinuxHost() {
		*safe = true
	}
	if *child != "" {
		os.Exit(fuzz(*child, *seed, *calls, *safe))
	}
	os.Exit(run())
}

// run starts fuzzing children until they have made the calls, and reports.
func run() int {
	dir, err := os.MkdirTemp("", "syscallfuzz")
	if err != nil {
		dir, err = os.MkdirTemp(".", "syscallfuzz") // no /tmp
	}
	if err != nil {
		fmt.Printf("syscallfuzz: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	exe := self.Path()
	counter := filepath.Join(dir, "count")
	scratch := filepath.Join(dir, "scratch")
	before, err := settled()
	if err != nil {
		fmt.Printf("syscallfuzz: %v\n", err)
		return 1
	}
	start := time.Now()
	done, restarts, hung, interrupts := 0, 0, 0, 0
	deaths := map[string]int{}
	for i := int64(0); done < *calls; i++ {
		os.RemoveAll(scratch)
		os.Mkdir(scratch, 0o777)
		os.WriteFile(counter, []byte("0"), 0o666)
		cmd := exec.Command(exe, "-child", counter, "-seed", strconv.FormatInt(*seed+i, 10),
			"-n", strconv.Itoa(*calls-done), "-safe="+strconv.FormatBool(*safe))
		cmd.Dir = scratch
		// Standard input and output are /dev/null (nil): random writes
		// to fd 1 must not reach the console.  Random descriptors start
		// above 2, so only the Go runtime writes to standard error: why
		// a child died.
		var stderr capped
		cmd.Stderr = &stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			fmt.Printf("syscallfuzz: start child: %v\n", err)
			return 1
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		last, lastChange := -1, time.Now()
	watch:
		for {
			select {
			case <-exited:
				break watch
			case <-time.After(200 * time.Millisecond):
			}
			if n, _ := readCount(counter); n != last {
				last, lastChange = n, time.Now()
			} else if time.Since(lastChange) > watchdog {
				syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				hung++
				select {
				case <-exited:
				case <-time.After(10 * time.Second):
					fmt.Printf("syscallfuzz: child %d survives SIGKILL for 10 s\n", cmd.Process.Pid)
					return 1
				}
				break watch
			}
		}
		// Its threads or children may live on in its group.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		n, sent := readCount(counter)
		done += max(n, 1) // a child that dies at once still made a call
		interrupts += sent
		ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if !(ws.Exited() && ws.ExitStatus() == 0) {
			restarts++
			why := describe(ws, stderr.b)
			if deaths[why] == 0 && len(stderr.b) > 0 {
				// The first of each kind at length (40 lines): the
				// signal, the PC and the goroutine, for whoever looks.
				lines := strings.SplitN(string(stderr.b), "\n", 41)
				fmt.Printf("syscallfuzz: child (seed %d) ended by %s:\n    %s\n", *seed+i, why, strings.Join(lines[:min(len(lines), 40)], "\n    "))
			}
			deaths[why]++
		}
	}
	d := time.Since(start)
	fmt.Printf("syscallfuzz: %d calls in %v (%.0f/s), seed %d, %d restarts, %d watchdog kills, %d blocked calls interrupted\n",
		done, d.Round(time.Millisecond), float64(done)/d.Seconds(), *seed, restarts, hung, interrupts)
	var ds []string
	for k, v := range deaths {
		ds = append(ds, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(ds)
	if len(ds) > 0 {
		fmt.Printf("syscallfuzz: children ended by: %s\n", strings.Join(ds, "; "))
	}
	if err := exec.Command(exe, "-n", "0", "-child", counter).Run(); err != nil {
		fmt.Printf("syscallfuzz: FAIL: a new process after fuzzing: %v\n", err)
		return 1
	}
	os.RemoveAll(scratch) // what the children made in it is the disk's, not memory
	after, err := settled()
	if err != nil {
		fmt.Printf("syscallfuzz: %v\n", err)
		return 1
	}
	fmt.Printf("syscallfuzz: available memory %d KiB before, %d KiB after\n", before, after)
	if !self.OnLinuxHost() && before-after > memSlack {
		fmt.Printf("syscallfuzz: FAIL: %d KiB of memory not returned\n", before-after)
		return 1
	}
	fmt.Println("syscallfuzz: ok")
	return 0
}

// watchdog is how long a child may go without counting progress (every
// 64 calls) before it is killed: long enough for 64 slow calls (a sync
// under TCG) and a few interrupted ones, since the interrupter ends the
// calls that block.
const watchdog = 5 * time.Second

// memSlack is how much less memory may be available after the run than
// before (KiB): the kernel's high-water marks, as usertests allows.
const memSlack = 4096

// settled is MemAvailable in KiB once the machine has let go of what it
// can (self.Settle).
func settled() (int64, error) {
	if err := self.Settle(); err != nil {
		return 0, err
	}
	return self.MemAvailable(), nil
}

// readCount reads the child's count file: calls made and signals its
// interrupter sent.
func readCount(file string) (calls, sent int) {
	b, _ := os.ReadFile(file)
	f := strings.Fields(string(b))
	if len(f) > 0 {
		calls, _ = strconv.Atoi(f[0])
	}
	if len(f) > 1 {
		sent, _ = strconv.Atoi(f[1])
	}
	return calls, sent
}

// describe names how a child ended, with the Go runtime's reason from
// its standard error if it gave one ("exit 2 (fatal error: ...)").
func describe(ws syscall.WaitStatus, stderr []byte) string {
	how := fmt.Sprintf("exit %d", ws.ExitStatus())
	if ws.Signaled() {
		how = ws.Signal().String()
	}
	for _, l := range strings.Split(string(stderr), "\n") {
		for _, p := range []string{"fatal error: ", "panic: ", "runtime: ", "unexpected ", "unended call "} {
			if strings.HasPrefix(l, p) {
				return fmt.Sprintf("%s (%.120s)", how, l)
			}
		}
	}
	return how
}

// capped keeps the first 4 KiB written to it.
type capped struct{ b []byte }

func (c *capped) Write(p []byte) (int, error) {
	c.b = append(c.b, p[:min(len(p), 4096-len(c.b))]...)
	return len(p), nil
}
