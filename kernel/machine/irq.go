package machine

// Device interrupts, through the two 8259 PICs (vectors 32-47).
//
// IRQ 0 is the timer.  Any other line reaches a goroutine through the
// private system call SYS_WAIT_IRQ: the stub masks the line, sends EOI and
// wakes the thread waiting for it; the driver services its device in
// ordinary Go and waits again, which unmasks the line.  The runtime treats
// the wait as any blocking system call: the thread sleeps, its P moves on.

import "syscall"

// SysWaitIRQ is the number of the private system call behind WaitIRQ.
const SysWaitIRQ = 1000

const (
	pic1Cmd  = 0x20
	pic1Data = 0x21
	pic2Cmd  = 0xa0
	pic2Data = 0xa1
	picEOI   = 0x20
	irqBase  = 32
	nirq     = 16
)

var (
	irqMask    uint16 = 0xffff &^ (1 << 0) &^ (1 << 2) // timer and the cascade
	irqPending uint16
	irqCounts  [nirq]uint64
)

//go:nosplit
func initPIC() {
	Out8(pic1Cmd, 0x11) // ICW1: edge, cascade, ICW4
	Out8(pic2Cmd, 0x11)
	Out8(pic1Data, irqBase)   // ICW2: vector base
	Out8(pic2Data, irqBase+8) //
	Out8(pic1Data, 1<<2)      // ICW3: slave on IRQ 2
	Out8(pic2Data, 2)         //
	Out8(pic1Data, 0x01)      // ICW4: 8086 mode
	Out8(pic2Data, 0x01)
	writeIRQMask()
}

//go:nosplit
func writeIRQMask() {
	Out8(pic1Data, uint8(irqMask))
	Out8(pic2Data, uint8(irqMask>>8))
}

//go:nosplit
func eoi(irq int) {
	if irq >= 8 {
		Out8(pic2Cmd, picEOI)
	}
	Out8(pic1Cmd, picEOI)
}

// spurious reports whether IRQ 7 or 15 is a spurious interrupt (its bit
// not set in the in-service register).
//
//go:nosplit
func spurious(irq int) bool {
	if irq == 7 {
		Out8(pic1Cmd, 0x0b)
		return In8(pic1Cmd)&0x80 == 0
	}
	if irq == 15 {
		Out8(pic2Cmd, 0x0b)
		if In8(pic2Cmd)&0x80 == 0 {
			Out8(pic1Cmd, picEOI) // the master did see the cascade
			return true
		}
	}
	return false
}

// deviceIRQ handles a device line: mask it, acknowledge it and hand it to
// its waiter (or leave it pending for the next WaitIRQ).
//
//go:nosplit
func deviceIRQ(irq int) {
	if spurious(irq) {
		return
	}
	irqMask |= 1 << uint(irq)
	writeIRQMask()
	eoi(irq)
	irqFired(irq)
}

// irqFired hands an acknowledged, masked interrupt to its waiters.
//
//go:nosplit
func irqFired(irq int) {
	irqCounts[irq&(nirq-1)]++
	// Every waiter wakes: PCI devices share lines, and each driver checks
	// its own device.
	woken := false
	for i := 1; i < hiThread; i++ {
		t := &threads[i]
		if t.state == tBlocked && t.wait == waitIRQ && t.waitKey == uintptr(irq) {
			wake(t, 0)
			woken = true
			resched = true     // let the driver run now, not at the end of the slice
			urgent = i         // and next, ahead of the other runnable threads
			driverWoken = true // and its goroutine soon after (sysRunUser)
		}
	}
	if !woken {
		irqPending |= 1 << uint(irq)
	}
}

// sysWaitIRQ blocks until irq fires.  An interrupt that came while nobody
// waited is consumed at once (by one waiter: drivers sharing a line should
// check their device before waiting, as they must anyway).
//
//go:nosplit
func sysWaitIRQ(t *thread, irq int64) int64 {
	if irq <= 0 || irq >= nirq || irq == 2 {
		return -int64(syscall.EINVAL)
	}
	bit := uint16(1) << uint(irq)
	if irqPending&bit != 0 {
		irqPending &^= bit
		return 0
	}
	irqMask &^= bit
	writeIRQMask()
	block(t, waitIRQ, uintptr(irq), 0)
	return blocked
}
