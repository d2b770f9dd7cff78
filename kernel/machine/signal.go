package machine

// Signals, as Linux delivers them on x86-64.  The runtime needs two: SIGURG,
// which it sends itself (tgkill) to preempt a goroutine that never calls
// anything, and SIGSEGV, which a fault at an unmapped address becomes so
// that a nil dereference is a recoverable panic.
//
// Delivery pushes a Linux rt_sigframe (return address, ucontext, siginfo,
// FXSAVE image) on the thread's alternate stack and enters the handler;
// rt_sigreturn restores everything from the ucontext the handler may have
// edited (the runtime rewrites RIP and RSP there to inject asyncPreempt).

import "syscall"

const (
	nsig = 64

	sigTRAP = 5
	sigBUS  = 7
	sigFPE  = 8
	sigKILL = 9
	sigSEGV = 11
	sigSTOP = 19
	sigILL  = 4
	sigURG  = 23

	sigDFL = 0
	sigIGN = 1

	saSiginfo   = 0x4
	saOnstack   = 0x08000000
	saRestorer  = 0x04000000
	saNodefer   = 0x40000000
	saResethand = 0x80000000

	ssOnstack = 1
	ssDisable = 2

	siTkill    = -6
	segvMaperr = 1
	segvAccerr = 2

	sigBlock   = 0
	sigUnblock = 1
	sigSetmask = 2

	// Layout of struct rt_sigframe.
	ucOffset      = 8 // after the return address
	ucStack       = ucOffset + 16
	ucMcontext    = ucOffset + 40
	ucSigmask     = ucOffset + 296
	siginfoOffset = ucOffset + 304
	frameSize     = siginfoOffset + 128
	fpstateSize   = 512

	// Offsets in struct sigcontext (the mcontext) after the registers,
	// as Linux's arch/x86/include/uapi/asm/sigcontext.h has them.
	mcCSGSFS  = 144 // cs, gs, fs, ss: 16 bits each
	mcErr     = 152
	mcTrapno  = 160
	mcOldmask = 168
	mcCR2     = 176
	mcFpstate = 184
)

type sigaction struct {
	handler, flags, restorer, mask uint64
}

var sigactions [nsig + 1]sigaction

//go:nosplit
func sigbit(sig int64) uint64 { return 1 << uint(sig-1) }

// unblockable is the set that no mask may block.
const unblockable = 1<<(sigKILL-1) | 1<<(sigSTOP-1)

//go:nosplit
func sysRtSigaction(sig int64, act, oact uintptr, size uint64) int64 {
	if sig < 1 || sig > nsig || size != 8 {
		return -int64(syscall.EINVAL)
	}
	if oact != 0 {
		if !touch(oact, 32, true) {
			return -int64(syscall.EFAULT)
		}
		*(*sigaction)(ptr(oact)) = sigactions[sig]
	}
	if act != 0 {
		if sig == sigKILL || sig == sigSTOP {
			return -int64(syscall.EINVAL)
		}
		if !touch(act, 32, false) {
			return -int64(syscall.EFAULT)
		}
		sigactions[sig] = *(*sigaction)(ptr(act))
	}
	return 0
}

//go:nosplit
func sysRtSigprocmask(t *thread, how int64, set, oset uintptr, size uint64) int64 {
	if size != 8 {
		return -int64(syscall.EINVAL)
	}
	if oset != 0 {
		if !touch(oset, 8, true) {
			return -int64(syscall.EFAULT)
		}
		*(*uint64)(ptr(oset)) = t.sigmask
	}
	if set == 0 {
		return 0
	}
	if !touch(set, 8, false) {
		return -int64(syscall.EFAULT)
	}
	s := *(*uint64)(ptr(set))
	switch how {
	case sigBlock:
		t.sigmask |= s
	case sigUnblock:
		t.sigmask &^= s
	case sigSetmask:
		t.sigmask = s
	default:
		return -int64(syscall.EINVAL)
	}
	t.sigmask &^= unblockable
	return 0
}

