package machine

// Tickless idle.  Under TCG every PIT interrupt costs the emulator real
// work even when the kernel only halts again, so a 1 kHz tick alone keeps
// an idle QEMU at ~5% of a host core.  When the scheduler is about to run
// the idle thread, idleTimer instead programs PIT channel 0 as a one-shot
// (mode 0) for the nearest deadline of a blocked thread (sleeps, futex and
// epoll timeouts: the Go runtime's timers arrive as those), at most the
// PIT's ~55 ms.  The next trap, whatever its cause, puts the periodic tick
// back before anything else runs.  The TSC stays the clock: deadlines and
// slices are judged by nanotime, never by counting ticks, so a long idle
// stretch loses no time.

const (
	pitModeOneShot  = 0x30 // channel 0, lo/hi byte, mode 0 (interrupt on terminal count)
	pitModePeriodic = 0x34 // channel 0, lo/hi byte, mode 2 (rate generator)
	pitMaxCount     = 0xffff
	pitMaxNS        = pitMaxCount * 1_000_000_000 / pitHz // ~54.9 ms

	// minOneShot is the nearest deadline worth a one-shot: closer ones
	// are left to the periodic tick, which ends them within 1 ms anyway
	// and spares two reprogrammings of the PIT.
	minOneShot = 2 * 1_000_000_000 / tickHz
)

var oneShot bool // PIT channel 0 is in one-shot mode: the idle thread runs

// oneShotCount returns the PIT count for a one-shot that fires at or just
// after the nearest deadline (or after the PIT's maximum if there is none
// sooner), and false when that deadline is too close to be worth it.
//
//go:nosplit
func oneShotCount(now int64) (uint16, bool) {
	next := int64(0)
	for i := 1; i < hiThread; i++ {
		t := &threads[i]
		if t.state == tBlocked && t.deadline != 0 && (next == 0 || t.deadline < next) {
			next = t.deadline
		}
	}
	if next == 0 {
		return pitMaxCount, true
	}
	d := next - now
	switch {
	case d < minOneShot:
		return 0, false
	case d >= pitMaxNS:
		return pitMaxCount, true
	}
	// Round up and add one count, so that the interrupt never comes
	// before the deadline on the PIT's own clock.
	c := (uint64(d)*pitHz+999_999_999)/1_000_000_000 + 1
	return uint16(min(c, pitMaxCount)), true
}

// idleTimer arms the one-shot before the idle thread runs.
//
//go:nosplit
func idleTimer() {
	count, ok := oneShotCount(nanotime())
	if !ok {
		return
	}
	Out8(0x43, pitModeOneShot)
	Out8(0x40, uint8(count))
	Out8(0x40, uint8(count>>8))
	oneShot = true
}

// periodicTick (re)starts the 1 kHz tick on PIT channel 0.
//
//go:nosplit
func periodicTick() {
	Out8(0x43, pitModePeriodic)
	Out8(0x40, pitDivisor&0xff)
	Out8(0x40, pitDivisor>>8)
	oneShot = false
}
