package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	register("sighandler", testSigHandler)
	register("sigmask", testSigMask)
	register("sarestart", testSARestart)
	register("sigkill", testSigKill)
	register("sigdefault", testSigDefault)
}

// testSigHandler: a handled signal sent to ourselves arrives, and SIGCHLD
// arrives when a child exits.
func testSigHandler() error {
	c := make(chan os.Signal, 4)
	signal.Notify(c, syscall.SIGUSR1, syscall.SIGCHLD)
	for i := 0; i < 3; i++ {
		unix.Kill(os.Getpid(), unix.SIGUSR1)
		if err := expectSignal(c, syscall.SIGUSR1); err != nil {
			return err
		}
	}
	exec.Command(self(), "-child", "exit", "0").Run()
	return expectSignal(c, syscall.SIGCHLD)
}

func expectSignal(c chan os.Signal, want os.Signal) error {
	select {
	case s := <-c:
		if s != want {
			return fmt.Errorf("got %v, want %v", s, want)
		}
		return nil
	case <-time.After(5 * time.Second):
		return fmt.Errorf("no %v within 5 s", want)
	}
}

// sigset is a signal set with one signal.
func sigset(sig unix.Signal) *unix.Sigset_t {
	var s unix.Sigset_t
	bit := uint(sig - 1)
	s.Val[bit/64] |= 1 << (bit % 64)
	return &s
}

// testSigMask: a signal blocked on a thread stays pending, shows in
// rt_sigpending, and is delivered once unblocked.
func testSigMask() error {
	c := make(chan os.Signal, 4)
	signal.Notify(c, syscall.SIGUSR2)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var old unix.Sigset_t
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, sigset(unix.SIGUSR2), &old); err != nil {
		return err
	}
	tid := unix.Gettid()
	if err := unix.Tgkill(os.Getpid(), tid, unix.SIGUSR2); err != nil {
		return err
	}
	var pending unix.Sigset_t
	if _, _, e := unix.RawSyscall(unix.SYS_RT_SIGPENDING, ptr(&pending), 8, 0); e != 0 {
		return fmt.Errorf("rt_sigpending: %v", e)
	}
	if pending.Val[0]&sigset(unix.SIGUSR2).Val[0] == 0 {
		return fmt.Errorf("blocked SIGUSR2 not pending: %#x", pending.Val[0])
	}
	select {
	case s := <-c:
		return fmt.Errorf("%v delivered while blocked", s)
	case <-time.After(100 * time.Millisecond):
	}
	unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
	return expectSignal(c, syscall.SIGUSR2)
}

// threadState waits until thread tid of this process sleeps in the
// kernel (state S in /proc), for at most 2 s; on a kernel without
// /proc/PID/task it waits 200 ms.
func threadSleeps(tid int) {
	for i := 0; i < 200; i++ {
		b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/stat", tid))
		if err != nil && i >= 20 {
			return
		}
		if s := string(b); err == nil && strings.Contains(s[strings.LastIndexByte(s, ')'):], ") S ") {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// testSARestart: a read blocked on a pipe is interrupted by a signal with
// a handler installed with SA_RESTART (Go installs all its handlers so),
// and restarts rather than failing with EINTR.
func testSARestart() error {
	c := make(chan os.Signal, 4)
	signal.Notify(c, syscall.SIGUSR1)
	var p [2]int
	if err := unix.Pipe2(p[:], 0); err != nil {
		return err
	}
	tids := make(chan int)
	res := make(chan error)
	go func() {
		runtime.LockOSThread()
		tids <- unix.Gettid()
		b := make([]byte, 4)
		n, err := unix.Read(p[0], b)
		if err == nil && string(b[:n]) != "data" {
			err = fmt.Errorf("read %q", b[:n])
		}
		res <- err
	}()
	tid := <-tids
	threadSleeps(tid)
	for i := 0; i < 3; i++ {
		unix.Tgkill(os.Getpid(), tid, unix.SIGUSR1)
		if err := expectSignal(c, syscall.SIGUSR1); err != nil {
			return err
		}
	}
	select {
	case err := <-res:
		return fmt.Errorf("read returned before any data: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	unix.Write(p[1], []byte("data"))
	select {
	case err := <-res:
		if err != nil {
			return fmt.Errorf("restarted read: %v", err)
		}
	case <-time.After(5 * time.Second):
		return fmt.Errorf("read not done 5 s after data arrived")
	}
	return nil
}

// testSigKill: SIGKILL ends a process blocked in read, in nanosleep and
// in wait4, and one that blocks or ignores every other signal.
func testSigKill() error {
	for _, what := range []string{"block", "sleep", "waitchild", "ignoreall"} {
		cmd := exec.Command(self(), "-child", what)
		// Its own group, so that waitchild's child, orphaned by the
		// SIGKILL, is killed after it rather than sleeping on for an hour.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		pr, pw, _ := os.Pipe()
		cmd.Stdin = pr // never written: "block" reads it for ever
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			return err
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if line != "ready\n" {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			return fmt.Errorf("%s helper: %q, %v", what, line, err)
		}
		threadSleeps(cmd.Process.Pid) // the main thread, at least, blocks
		start := time.Now()
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		pr.Close()
		pw.Close()
		ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			return fmt.Errorf("%s helper after SIGKILL: %v", what, cmd.ProcessState)
		}
		if d := time.Since(start); d > 5*time.Second {
			return fmt.Errorf("%s helper took %v to die", what, d)
		}
	}
	return nil
}

// testSigDefault: the kernel's default actions: SIGTERM, SIGUSR1 and
// SIGSEGV kill, SIGCHLD and SIGWINCH are ignored, SIGSTOP stops (state T)
// and SIGCONT continues.  The helper restores SIG_DFL over Go's handler.
func testSigDefault() error {
	for _, tc := range []struct {
		sig  syscall.Signal
		dies bool
	}{{syscall.SIGTERM, true}, {syscall.SIGUSR1, true}, {syscall.SIGSEGV, true}, {syscall.SIGCHLD, false}, {syscall.SIGWINCH, false}, {syscall.SIGSTOP, false}} {
		cmd := exec.Command(self(), "-child", "sleep", fmt.Sprint(int(tc.sig)))
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			return err
		}
		bufio.NewReader(out).ReadString('\n')
		cmd.Process.Signal(tc.sig)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
			ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
			if !tc.dies || !ws.Signaled() || ws.Signal() != tc.sig {
				return fmt.Errorf("after %v: %v", tc.sig, cmd.ProcessState)
			}
		case <-time.After(500 * time.Millisecond):
			if tc.sig == syscall.SIGSTOP {
				if st, err := procState(cmd.Process.Pid); err == nil && st != 'T' {
					return fmt.Errorf("after SIGSTOP: state %c, want T", st)
				}
				cmd.Process.Signal(syscall.SIGCONT)
				if st, err := procState(cmd.Process.Pid); err == nil && st == 'T' {
					time.Sleep(100 * time.Millisecond)
					if st, _ := procState(cmd.Process.Pid); st == 'T' {
						return fmt.Errorf("still stopped after SIGCONT")
					}
				}
			}
			cmd.Process.Kill()
			<-done
			if tc.dies {
				return fmt.Errorf("%v did not kill the process", tc.sig)
			}
		}
	}
	return nil
}