// onAltstack reports whether sp is on t's alternate signal stack.
//
//go:nosplit
func onAltstack(t *thread, sp uint64) bool {
	return t.altFlags&ssDisable == 0 && sp > t.altSP && sp-t.altSP <= t.altSize
}

//go:nosplit
func sysSigaltstack(t *thread, ss, oss uintptr) int64 {
	if oss != 0 {
		if !touch(oss, 24, true) {
			return -int64(syscall.EFAULT)
		}
		flags := t.altFlags
		if onAltstack(t, t.frame.RSP) {
			flags |= ssOnstack
		}
		*(*uint64)(ptr(oss)) = t.altSP
		*(*uint32)(ptr(oss + 8)) = flags
		*(*uint32)(ptr(oss + 12)) = 0
		*(*uint64)(ptr(oss + 16)) = t.altSize
	}
	if ss != 0 {
		if !touch(ss, 24, false) {
			return -int64(syscall.EFAULT)
		}
		if onAltstack(t, t.frame.RSP) {
			return -int64(syscall.EPERM)
		}
		flags := *(*uint32)(ptr(ss + 8))
		if flags&^ssDisable != 0 {
			return -int64(syscall.EINVAL)
		}
		t.altSP = *(*uint64)(ptr(ss))
		t.altSize = *(*uint64)(ptr(ss + 16))
		t.altFlags = flags
	}
	return 0
}

//go:nosplit
func sysTgkill(tgid, tid, sig int64) int64 {
	if sig < 0 || sig > nsig || tgid != pid {
		return -int64(syscall.EINVAL)
	}
	t := findTID(tid)
	if t == nil {
		return -int64(syscall.ESRCH)
	}
	if sig != 0 {
		t.pending |= sigbit(sig)
	}
	return 0
}

// raiseFault makes a synchronous signal pending on t for the fault that
// just happened, or ends the kernel if the thread cannot take it.
//
//go:nosplit
func raiseFault(t *thread, sig int64, code int32, faultAddr uint64, f *Frame) {
	a := &sigactions[sig]
	if cur == 0 || a.handler == sigDFL || a.handler == sigIGN || t.sigmask&sigbit(sig) != 0 {
		fatal("fault with no signal handler", f)
	}
	t.pending |= sigbit(sig)
	t.faultCode = code
	t.faultAddr = faultAddr
	t.faultTrap = f.Vector
	t.faultError = f.Error
}

// sigcontextOrder lists, in struct sigcontext order (r8..r15, rdi, rsi,
// rbp, rbx, rdx, rax, rcx, rsp, rip; eflags follows), each register's
// index in Frame.
var sigcontextOrder = [17]uint8{7, 6, 5, 4, 3, 2, 1, 0, 9, 10, 8, 13, 11, 14, 12, 20, 17}

//go:nosplit
func frameWord(f *Frame, i uint8) *uint64 {
	return (*uint64)(ptr(addr(f) + uintptr(i)*8))
}

