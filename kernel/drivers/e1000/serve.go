package e1000

import "runtime"

// serve is the device's goroutine. Each wake-up masks the device's
// interrupts, then works in rounds until nothing is left: read (and so
// clear) the causes, note link changes, reclaim transmit descriptors and
// refill the ring from the software queue, take up to rxBudget received
// frames. Between rounds with work left it yields, so a receive flood
// shares the CPU with everything else (no livelock); unmasking comes
// last, and any cause that arrived meanwhile raises the line again.
func (d *Device) serve() {
	defer close(d.done)
	for {
		if err := d.m.WaitIRQ(d.irq); err != nil {
			return
		}
		select {
		case <-d.stop:
			return
		default:
		}
		d.stats.Interrupts.Add(1)
		d.regs.Write32(regIMC, intEnabled)
		for {
			icr := d.regs.Read32(regICR)
			if icr&intLSC != 0 {
				d.link.Store(d.regs.Read32(regSTATUS)&statusLU != 0)
				d.stats.LinkChanges.Add(1)
			}
			if icr&intRXO != 0 {
				d.stats.RxOverruns.Add(1)
			}
			d.refill()
			more := d.receive(rxBudget)
			d.stats.Rounds.Add(1)
			if !more && icr == 0 {
				break
			}
			if more {
				d.stats.BudgetExhausted.Add(1)
				runtime.Gosched()
			}
		}
		d.countMissed()
		select {
		case <-d.stop:
			return
		default:
		}
		d.regs.Write32(regIMS, intEnabled)
	}
}

// countMissed adds what the missed-packets counter gained since it was
// last read. The manual makes MPC clear on read, but QEMU's 82540EM keeps
// counting up (a flood read it back as hundreds of millions when summed),
// so the driver takes differences until the counter ever goes down,
// which shows a clearing device, and adds each read from then on. (Until
// then a clearing device is under-counted, never over-counted.)
func (d *Device) countMissed() {
	v := d.regs.Read32(regMPC)
	if v < d.lastMPC {
		d.mpcClears = true
	}
	if d.mpcClears {
		d.stats.RxMissed.Add(uint64(v))
	} else {
		d.stats.RxMissed.Add(uint64(v - d.lastMPC))
	}
	d.lastMPC = v
}
