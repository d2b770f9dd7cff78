// Package sys is the system-call layer: a dispatcher from Linux's x86-64
// numbers to handlers, one file per area (process.go, memory.go,
// signal.go, time.go, futex.go; files.go, fds.go, poll.go for the file
// calls), each registering its handlers from init.  Handlers get the
// arguments decoded once (Args) and the calling thread; they copy user
// memory only through t.Mem(), so a bad pointer is EFAULT.
package sys

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"

	"scone/kernel/proc"
)

// Args are a system call's six arguments (RDI, RSI, RDX, R10, R8, R9).
type Args [6]uintptr

// Handler runs one system call for t.  The error is a syscall.Errno (or
// nil); EINTR from a call interrupted by a signal is restarted when the
// signal's action says so, unless the handler returns ErrNoRestart.
type Handler func(t *proc.Thread, a Args) (uintptr, error)

// ErrNoRestart is EINTR for calls Linux never restarts (nanosleep's
// relatives, epoll_wait, rt_sigsuspend): the caller sees EINTR even under
// SA_RESTART.
var ErrNoRestart error = noRestart{}

type noRestart struct{}

func (noRestart) Error() string        { return "interrupted system call" }
func (noRestart) Is(target error) bool { return target == syscall.EINTR }
func (noRestart) Unwrap() error        { return syscall.EINTR }

// MaxNR bounds the system-call numbers the table holds.
const MaxNR = 512

type entry struct {
	name string
	h    Handler
}

var (
	table   [MaxNR]entry
	logged  [MaxNR]bool
	loggedM sync.Mutex
	// Trace logs every call (the kernel command-line word "strace").
	Trace bool
)

// Register installs h for system call nr; registering a number twice is a
// programming error.
func Register(nr int, name string, h Handler) {
	if nr < 0 || nr >= MaxNR || table[nr].h != nil {
		panic(fmt.Sprintf("sys: cannot register %s as %d", name, nr))
	}
	table[nr] = entry{name, h}
}

// Name returns the name registered for nr, or "".
func Name(nr int) string {
	if nr < 0 || nr >= MaxNR {
		return ""
	}
	return table[nr].name
}

func init() { proc.Syscall = Dispatch }

// Dispatch runs the system call in t's registers and leaves the result
// in RAX (or, for a call to restart, rewinds the thread to make it again).
func Dispatch(t *proc.Thread) {
	r := &t.Regs
	nr := int(r.RAX)
	a := Args{uintptr(r.RDI), uintptr(r.RSI), uintptr(r.RDX), uintptr(r.R10), uintptr(r.R8), uintptr(r.R9)}
	var h Handler
	if nr >= 0 && nr < MaxNR {
		h = table[nr].h
	}
	if h == nil {
		logOnce(t, r.RAX)
		r.RAX = errno(syscall.ENOSYS)
		return
	}
	ret, err := h(t, a)
	if Trace {
		fmt.Fprintf(os.Stderr, "[%d] %s(%#x, %#x, %#x) = %#x %v\n", t.TID, table[nr].name, a[0], a[1], a[2], ret, err)
	}
	switch {
	case err == nil:
		r.RAX = uint64(ret)
	case err == syscall.EINTR && t.WillRestart():
		// ERESTARTSYS: back to the SYSCALL instruction with the number
		// in RAX, after the handler (if any) has run.
		r.RAX = uint64(nr)
		r.RIP -= 2
	default:
		r.RAX = errno(err)
	}
}

// errno encodes err as the negative value a system call returns.
func errno(err error) uint64 {
	var e syscall.Errno
	if !errors.As(err, &e) {
		if errors.Is(err, syscall.EINTR) {
			e = syscall.EINTR
		} else {
			e = syscall.EIO
		}
	}
	return uint64(-int64(e))
}

// logOnce reports an unimplemented call the first time each number is
// seen (numbers past the table share one report).
func logOnce(t *proc.Thread, nr uint64) {
	i := int(min(nr, MaxNR-1))
	loggedM.Lock()
	seen := logged[i]
	logged[i] = true
	loggedM.Unlock()
	if !seen {
		fmt.Fprintf(os.Stderr, "sys: pid %d: system call %d not implemented (ENOSYS)\n", t.Proc().PID, nr)
	}
}
