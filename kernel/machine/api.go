package machine

// The machine layer's API for ordinary Go code (drivers, the console, kernel
// main).  Unlike the rest of the package, these functions run as normal
// goroutine code: they may allocate and block.

import (
	"syscall"
)

// WaitIRQ blocks the calling goroutine until interrupt line irq (1-15, not
// 2) fires.  The line is masked from the moment it fires until the next
// WaitIRQ for it, so a driver services its device between two calls:
//
//	for {
//		if err := machine.WaitIRQ(4); err != nil { ... }
//		// read the device until it has nothing more
//	}
//
// Several goroutines may wait on one line (PCI devices share lines): all
// wake when it fires.  The thread under each waiter sleeps in the kernel
// meanwhile, and the Go scheduler runs other goroutines.
func WaitIRQ(irq int) error {
	_, _, e := syscall.Syscall(SysWaitIRQ, uintptr(irq), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// IRQCount returns how many times line irq has fired since boot.
func IRQCount(irq int) uint64 {
	if irq < 0 || irq >= nirq {
		return 0
	}
	return irqCounts[irq]
}

// Cmdline returns the kernel command line as the boot loader gave it.
func Cmdline() string { return string(cmdline[:cmdlineLen]) }

// MemoryMap returns the firmware's memory map.
func MemoryMap() []MemRegion {
	m := make([]MemRegion, memMapLen)
	copy(m, memMap[:memMapLen])
	return m
}

// MemStats is a snapshot of physical memory.
type MemStats struct {
	PageSize   uint64
	TotalPages uint64 // usable RAM
	FreePages  uint64 // not allocated
	UsedPages  uint64 // held: kernel image, page tables, pages the Go runtime touched
	UserPages  uint64 // of those, held by user address spaces (pages and tables)
}

// Memory returns the current physical memory figures.
func Memory() MemStats {
	return MemStats{
		PageSize:   pageSize,
		TotalPages: freeFrames + usedFrames,
		FreePages:  freeFrames,
		UsedPages:  usedFrames,
		UserPages:  userFrames,
	}
}

// KernelImage returns the physical (= virtual) range of the kernel image.
func KernelImage() (start, end uintptr) { return kernelStart, kernelEnd }

// TSCHz returns the calibrated frequency of the time-stamp counter.
func TSCHz() uint64 { return tscHz }

// RandomSource names where getrandom's bytes come from.
func RandomSource() string {
	if haveRDRAND {
		return "rdrand"
	}
	return "xorshift64* seeded from the TSC and RTC (not cryptographic)"
}

// Exit ends the machine; QEMU (with isa-debug-exit at 0xf4) exits with
// status (status<<1)|1, so Exit(0) is QEMU status 1. Statuses above 127
// cannot be told apart that way and end QEMU as 127 (see exitValue).
func Exit(status uint32) {
	exitMachine(status)
}

// CrashTest faults in kernel context on purpose: the machine layer must
// print the registers and end QEMU with FatalStatus, never hang.
func CrashTest() {
	syscall.RawSyscall(SysCrash, 0, 0, 0)
}

// Halt powers the machine off: Exit(0).
func Halt() { Exit(0) }

// exitMachine goes through a system call so that the port write happens in
// kernel context, after any console output in flight.
func exitMachine(status uint32) {
	syscall.RawSyscall(syscall.SYS_EXIT_GROUP, uintptr(status), 0, 0)
}
