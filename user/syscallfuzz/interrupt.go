package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// An interrupter breaks the fuzzing thread out of a call that blocks
// (a sleep, a futex wait, a read of a pipe it made blocking, the open
// of a FIFO) after about interruptAfter, by sending that thread SIGALRM
// again every tick until the call returns.  Go's own handler catches the
// signal (os/signal), made non-restarting here, so that the call ends
// with EINTR as Linux ends it, instead of the child being killed and
// restarted by the parent's watchdog: a restart costs a Go program's
// start, hundreds of calls' time.  A call that a signal does not end
// is still the watchdog's, and a finding.
type interrupter struct {
	pid, tid int
	calls    atomic.Uint64 // twice the calls begun, plus one during a call
	sent     atomic.Uint64 // signals sent
	call     atomic.Pointer[call]
}

// A call is a system call's number and arguments.
type call struct {
	nr   uintptr
	args [6]uintptr
}

// interruptAfter is how long a call may block before it is interrupted.
const interruptAfter = 20 * time.Millisecond

// saRestart is the kernel's SA_RESTART flag.
const saRestart = 0x10000000

// startInterrupter starts watching the calling goroutine, which it locks
// to its thread, and returns nil if SIGALRM cannot be made to interrupt.
func startInterrupter() *interrupter {
	runtime.LockOSThread()
	signal.Notify(make(chan os.Signal, 1), unix.SIGALRM) // caught; the channel may drop
	// Go installs its handlers with SA_RESTART, under which a read or an
	// open would resume and block again.  The kernel's struct sigaction:
	// handler, flags, restorer, mask.
	var sa [4]uint64
	if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(unix.SIGALRM), 0, uintptr(unsafe.Pointer(&sa)), 8, 0, 0); e != 0 {
		return nil
	}
	sa[1] &^= saRestart
	if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(unix.SIGALRM), uintptr(unsafe.Pointer(&sa)), 0, 8, 0, 0); e != 0 {
		return nil
	}
	in := &interrupter{pid: unix.Getpid(), tid: unix.Gettid()}
	go in.watch()
	return in
}

// begin and end bracket each call.
func (in *interrupter) begin(nr uintptr, args [6]uintptr) {
	in.call.Store(&call{nr, args})
	in.calls.Add(1)
}

func (in *interrupter) end() { in.calls.Add(1) }

// watch signals the thread while one call lasts longer than interruptAfter.
func (in *interrupter) watch() {
	const tick = interruptAfter / 2
	var last uint64
	ticks := 0
	for {
		time.Sleep(tick)
		c := in.calls.Load()
		if c&1 == 0 || c != last {
			last, ticks = c, 0
			continue
		}
		if ticks++; ticks >= 2 {
			// Count first: the call ends as soon as the signal lands,
			// and whoever reads sent then must see this one.
			in.sent.Add(1)
			unix.Tgkill(in.pid, in.tid, unix.SIGALRM)
		}
		if ticks == int(time.Second/tick) {
			// Signals have not ended it: the parent's watchdog will
			// kill the child, and this says which call it was.
			c := in.call.Load()
			fmt.Fprintf(os.Stderr, "unended call %d%#x after %v of signals\n", c.nr, c.args, time.Second)
		}
	}
}
