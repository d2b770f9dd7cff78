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
		d.stats.RxMissed.Add(uint64(d.regs.Read32(regMPC)))
		select {
		case <-d.stop:
			return
		default:
		}
		d.regs.Write32(regIMS, intEnabled)
	}
}
