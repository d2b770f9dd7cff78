package machine

// trap is the one way into the kernel: system calls, interrupts and
// exceptions all arrive here (see entry_amd64.s), with interrupts off, on
// the kernel stack.

var inTrap bool

const (
	vecDivide    = 0
	vecDebug     = 1
	vecNMI       = 2
	vecBreak     = 3
	vecInvalidOp = 6
	vecDouble    = 8
	vecGP        = 13
	vecPageFault = 14
	vecX87       = 16
	vecSIMD      = 19
	vecTimer     = irqBase
	vecSyscall   = 256
)

// trap handles the event in f for the running thread, then writes into f
// the registers of the thread to run next.
//
//go:nosplit
func trap(f *Frame) {
	if inTrap {
		if page := readCR2() &^ (pageSize - 1); f.Vector == vecPageFault && (page == kstackGuard() || page == alias(kstackGuard())) {
			fatal("kernel stack overflow", f)
		}
		fatal("trap inside the kernel", f)
	}
	inTrap = true
	stampTrap()
	if oneShot {
		periodicTick() // the idle stretch is over, whatever ended it
	}
	t := &threads[cur]
	t.frame = *f
	switch v := f.Vector; {
	case f.CS&3 == 3:
		fromUser(t, f)
	case v == vecSyscall:
		if cur == 0 {
			fatal("system call from the idle loop", f)
		}
		doSyscall(t)
	case v == vecTimer:
		timerTick()
		eoi(0)
	case v > vecTimer && v < irqBase+nirq:
		deviceIRQ(int(v - irqBase))
	case v == vecPageFault:
		pageFault(t, f)
	default:
		exception(t, f)
	}
	next := pick()
	if next != 0 && threads[next].user == 0 {
		deliverSignals(next) // a thread in user mode gets them when it is back
	}
	if next == 0 {
		idleTimer()
	}
	switchTo(next, f)
	inTrap = false
}

//go:nosplit
func pageFault(t *thread, f *Frame) {
	va := readCR2()
	write := f.Error&2 != 0
	if f.Error&1 == 0 && demandPage(va, write) {
		return
	}
	code := int32(segvMaperr)
	if f.Error&1 != 0 {
		code = segvAccerr
	}
	raiseFault(t, sigSEGV, code, uint64(va), f)
}

// exception turns a CPU exception into the signal Linux would send, or
// ends the kernel.
//
//go:nosplit
func exception(t *thread, f *Frame) {
	switch f.Vector {
	case vecDivide:
		raiseFault(t, sigFPE, 1, f.RIP, f) // FPE_INTDIV
	case vecX87, vecSIMD:
		raiseFault(t, sigFPE, 0, f.RIP, f)
	case vecInvalidOp:
		raiseFault(t, sigILL, 2, f.RIP, f) // ILL_ILLOPN
	case vecBreak, vecDebug:
		raiseFault(t, sigTRAP, 1, f.RIP, f)
	case vecGP:
		raiseFault(t, sigSEGV, 128, 0, f) // SI_KERNEL, as Linux reports #GP
	default:
		fatal("unexpected exception", f)
	}
}

// fatal reports a condition the kernel cannot survive, with the registers
// of the trap if there is one, and ends the machine with a non-zero status.
//
//go:nosplit
func fatal(msg string, f *Frame) {
	printStr("\nscone: fatal: ")
	printStr(msg)
	printStr("\n")
	if f != nil {
		dumpFrame(f)
	}
	exit(FatalStatus)
}

// FatalStatus is the exit status of a kernel that died in the machine layer.
const FatalStatus = 0x70

// SysCrash is a private system call that faults in kernel context on
// purpose, so that tests can check that such a fault is reported and ends
// the machine (see CrashTest).
const SysCrash = 1003

// crashKernel reads page 0 from kernel context: the nested page fault must
// end in fatal.
//
//go:nosplit
func crashKernel() {
	if *(*uint64)(ptr(8)) == 0x5ca1ab1e {
		printStr("page 0 is mapped\n")
	}
}

// regNames names the words of a Frame ("" for vector and error).
var regNames = [...]string{"r15", "r14", "r13", "r12", "r11", "r10", "r9", "r8",
	"rbp", "rdi", "rsi", "rdx", "rcx", "rbx", "rax", "", "", "rip", "cs", "rflags", "rsp", "ss"}

//go:nosplit
func dumpFrame(f *Frame) {
	printStr("  thread ")
	printDec(threads[uint(cur)%maxThreads].tid)
	printStr(" vector ")
	printDec(int64(f.Vector))
	printStr(" error ")
	printHex(f.Error)
	printStr(" cr2 ")
	printHex(uint64(readCR2()))
	printStr("\n")
	for i := range regNames {
		n := regNames[i] // not a range over the array: that would copy it to the stack
		if n == "" {
			continue
		}
		printStr("  ")
		printStr(n)
		printStr("=")
		printHex(*frameWord(f, uint8(i)))
		if i%3 == 2 {
			printStr("\n")
		}
	}
	printStr("\n")
}

// exit ends the machine: QEMU's isa-debug-exit device (port 0xf4) makes
// QEMU exit with status (v<<1)|1 for v = exitValue(status).  Without that
// device, a triple fault resets the CPU, which ends QEMU run with
// -no-reboot.
//
//go:nosplit
func exit(status uint32) {
	Out32(0xf4, exitValue(status))
	tripleFault()
	stop()
}

// exitValue is what exit writes to the debug-exit port for status. A
// process's exit status has 8 bits, so (v<<1)|1 leaves v seven: v is the
// low byte of status, as Linux keeps of exit_group's argument, and 127 if
// that is larger, so that no failure can read as success (128 would
// come out as QEMU status 1, the kernel's 0).
//
//go:nosplit
func exitValue(status uint32) uint32 {
	return min(status&0xff, 127)
}
