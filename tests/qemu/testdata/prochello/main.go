// Command prochello is the first user program the process tests run as
// /bin/init (tests/qemu/proc_test.go): it uses the Go runtime's threads,
// garbage collector and memory calls, forks and execs itself,
// and reports by its exit status (42: every check passed; other values
// say which failed) and a line on stderr per check.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

var start = time.Now()

// step reports a finished check and the time since the start.
func step(name string) {
	fmt.Fprintf(os.Stderr, "prochello: %s ok at %v\n", name, time.Since(start).Round(time.Millisecond))
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "child" {
		os.Exit(7)
	}
	// Goroutines on several threads, with timers.
	var wg sync.WaitGroup
	var mu sync.Mutex
	sum := 0
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			time.Sleep(time.Duration(i) * time.Millisecond)
			mu.Lock()
			sum += i
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	if sum != 190 {
		os.Exit(10)
	}
	step("goroutines")
	// Memory: a big allocation, the collector, and it is all still there.
	big := make([]byte, 64<<20)
	for i := range big {
		big[i] = byte(i)
	}
	runtime.GC()
	for i := 0; i < len(big); i += 4096 {
		if big[i] != byte(i) {
			os.Exit(11)
		}
	}
	big = nil
	runtime.GC()
	if os.Getpid() != 1 || os.Getppid() != 0 {
		os.Exit(12)
	}
	step("memory")
	// Signals: a handled SIGUSR1 (os/signal), and a nil dereference that
	// is a SIGSEGV the runtime turns into a recoverable panic.
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR1)
	syscall.Kill(os.Getpid(), syscall.SIGUSR1)
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		os.Exit(18)
	}
	if !nilRecovered() {
		os.Exit(19)
	}
	step("signals")
	// fork + execve + wait4, the raw way (no file calls needed).
	path, _ := syscall.BytePtrFromString("/bin/init")
	arg1, _ := syscall.BytePtrFromString("child")
	argv := []*byte{path, arg1, nil}
	envv := []*byte{nil}
	pid, _, e := syscall.RawSyscall(syscall.SYS_FORK, 0, 0, 0)
	if e != 0 {
		os.Exit(13)
	}
	if pid == 0 {
		syscall.RawSyscall(syscall.SYS_EXECVE, uintptr(unsafe.Pointer(path)),
			uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envv[0])))
		syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 99, 0, 0)
	}
	var ws syscall.WaitStatus
	got, err := syscall.Wait4(int(pid), &ws, 0, nil)
	if err != nil || got != int(pid) || !ws.Exited() || ws.ExitStatus() != 7 {
		os.Exit(14)
	}
	step("fork+exec+wait")
	// SIGKILL ends a child that spins in ring 3 and never traps.
	spin, _, e := syscall.RawSyscall(syscall.SYS_FORK, 0, 0, 0)
	if e != 0 {
		os.Exit(16)
	}
	if spin == 0 {
		for {
		}
	}
	// Job control: SIGSTOP stops it (wait4 WUNTRACED), SIGCONT goes on
	// (WCONTINUED).
	syscall.Kill(int(spin), syscall.SIGSTOP)
	got, err = syscall.Wait4(int(spin), &ws, syscall.WUNTRACED, nil)
	if err != nil || got != int(spin) || !ws.Stopped() || ws.StopSignal() != syscall.SIGSTOP {
		os.Exit(20)
	}
	syscall.Kill(int(spin), syscall.SIGCONT)
	got, err = syscall.Wait4(int(spin), &ws, syscall.WCONTINUED, nil)
	if err != nil || got != int(spin) || !ws.Continued() {
		os.Exit(21)
	}
	syscall.Kill(int(spin), syscall.SIGKILL)
	got, err = syscall.Wait4(int(spin), &ws, 0, nil)
	if err != nil || got != int(spin) || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		os.Exit(17)
	}
	step("stop, continue and kill a spinning child")
	// A missing program is ENOENT and the caller goes on.
	if err := syscall.Exec("/bin/missing", []string{"missing"}, nil); err != syscall.ENOENT {
		os.Exit(15)
	}
	os.Exit(42)
}

// nilRecovered dereferences a nil pointer and reports whether the panic
// came back as a runtime error.
func nilRecovered() (ok bool) {
	defer func() {
		_, ok = recover().(runtime.Error)
	}()
	var p *int
	return *p == 1
}
