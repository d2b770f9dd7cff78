package machine

// Trip stamps: where the time of a trip from ring 3 into the kernel's Go
// code and back goes.  With the kernel command-line word "tripstat" the
// machine layer reads the TSC at the four points of a round trip it sees
// and hands the readings back with the user registers (UserRegs.Stamps);
// the process layer adds its own and prints the sums per thread.  Off,
// it costs a load and a branch per trap.

import "syscall"

var (
	tripStats bool   // the command line said "tripstat"
	trapTSC   uint64 // the TSC when the current trap began (tripStats only)
)

// Indexes of UserRegs.Stamps.
const (
	StampRunIn   = iota // Run's system call reached trap
	StampRunOut         // trap finished switching to ring 3
	StampTrapIn         // the trap from ring 3 reached trap
	StampTrapOut        // leaveUser finished, about to return to Run's caller
	nstamps
)

// SysTripCR3 is a private system call that reloads the kernel's CR3 and
// returns: TripCalibrate times it (ENOSYS without "tripstat").
const SysTripCR3 = 1020

// TripCalibrate times n of the kernel's own system calls (getpid, made
// raw, so the runtime's scheduler is not involved) with and without a CR3
// reload in the handler, and returns the mean round trips in nanoseconds.
// Their difference is what a TLB flush costs (under TCG every CR3 write
// flushes QEMU's whole software TLB and its jump cache): a trip to ring 3
// and back pays two.
func TripCalibrate(n int) (plain, reload int64) {
	t0 := nanotime()
	for i := 0; i < n; i++ {
		syscall.RawSyscall(syscall.SYS_GETPID, 0, 0, 0)
	}
	t1 := nanotime()
	for i := 0; i < n; i++ {
		syscall.RawSyscall(SysTripCR3, 0, 0, 0)
	}
	t2 := nanotime()
	return (t1 - t0) / int64(n), (t2 - t1) / int64(n)
}

// sysTripCR3 reloads CR3 when trip stamps are on.
//
//go:nosplit
func sysTripCR3() int64 {
	if !tripStats {
		return -int64(syscall.ENOSYS)
	}
	writeCR3(kernelRoot)
	return 0
}

// TripStats reports whether the command line asked for trip stamps.
func TripStats() bool { return tripStats }

// TSC reads the time-stamp counter (TSCHz ticks a second).
func TSC() uint64 { return rdtsc() }

// stampTrap notes when a trap began.
//
//go:nosplit
func stampTrap() {
	if tripStats {
		trapTSC = rdtsc()
	}
}

// stampRunOut notes that thread t is about to enter ring 3 for the first
// time since RunUser; resuming it after a tick in ring 3 does not count.
//
//go:nosplit
func stampRunOut(t *thread) {
	if tripStats && t.runOut < t.runIn {
		t.runOut = rdtsc()
	}
}

// stampLeave hands t's stamps of this trip back with its registers.
//
//go:nosplit
func stampLeave(t *thread, r *UserRegs) {
	if tripStats {
		r.Stamps[StampRunIn] = t.runIn
		r.Stamps[StampRunOut] = t.runOut
		r.Stamps[StampTrapIn] = trapTSC
		r.Stamps[StampTrapOut] = rdtsc()
	}
}
