package proc

import (
	"sync"
	"syscall"
	"time"
)

// realTimer is a process's ITIMER_REAL (alarm, setitimer): SIGALRM when
// it runs out, then again every interval if one is set. It lives with
// the process across execve, as Linux's does, and a fork starts without
// one.
type realTimer struct {
	mu       sync.Mutex
	t        *time.Timer
	deadline time.Time // zero when disarmed
	interval time.Duration
}

// SetRealTimer arms ITIMER_REAL to fire after value and then every
// interval (value 0 disarms it), and returns what was left of the old
// one and its interval.
func (p *Process) SetRealTimer(value, interval time.Duration) (oldValue, oldInterval time.Duration) {
	rt := &p.alarm
	rt.mu.Lock()
	defer rt.mu.Unlock()
	oldValue, oldInterval = rt.leftLocked(), rt.interval
	if rt.t != nil {
		rt.t.Stop()
		rt.t = nil
	}
	rt.deadline, rt.interval = time.Time{}, 0
	if value > 0 {
		rt.deadline, rt.interval = time.Now().Add(value), interval
		rt.t = time.AfterFunc(value, func() { p.realTimerFired() })
	}
	return oldValue, oldInterval
}

// RealTimer returns the time left on ITIMER_REAL and its interval.
func (p *Process) RealTimer() (value, interval time.Duration) {
	p.alarm.mu.Lock()
	defer p.alarm.mu.Unlock()
	return p.alarm.leftLocked(), p.alarm.interval
}

// leftLocked is the time to the deadline; an armed timer whose moment
// has come reads as a microsecond left, as Linux never reports 0 for an
// armed timer.
func (rt *realTimer) leftLocked() time.Duration {
	if rt.deadline.IsZero() {
		return 0
	}
	return max(time.Until(rt.deadline), time.Microsecond)
}

// realTimerFired sends SIGALRM (si_code SI_KERNEL, as Linux's
// it_real_fn) and rearms a periodic timer from its previous deadline, so
// the period does not drift.
func (p *Process) realTimerFired() {
	rt := &p.alarm
	rt.mu.Lock()
	if rt.deadline.IsZero() || time.Now().Before(rt.deadline) {
		rt.mu.Unlock() // disarmed or rearmed since this firing was due
		return
	}
	if rt.interval > 0 {
		rt.deadline = rt.deadline.Add(rt.interval)
		rt.t = time.AfterFunc(max(time.Until(rt.deadline), 0), func() { p.realTimerFired() })
	} else {
		rt.deadline, rt.t = time.Time{}, nil
	}
	rt.mu.Unlock()
	p.Send(int(syscall.SIGALRM), SigInfo{Signo: int32(syscall.SIGALRM), Code: 0x80})
}

// stopRealTimer disarms ITIMER_REAL when the process ends.
func (p *Process) stopRealTimer() { p.SetRealTimer(0, 0) }
