package sys

import (
	"context"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"scone/kernel/proc"
)

// futexOp encodes FUTEX_OP(op, oparg, cmp, cmparg) as linux/futex.h does.
func futexOp(op, oparg, cmp, cmparg int) uintptr {
	return uintptr(uint32(op&0xf)<<28 | uint32(cmp&0xf)<<24 | uint32(oparg&0xfff)<<12 | uint32(cmparg&0xfff))
}

// TestFutexWakeOp runs FUTEX_WAKE_OP with each operation and
// comparison: the word at uaddr2 changes, up to val waiters on uaddr
// wake, and up to val2 on uaddr2 when the old value passes.
func TestFutexWakeOp(t *testing.T) {
	p := newFileProc(t)
	as := p.th.Mem()
	u1, u2 := p.buf, p.buf+64
	for _, c := range []struct {
		name       string
		old        int32
		op         uintptr
		want       int32
		wantWoken  uintptr // of 2 waiters on each word, nr_wake 1, nr_wake2 2
		wantWoken2 int     // of those on uaddr2
	}{
		{"set, eq passes", 5, futexOp(0, 7, 0, 5), 7, 3, 2},
		{"add, ne fails", 5, futexOp(1, 3, 1, 5), 8, 1, 0},
		{"or, lt passes", 1, futexOp(2, 6, 2, 2), 7, 3, 2},
		{"andn, le fails", 7, futexOp(3, 2, 3, 6), 5, 1, 0},
		{"xor, gt passes", 7, futexOp(4, 1, 4, 6), 6, 3, 2},
		{"oparg shift, ge passes", 0, futexOp(8|1, 4, 5, 0), 16, 3, 2},
		{"negative cmparg", -3, futexOp(0, 0, 0, -3), 0, 3, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			p.put(0, le32(0))
			p.put(64, le32(uint32(c.old)))
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			woke := make(chan uintptr, 4)
			for _, w := range []struct {
				addr uintptr
				val  uint32
			}{{u1, 0}, {u1, 0}, {u2, uint32(c.old)}, {u2, uint32(c.old)}} {
				go func() {
					if proc.FutexWait(ctx, as, w.addr, w.val, ^uint32(0)) == nil {
						woke <- w.addr
					} else {
						woke <- 0
					}
				}()
			}
			// Wait until all four are queued: a wake of 0 waiters
			// would not tell.
			for deadline := time.Now().Add(5 * time.Second); proc.FutexWaiters(as, u1)+proc.FutexWaiters(as, u2) < 4; {
				if time.Now().After(deadline) {
					t.Fatal("waiters never queued")
				}
				time.Sleep(time.Millisecond)
			}
			n := p.must(unix.SYS_FUTEX, u1, 5|128, 1, 2, u2, c.op)
			if n != c.wantWoken {
				t.Errorf("woke %d, want %d", n, c.wantWoken)
			}
			if got := int32(le.Uint32(p.get(64, 4))); got != c.want {
				t.Errorf("word = %d, want %d", got, c.want)
			}
			cancel()
			on2 := 0
			for range 4 {
				if <-woke == u2 {
					on2++
				}
			}
			if on2 != c.wantWoken2 {
				t.Errorf("%d woken on uaddr2, want %d", on2, c.wantWoken2)
			}
		})
	}
	if _, e := p.call(unix.SYS_FUTEX, u1, 5, 1, 1, u2, futexOp(7, 0, 0, 0)); e != unix.ENOSYS {
		t.Errorf("unknown op: %v, want ENOSYS", e)
	}
	if _, e := p.call(unix.SYS_FUTEX, u1, 5, 1, 1, u2, futexOp(0, 0, 9, 0)); e != unix.ENOSYS {
		t.Errorf("unknown comparison: %v, want ENOSYS", e)
	}
	if _, e := p.call(unix.SYS_FUTEX, u1, 5, 1, 1, u2+1, futexOp(0, 0, 0, 0)); e != unix.EINVAL {
		t.Errorf("unaligned uaddr2: %v, want EINVAL", e)
	}
	if _, e := p.call(unix.SYS_FUTEX, u1, 5, 1, 1, 0x10, futexOp(0, 0, 0, 0)); e != unix.EFAULT {
		t.Errorf("bad uaddr2: %v, want EFAULT", e)
	}
}
