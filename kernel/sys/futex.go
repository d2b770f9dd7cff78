package sys

import (
	"context"
	"syscall"
	"time"

	"scone/kernel/proc"
)

func init() { Register(202, "futex", sysFutex) }

// futex operations.
const (
	futexWait          = 0
	futexWake          = 1
	futexRequeue       = 3
	futexCmpRequeue    = 4
	futexWakeOp        = 5
	futexWaitBitset    = 9
	futexWakeBitset    = 10
	futexPrivate       = 128
	futexClockRealtime = 256
)

func sysFutex(t *proc.Thread, a Args) (uintptr, error) {
	addr, op, val := a[0], int(a[1]), uint32(a[2])
	cmd := op &^ (futexPrivate | futexClockRealtime)
	as := t.Mem()
	switch cmd {
	case futexWait, futexWaitBitset:
		bitset := ^uint32(0)
		if cmd == futexWaitBitset {
			bitset = uint32(a[5])
		}
		ctx := t.Ctx()
		if a[3] != 0 {
			ts, err := readTimespec(t, a[3])
			if err != nil {
				return 0, err
			}
			var cancel context.CancelFunc
			if cmd == futexWait { // relative
				ctx, cancel = context.WithTimeout(ctx, ts)
			} else { // absolute, on the clock the flag names
				ctx, cancel = context.WithDeadline(ctx, absTime(ts, op&futexClockRealtime != 0))
			}
			defer cancel()
		}
		return 0, proc.FutexWait(ctx, as, addr, val, bitset)
	case futexWake, futexWakeBitset:
		bitset := ^uint32(0)
		if cmd == futexWakeBitset {
			bitset = uint32(a[5])
			if bitset == 0 {
				return 0, syscall.EINVAL
			}
		}
		if addr%4 != 0 { // Linux's get_futex_key, for every operation
			return 0, syscall.EINVAL
		}
		return uintptr(proc.FutexWake(as, addr, int(int32(val)), bitset)), nil
	case futexRequeue, futexCmpRequeue:
		if addr%4 != 0 || a[4]%4 != 0 || int32(val) < 0 || int32(a[3]) < 0 { // futex_requeue's checks
			return 0, syscall.EINVAL
		}
		var cmp *uint32
		if cmd == futexCmpRequeue {
			v := uint32(a[5])
			cmp = &v
		}
		n, err := proc.FutexRequeue(as, addr, int(int32(val)), a[4], int(int32(a[3])), cmp)
		return uintptr(n), err
	case futexWakeOp: // the timeout argument carries the second count
		n, err := proc.FutexWakeOp(as, addr, int(int32(val)), a[4], int(int32(a[3])), uint32(a[5]))
		return uintptr(n), err
	}
	return 0, syscall.ENOSYS
}

// absTime turns an absolute timespec on CLOCK_MONOTONIC (time since
// boot, see clockNow) or CLOCK_REALTIME into a deadline.
func absTime(d time.Duration, realtime bool) time.Time {
	if realtime {
		return time.Unix(0, int64(d))
	}
	return bootTime.Add(d)
}
