package sys

import (
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"scone/kernel/proc"
)

// alarm, setitimer and getitimer: the process's ITIMER_REAL, which sends
// SIGALRM (busybox httpd and timeout use alarm). ITIMER_VIRTUAL and
// ITIMER_PROF are not kept: EINVAL.
func init() {
	Register(unix.SYS_ALARM, "alarm", func(t *proc.Thread, a Args) (uintptr, error) {
		old, _ := t.Proc().SetRealTimer(time.Duration(uint32(a[0]))*time.Second, 0)
		// Linux rounds what was left to the nearest second, but never
		// down to 0 while the timer was armed.
		sec := old / time.Second
		if rest := old % time.Second; rest >= time.Second/2 || (sec == 0 && rest > 0) {
			sec++
		}
		return uintptr(sec), nil
	})
	Register(unix.SYS_SETITIMER, "setitimer", sysSetitimer)
	Register(unix.SYS_GETITIMER, "getitimer", func(t *proc.Thread, a Args) (uintptr, error) {
		if a[0] != unix.ITIMER_REAL {
			return 0, syscall.EINVAL
		}
		value, interval := t.Proc().RealTimer()
		return 0, writeItimerval(t, a[1], value, interval)
	})
}

func sysSetitimer(t *proc.Thread, a Args) (uintptr, error) {
	if a[0] != unix.ITIMER_REAL {
		return 0, syscall.EINVAL
	}
	var value, interval time.Duration
	if a[1] != 0 { // NULL disarms, as Linux still allows
		var b [32]byte
		if err := t.Mem().CopyIn(b[:], a[1]); err != nil {
			return 0, err
		}
		var err error
		if interval, err = timeval(b[0:16]); err != nil {
			return 0, err
		}
		if value, err = timeval(b[16:32]); err != nil {
			return 0, err
		}
	}
	// As on Linux, the timer is set even if the old value cannot be
	// written back (EFAULT).
	oldValue, oldInterval := t.Proc().SetRealTimer(value, interval)
	if a[2] == 0 {
		return 0, nil
	}
	return 0, writeItimerval(t, a[2], oldValue, oldInterval)
}

// timeval decodes a struct timeval; EINVAL outside [0, 1e6) microseconds
// or below 0 seconds.
func timeval(b []byte) (time.Duration, error) {
	sec, usec := int64(le.Uint64(b)), int64(le.Uint64(b[8:]))
	if sec < 0 || usec < 0 || usec >= 1e6 {
		return 0, syscall.EINVAL
	}
	if sec > int64(time.Duration(1<<63-1)/time.Second)-1 {
		sec = int64(time.Duration(1<<63-1)/time.Second) - 1
	}
	return time.Duration(sec)*time.Second + time.Duration(usec)*time.Microsecond, nil
}

// writeItimerval writes struct itimerval: the interval, then the value.
func writeItimerval(t *proc.Thread, va uintptr, value, interval time.Duration) error {
	us := func(d time.Duration) (uint64, uint64) {
		return uint64(d / time.Second), uint64(d % time.Second / time.Microsecond)
	}
	is, iu := us(interval)
	vs, vu := us(value)
	return writeU64s(t, va, is, iu, vs, vu)
}
