package sys

import (
	"context"
	"runtime"
	"syscall"
	"time"

	"scone/kernel/proc"
)

// bootTime is the zero of CLOCK_MONOTONIC as user programs see it.
var bootTime = time.Now()

func init() {
	Register(228, "clock_gettime", func(t *proc.Thread, a Args) (uintptr, error) {
		d, err := clockNow(int(a[0]))
		if err != nil {
			return 0, err
		}
		return 0, writeTimespec(t, a[1], d)
	})
	Register(229, "clock_getres", func(t *proc.Thread, a Args) (uintptr, error) {
		if _, err := clockNow(int(a[0])); err != nil {
			return 0, err
		}
		if a[1] == 0 {
			return 0, nil
		}
		return 0, writeTimespec(t, a[1], time.Nanosecond)
	})
	Register(96, "gettimeofday", func(t *proc.Thread, a Args) (uintptr, error) {
		if a[0] != 0 {
			now := time.Now()
			if err := writeU64s(t, a[0], uint64(now.Unix()), uint64(now.Nanosecond()/1000)); err != nil {
				return 0, err
			}
		}
		if a[1] != 0 {
			return 0, writeU64s(t, a[1], 0) // struct timezone: UTC
		}
		return 0, nil
	})
	Register(201, "time", func(t *proc.Thread, a Args) (uintptr, error) {
		now := uint64(time.Now().Unix())
		if a[0] != 0 {
			if err := writeU64s(t, a[0], now); err != nil {
				return 0, err
			}
		}
		return uintptr(now), nil
	})
	Register(35, "nanosleep", func(t *proc.Thread, a Args) (uintptr, error) {
		d, err := readTimespec(t, a[0])
		if err != nil {
			return 0, err
		}
		return 0, sleep(t, time.Now().Add(d), a[1])
	})
	Register(230, "clock_nanosleep", func(t *proc.Thread, a Args) (uintptr, error) {
		if _, err := clockNow(int(a[0])); err != nil {
			return 0, err
		}
		d, err := readTimespec(t, a[2])
		if err != nil {
			return 0, err
		}
		if a[1]&1 != 0 { // TIMER_ABSTIME
			return 0, sleep(t, absTime(d, a[0] == 0), 0)
		}
		return 0, sleep(t, time.Now().Add(d), a[3])
	})
	Register(24, "sched_yield", func(*proc.Thread, Args) (uintptr, error) {
		runtime.Gosched()
		return 0, nil
	})
}

// clockNow reads a clock: REALTIME (0, 5, 11) is wall time, the others
// time since boot.  A bad id is EINVAL.
func clockNow(id int) (time.Duration, error) {
	switch id {
	case 0, 5, 8, 11:
		return time.Duration(time.Now().UnixNano()), nil
	case 1, 2, 3, 4, 6, 7, 9:
		return time.Since(bootTime), nil
	}
	return 0, syscall.EINVAL
}

// sleep waits until the deadline or a signal: EINTR (never restarted),
// writing the time left at rem if it is not 0.
func sleep(t *proc.Thread, until time.Time, rem uintptr) error {
	ctx, cancel := context.WithDeadline(t.Ctx(), until)
	defer cancel()
	<-ctx.Done()
	if left := time.Until(until); left > 0 && t.Ctx().Err() != nil {
		if rem != 0 {
			if err := writeTimespec(t, rem, left); err != nil {
				return err
			}
		}
		return ErrNoRestart
	}
	return nil
}

func readTimespec(t *proc.Thread, va uintptr) (time.Duration, error) {
	b := make([]byte, 16)
	if err := t.Mem().CopyIn(b, va); err != nil {
		return 0, err
	}
	sec, nsec := int64(le.Uint64(b)), int64(le.Uint64(b[8:]))
	if sec < 0 || nsec < 0 || nsec >= 1e9 {
		return 0, syscall.EINVAL
	}
	if sec > 1<<33 {
		sec = 1 << 33
	}
	return time.Duration(sec)*time.Second + time.Duration(nsec), nil
}

func writeTimespec(t *proc.Thread, va uintptr, d time.Duration) error {
	return writeU64s(t, va, uint64(d/time.Second), uint64(d%time.Second))
}