// deliverSignals sets t up to run the handler of its lowest pending,
// unblocked signal, if any.
//
//go:nosplit
func deliverSignals(ti int) {
	t := &threads[ti]
	ready := t.pending &^ t.sigmask
	if ready == 0 {
		return
	}
	sig := int64(1)
	for ready&1 == 0 {
		ready >>= 1
		sig++
	}
	t.pending &^= sigbit(sig)
	a := sigactions[sig]
	switch {
	case a.handler == sigIGN:
		return
	case a.handler == sigDFL:
		if sig == sigURG || sig == 17 || sig == 28 { // SIGURG, SIGCHLD, SIGWINCH: ignore
			return
		}
		fatal("signal with default action", &t.frame)
	}
	if a.flags&saRestorer == 0 {
		fatal("signal handler without SA_RESTORER", &t.frame)
	}
	f := &t.frame
	sp := f.RSP
	if a.flags&saOnstack != 0 && t.altFlags&ssDisable == 0 && !onAltstack(t, sp) {
		sp = t.altSP + t.altSize
	} else {
		sp -= 128 // the red zone
	}
	fp := (sp - fpstateSize) &^ 63
	frame := ((fp - frameSize) &^ 15) - 8 // as if called: (frame+8) % 16 == 0
	if !touch(uintptr(frame), uintptr(sp-frame), true) {
		fatal("signal stack not writable", f)
	}
	memcopy(uintptr(fp), fxArea(ti), fpstateSize)
	memclr(uintptr(frame), uintptr(fp-frame)&^7)

	p := uintptr(frame)
	*(*uint64)(ptr(p)) = a.restorer
	*(*uint64)(ptr(p + ucStack)) = t.altSP
	*(*uint32)(ptr(p + ucStack + 8)) = t.altFlags
	*(*uint64)(ptr(p + ucStack + 16)) = t.altSize
	m := p + ucMcontext
	for i, w := range sigcontextOrder {
		*(*uint64)(ptr(m + uintptr(i)*8)) = *frameWord(f, w)
	}
	*(*uint64)(ptr(m + 17*8)) = f.RFLAGS
	*(*uint16)(ptr(m + mcCSGSFS)) = uint16(f.CS)
	*(*uint16)(ptr(m + mcCSGSFS + 6)) = uint16(f.SS)
	info := p + siginfoOffset
	*(*int32)(ptr(info)) = int32(sig)
	if sig == sigSEGV || sig == sigBUS || sig == sigFPE || sig == sigILL || sig == sigTRAP {
		*(*uint64)(ptr(m + mcErr)) = t.faultError
		*(*uint64)(ptr(m + mcTrapno)) = t.faultTrap
		*(*uint64)(ptr(m + mcCR2)) = t.faultAddr
		*(*int32)(ptr(info + 8)) = t.faultCode
		*(*uint64)(ptr(info + 16)) = t.faultAddr
	} else {
		*(*int32)(ptr(info + 8)) = siTkill
		*(*uint32)(ptr(info + 16)) = pid
	}
	*(*uint64)(ptr(m + mcOldmask)) = t.sigmask
	*(*uint64)(ptr(m + mcFpstate)) = fp
	*(*uint64)(ptr(p + ucSigmask)) = t.sigmask

	if a.flags&saNodefer == 0 {
		t.sigmask |= sigbit(sig)
	}
	t.sigmask = (t.sigmask | a.mask) &^ unblockable
	if a.flags&saResethand != 0 {
		sigactions[sig].handler = sigDFL
	}
	f.RSP = frame
	f.RIP = a.handler
	f.RDI = uint64(sig)
	f.RSI = uint64(info)
	f.RDX = uint64(p + ucOffset)
	f.RAX = 0
	f.RFLAGS &^= 0x400 | 0x100 // DF, TF
}

// sysRtSigreturn restores the state saved by deliverSignals.  The handler
// returned into the restorer, which popped the return address, so RSP
// points at the ucontext.
//
//go:nosplit
func sysRtSigreturn(t *thread) int64 {
	f := &t.frame
	uc := uintptr(f.RSP)
	if !touch(uc, siginfoOffset-ucOffset, false) {
		fatal("rt_sigreturn: bad frame", f)
	}
	m := uc - ucOffset + ucMcontext
	fp := uintptr(*(*uint64)(ptr(m + mcFpstate)))
	if fp == 0 || fp&15 != 0 || !touch(fp, fpstateSize, false) {
		fatal("rt_sigreturn: bad fpstate", f)
	}
	for i, w := range sigcontextOrder {
		*frameWord(f, w) = *(*uint64)(ptr(m + uintptr(i)*8))
	}
	// Only the arithmetic flags, DF and TF come back; IF stays on.
	const restored = userFlags | 0x100
	f.RFLAGS = f.RFLAGS&^restored | *(*uint64)(ptr(m + 17*8))&restored
	memcopy(fxArea(cur), fp, fpstateSize)
	// MXCSR bits the CPU rejects would fault in FXRSTOR: keep the valid ones.
	*(*uint32)(ptr(fxArea(cur) + 24)) &= 0xffff
	t.sigmask = *(*uint64)(ptr(uc - ucOffset + ucSigmask)) &^ unblockable
	return int64(f.RAX)
}
