package sys

import (
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestFutexBadArgs: Linux's get_futex_key refuses an address that
// is not 4-byte aligned (EINVAL) for every futex operation, and
// futex_requeue refuses negative counts (EINVAL).
func TestFutexBadArgs(t *testing.T) {
	p := newFileProc(t)
	const wake, cmpRequeue = 1, 4
	if n, e := p.call(unix.SYS_FUTEX, p.buf+2, wake, 1); e != syscall.EINVAL {
		t.Errorf("FUTEX_WAKE at an unaligned address: %d, %v; want EINVAL", n, e)
	}
	if n, e := p.call(unix.SYS_FUTEX, p.buf, cmpRequeue, 1, ^uintptr(0), p.buf+6, 0); e != syscall.EINVAL {
		t.Errorf("FUTEX_CMP_REQUEUE to an unaligned address, nr_requeue -1: %d, %v; want EINVAL", n, e)
	}
}
