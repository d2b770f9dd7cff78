package proc

import (
	"encoding/binary"

	"scone/kernel/machine"
)

// Linux's x86-64 struct rt_sigframe, byte for byte:
//
//	0    pretcode (sa_restorer)
//	8    struct ucontext: uc_flags, uc_link, uc_stack (24 bytes),
//	48        uc_mcontext (struct sigcontext, 256 bytes), uc_sigmask
//	312  struct siginfo (128 bytes)
//
// with the 512-byte FXSAVE image below... above it, 64-aligned, pointed
// at by the sigcontext's fpstate.  Offsets inside struct sigcontext:
const (
	scR8      = 0
	scRDI     = 64
	scRSI     = 72
	scRBP     = 80
	scRBX     = 88
	scRDX     = 96
	scRAX     = 104
	scRCX     = 112
	scRSP     = 120
	scRIP     = 128
	scEFLAGS  = 136
	scCSGSFS  = 144 // cs, gs, fs, ss: 16 bits each
	scErr     = 152
	scTrapno  = 160
	scOldmask = 168
	scCR2     = 176
	scFpstate = 184
	scSize    = 256

	ucFlags    = 0
	ucLink     = 8
	ucStack    = 16
	ucMcontext = 40
	ucSigmask  = 296
	ucSize     = 304

	frameUC      = 8
	frameInfo    = frameUC + ucSize // 312
	frameSize    = frameInfo + siginfoSize
	siginfoSize  = 128
	fpstateSize  = 512
	redZone      = 128
	ucFlagsValue = 0x2 | 0x4 // UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS: no XSAVE state
)

// SigInfo is the part of a siginfo_t that Scone fills in.
type SigInfo struct {
	Signo, Errno, Code int32
	Pid, UID           int32  // kill, tgkill, SIGCHLD
	Status             int32  // SIGCHLD
	Addr               uint64 // SIGSEGV, SIGBUS, SIGILL, SIGFPE
}

// Signal codes.
const (
	siUser     = 0
	siTkill    = -6
	segvMapErr = 1
	segvAccErr = 2
	fpeIntDiv  = 1
	illIllOpn  = 2
	cldExited  = 1
	cldKilled  = 2
)

// encode writes info as Linux's siginfo_t (128 bytes).
func (info SigInfo) encode(b []byte) {
	le := binary.LittleEndian
	clear(b[:siginfoSize])
	le.PutUint32(b[0:], uint32(info.Signo))
	le.PutUint32(b[4:], uint32(info.Errno))
	le.PutUint32(b[8:], uint32(info.Code))
	switch info.Signo {
	case 4, 7, 8, 11: // SIGILL, SIGBUS, SIGFPE, SIGSEGV: si_addr
		le.PutUint64(b[16:], info.Addr)
	default:
		le.PutUint32(b[16:], uint32(info.Pid))
		le.PutUint32(b[20:], uint32(info.UID))
		le.PutUint32(b[24:], uint32(info.Status))
	}
}

// gprs lists the sigcontext slots of the general registers in UserRegs.
func gprs(r *machine.UserRegs) [16]struct {
	off int
	p   *uint64
} {
	return [16]struct {
		off int
		p   *uint64
	}{
		{scR8, &r.R8}, {scR8 + 8, &r.R9}, {scR8 + 16, &r.R10}, {scR8 + 24, &r.R11},
		{scR8 + 32, &r.R12}, {scR8 + 40, &r.R13}, {scR8 + 48, &r.R14}, {scR8 + 56, &r.R15},
		{scRDI, &r.RDI}, {scRSI, &r.RSI}, {scRBP, &r.RBP}, {scRBX, &r.RBX},
		{scRDX, &r.RDX}, {scRAX, &r.RAX}, {scRCX, &r.RCX}, {scRSP, &r.RSP},
	}
}

// sigFrame builds the frame for a handler: sp is where the stack starts
// (the alternate stack's top, or below the red zone).  It returns the
// frame's address, the bytes to write there (frame then FXSAVE image) and
// the fpstate address.
func sigFrame(r *machine.UserRegs, sp uint64, mask sigSet, alt altStack, info SigInfo, restorer uint64) (uint64, []byte) {
	fp := (sp - fpstateSize) &^ 63
	frame := ((fp - frameSize) &^ 15) - 8
	b := make([]byte, fp+fpstateSize-frame)
	le := binary.LittleEndian
	le.PutUint64(b[0:], restorer)
	uc := b[frameUC:]
	le.PutUint64(uc[ucFlags:], ucFlagsValue)
	le.PutUint64(uc[ucStack:], alt.sp)
	le.PutUint32(uc[ucStack+8:], uint32(alt.flags))
	le.PutUint64(uc[ucStack+16:], alt.size)
	mc := uc[ucMcontext:]
	for _, g := range gprs(r) {
		le.PutUint64(mc[g.off:], *g.p)
	}
	le.PutUint64(mc[scRIP:], r.RIP)
	le.PutUint64(mc[scEFLAGS:], r.RFLAGS)
	le.PutUint16(mc[scCSGSFS:], 0x23)        // cs
	le.PutUint16(mc[scCSGSFS+6:], 0x1b)      // ss
	if info.Signo == 11 || info.Signo == 7 { // a fault: the CPU's figures
		le.PutUint64(mc[scErr:], r.Error)
		le.PutUint64(mc[scTrapno:], r.Vector)
		le.PutUint64(mc[scCR2:], info.Addr)
	}
	le.PutUint64(mc[scOldmask:], uint64(mask))
	le.PutUint64(mc[scFpstate:], fp)
	le.PutUint64(uc[ucSigmask:], uint64(mask))
	info.encode(b[frameInfo:])
	copy(b[fp-frame:], r.FX[:])
	return frame, b
}

// restoreFrame reads the ucontext at uc (what rt_sigreturn finds at the
// stack pointer) back into r, and returns the mask and alternate stack
// it holds.  The FXSAVE image is read separately from the fpstate
// pointer, which restoreFrame returns.
func restoreFrame(r *machine.UserRegs, uc []byte) (mask sigSet, alt altStack, fpstate uint64) {
	le := binary.LittleEndian
	mc := uc[ucMcontext:]
	for _, g := range gprs(r) {
		*g.p = le.Uint64(mc[g.off:])
	}
	r.RIP = le.Uint64(mc[scRIP:])
	r.RFLAGS = le.Uint64(mc[scEFLAGS:])
	alt = altStack{sp: le.Uint64(uc[ucStack:]), flags: int32(le.Uint32(uc[ucStack+8:])), size: le.Uint64(uc[ucStack+16:])}
	return sigSet(le.Uint64(uc[ucSigmask:])), alt, le.Uint64(mc[scFpstate:])
}
