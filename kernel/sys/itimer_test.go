package sys

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestItimer arms ITIMER_REAL through alarm and setitimer: the time left
// reads back, alarm's old value rounds as Linux's, a periodic timer
// raises SIGALRM (blocked here, so it stays pending), and bad values are
// EINVAL or EFAULT (a bad old-value pointer after the timer is set).
func TestItimer(t *testing.T) {
	p := newFileProc(t)
	if old := p.must(unix.SYS_ALARM, 100); old != 0 {
		t.Errorf("first alarm returned %d", old)
	}
	p.must(unix.SYS_GETITIMER, unix.ITIMER_REAL, p.buf)
	if v := p.get(0, 32); le.Uint64(v[16:]) != 99 && le.Uint64(v[16:]) != 100 || le.Uint64(v[0:]) != 0 {
		t.Errorf("getitimer after alarm(100): %v", v)
	}
	if old := p.must(unix.SYS_ALARM, 0); old != 100 {
		t.Errorf("alarm(0) returned %d, want 100 (99.99 s rounds up)", old)
	}
	if old := p.must(unix.SYS_ALARM, 0); old != 0 {
		t.Errorf("alarm(0) of a disarmed timer returned %d", old)
	}
	// Block SIGALRM, arm a 20 ms timer repeating every 20 ms.
	p.put(64, []byte{0, 0x20, 0, 0, 0, 0, 0, 0}) // bit 13: SIGALRM (14)
	p.must(unix.SYS_RT_SIGPROCMASK, unix.SIG_BLOCK, p.buf+64, 0, 8)
	itv := make([]byte, 32)
	le.PutUint64(itv[8:], 20000)
	le.PutUint64(itv[24:], 20000)
	p.must(unix.SYS_SETITIMER, unix.ITIMER_REAL, p.put(128, itv), p.buf+192)
	if old := p.get(192, 32); string(old) != string(make([]byte, 32)) {
		t.Errorf("old itimerval of a disarmed timer: %v", old)
	}
	deadline := time.Now().Add(5 * time.Second)
	for p.th.Pending()&(1<<13) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no SIGALRM pending 5 s after a 20 ms timer")
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.must(unix.SYS_GETITIMER, unix.ITIMER_REAL, p.buf)
	if v := p.get(0, 32); le.Uint64(v[8:]) != 20000 || le.Uint64(v[16:]) != 0 || le.Uint64(v[24:]) > 20000 {
		t.Errorf("periodic timer reads %v: want a 20 ms interval and at most 20 ms left", v)
	}
	p.must(unix.SYS_SETITIMER, unix.ITIMER_REAL, 0, 0) // NULL disarms
	if v, _ := p.th.Proc().RealTimer(); v != 0 {
		t.Errorf("setitimer(NULL) left %v", v)
	}
	bad := make([]byte, 32)
	le.PutUint64(bad[24:], 1000000)
	for _, c := range []struct {
		args []uintptr
		want unix.Errno
	}{
		{[]uintptr{unix.ITIMER_REAL, p.put(256, bad), 0}, unix.EINVAL},
		{[]uintptr{unix.ITIMER_VIRTUAL, p.put(128, itv), 0}, unix.EINVAL},
		{[]uintptr{unix.ITIMER_REAL, 0x10, 0}, unix.EFAULT},
		{[]uintptr{unix.ITIMER_REAL, p.buf + 128, 0x10}, unix.EFAULT},
	} {
		if _, e := p.call(unix.SYS_SETITIMER, c.args...); e != c.want {
			t.Errorf("setitimer%v: %v, want %v", c.args, e, c.want)
		}
	}
	if v, _ := p.th.Proc().RealTimer(); v == 0 {
		t.Errorf("setitimer with a bad old-value pointer did not arm the timer (Linux arms it, then EFAULT)")
	}
	p.must(unix.SYS_SETITIMER, unix.ITIMER_REAL, 0, 0)
}
