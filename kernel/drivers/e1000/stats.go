package e1000

import (
	"fmt"
	"io"
	"sync/atomic"
)

// Stats are the driver's counters.
type Stats struct {
	RxFrames, RxBytes atomic.Uint64
	RxErrors          atomic.Uint64 // frame errors the device reported, or a frame split over buffers
	RxChecksumErrors  atomic.Uint64 // IPv4 or TCP/UDP checksum wrong, by the device's check
	RxChecksumOK      atomic.Uint64 // frames whose checksums the device checked and found good
	RxNoDispatcher    atomic.Uint64 // frames before Attach
	RxMissed          atomic.Uint64 // frames the device dropped, the ring being full (MPC)
	RxOverruns        atomic.Uint64 // receive overrun interrupts

	TxFrames, TxBytes atomic.Uint64
	TxChecksumOffload atomic.Uint64 // frames whose TCP/UDP checksum the device filled in
	TxContexts        atomic.Uint64 // context descriptors written
	TxQueued          atomic.Uint64 // frames that waited in the software queue
	TxDropped         atomic.Uint64 // frames dropped, ring and queue full

	Interrupts      atomic.Uint64 // wake-ups of the serving goroutine
	Rounds          atomic.Uint64 // rounds of work within wake-ups
	BudgetExhausted atomic.Uint64 // rounds that stopped at rxBudget and yielded
	LinkChanges     atomic.Uint64
}

// Stats returns the device's counters.
func (d *Device) Stats() *Stats { return &d.stats }

// WriteStats prints the counters, a few to a line.
func (d *Device) WriteStats(w io.Writer) error {
	s := &d.stats
	d.txMu.Lock()
	queued := d.swqLen
	d.txMu.Unlock()
	_, err := fmt.Fprintf(w,
		"e1000 rx: %d frames %d bytes, %d errors, %d checksum errors, %d checksummed, %d before attach, %d missed, %d overruns\n"+
			"e1000 tx: %d frames %d bytes, %d checksum offloads, %d contexts, %d queued (%d now), %d dropped\n"+
			"e1000 irq: %d wake-ups, %d rounds, %d at budget, %d link changes; link %s\n",
		s.RxFrames.Load(), s.RxBytes.Load(), s.RxErrors.Load(), s.RxChecksumErrors.Load(), s.RxChecksumOK.Load(),
		s.RxNoDispatcher.Load(), s.RxMissed.Load(), s.RxOverruns.Load(),
		s.TxFrames.Load(), s.TxBytes.Load(), s.TxChecksumOffload.Load(), s.TxContexts.Load(), s.TxQueued.Load(), queued, s.TxDropped.Load(),
		s.Interrupts.Load(), s.Rounds.Load(), s.BudgetExhausted.Load(), s.LinkChanges.Load(), map[bool]string{true: "up", false: "down"}[d.LinkUp()])
	return err
}
