package machine

import (
	"testing"
	"unsafe"
)

// Offsets in Linux's x86-64 struct sigcontext (arch/x86/include/uapi/asm/
// sigcontext.h), which the runtime reads and edits.
const (
	scR8     = 0
	scRDI    = 64
	scRAX    = 104
	scRSP    = 120
	scRIP    = 128
	scEFLAGS = 136
	scERR    = 152
	scTRAPNO = 160
	scOLDMSK = 168
	scCR2    = 176
	scFPSTAT = 184
)

// setupStack maps an n-byte region for a stack in the fake machine and
// returns its base.
func setupStack(t *testing.T, n uintptr) uintptr {
	t.Helper()
	a := sysMmap(0, n, protRead|protWrite, mapAnonymous|mapPrivate, -1)
	if a < 0 {
		t.Fatalf("mmap: %d", a)
	}
	// The fake region's addresses are not real memory: back them with a
	// Go buffer by moving the region onto it.
	buf := make([]byte, n+pageSize)
	base := (uintptr(unsafe.Pointer(&buf[0])) + pageSize - 1) &^ (pageSize - 1)
	removeVMAs(uintptr(a), uintptr(a)+n)
	insertVMA(base, base+n, protRead|protWrite)
	t.Cleanup(func() { keep(buf) })
	return base
}

func TestSignalRoundTrip(t *testing.T) {
	ram := fakeMachine(t, 256*pageSize)
	defer keep(ram)
	alt := setupStack(t, 8*pageSize)
	th := &threads[1]
	f := &th.frame
	for i := range 22 {
		*frameWord(f, uint8(i)) = 0x1000 + uint64(i) // recognisable values
	}
	f.RSP = 0x7000_0000 // the interrupted stack: not touched (we use the altstack)
	f.RFLAGS = 0x246
	th.sigmask = 1 << 3
	th.altSP, th.altSize, th.altFlags = uint64(alt), 8*pageSize, 0
	*(*uint32)(ptr(fxArea(1) + 24)) = 0x1f80 // MXCSR, to see the FPU image travel
	sigactions[sigURG] = sigaction{handler: 0x4242, flags: saOnstack | saSiginfo | saRestorer, restorer: 0x5151, mask: 1 << 9}
	if r := sysTgkill(pid, 1, sigURG); r != 0 {
		t.Fatalf("tgkill = %d", r)
	}
	saved := *f

	deliverSignals(1)

	if f.RIP != 0x4242 || f.RDI != sigURG {
		t.Fatalf("handler entry: rip %#x rdi %d", f.RIP, f.RDI)
	}
	if f.RSP < uint64(alt) || f.RSP >= uint64(alt)+8*pageSize {
		t.Fatalf("frame at %#x, not on the alternate stack", f.RSP)
	}
	if (f.RSP+8)%16 != 0 {
		t.Errorf("rsp %#x: want (rsp+8) %% 16 == 0, as after a call", f.RSP)
	}
	sp := uintptr(f.RSP)
	if ret := *(*uint64)(ptr(sp)); ret != 0x5151 {
		t.Errorf("return address %#x, want the restorer", ret)
	}
	info, uc := uintptr(f.RSI), uintptr(f.RDX)
	if info != sp+siginfoOffset || uc != sp+ucOffset {
		t.Errorf("siginfo %#x ucontext %#x, want frame+%d and frame+%d", info, uc, siginfoOffset, ucOffset)
	}
	if signo, code := *(*int32)(ptr(info)), *(*int32)(ptr(info + 8)); signo != sigURG || code != siTkill {
		t.Errorf("siginfo: signo %d code %d", signo, code)
	}
	mc := uc + 40
	for _, c := range []struct {
		off  uintptr
		want uint64
	}{{scR8, saved.R8}, {scRDI, saved.RDI}, {scRAX, saved.RAX}, {scRSP, saved.RSP}, {scRIP, saved.RIP}, {scEFLAGS, saved.RFLAGS}} {
		if got := *(*uint64)(ptr(mc + c.off)); got != c.want {
			t.Errorf("mcontext+%d = %#x, want %#x", c.off, got, c.want)
		}
	}
	fp := uintptr(*(*uint64)(ptr(mc + scFPSTAT)))
	if fp%16 != 0 || *(*uint32)(ptr(fp + 24)) != 0x1f80 {
		t.Errorf("fpstate at %#x does not hold the FXSAVE image", fp)
	}
	if got := *(*uint64)(ptr(mc + scOLDMSK)); got != 1<<3 {
		t.Errorf("oldmask %#x, want the old mask", got)
	}
	if got := *(*uint64)(ptr(uc + 296)); got != 1<<3 {
		t.Errorf("uc_sigmask %#x, want the old mask", got)
	}
	if want := uint64(1<<3 | 1<<9 | 1<<(sigURG-1)); th.sigmask != want {
		t.Errorf("mask in the handler %#x, want %#x", th.sigmask, want)
	}
	if th.pending != 0 {
		t.Errorf("signal still pending")
	}

	// The runtime's handler edits the context (as asyncPreempt injection
	// does), returns into the restorer, which pops the return address and
	// calls rt_sigreturn.
	*(*uint64)(ptr(mc + scRIP)) = 0x9999
	*(*uint64)(ptr(mc + scRSP)) -= 8
	f.RSP += 8
	f.RAX = 15
	if r := sysRtSigreturn(th); r != int64(saved.RAX) {
		t.Errorf("rt_sigreturn returned %#x, want the saved rax %#x", r, saved.RAX)
	}
	f.RAX = saved.RAX
	want := saved
	want.RIP, want.RSP = 0x9999, saved.RSP-8
	for i := range 22 {
		if i == 15 || i == 16 || i == 18 || i == 21 { // vector, error, cs, ss stay
			continue
		}
		if got, w := *frameWord(f, uint8(i)), *frameWord(&want, uint8(i)); got != w {
			t.Errorf("after sigreturn %s = %#x, want %#x", regNames[i], got, w)
		}
	}
	if th.sigmask != 1<<3 {
		t.Errorf("mask after sigreturn %#x, want %#x", th.sigmask, 1<<3)
	}
}

func TestSigprocmask(t *testing.T) {
	ram := fakeMachine(t, 64*pageSize)
	defer keep(ram)
	buf := setupStack(t, pageSize)
	th := &threads[1]
	set := func(how int64, v uint64) int64 {
		*(*uint64)(ptr(buf)) = v
		return sysRtSigprocmask(th, how, buf, buf+8, 8)
	}
	tests := []struct {
		how       int64
		v, want   uint64
		wantError bool
	}{
		{sigSetmask, 0xf0, 0xf0, false},
		{sigBlock, 0x0f, 0xff, false},
		{sigUnblock, 0x30, 0xcf, false},
		{sigBlock, 1 << (sigKILL - 1), 0xcf, false}, // SIGKILL cannot be blocked
		{7, 1, 0xcf, true},
	}
	for _, tt := range tests {
		old := th.sigmask
		r := set(tt.how, tt.v)
		if (r != 0) != tt.wantError || th.sigmask != tt.want {
			t.Errorf("how %d set %#x: r %d mask %#x, want mask %#x", tt.how, tt.v, r, th.sigmask, tt.want)
		}
		if got := *(*uint64)(ptr(buf + 8)); got != old {
			t.Errorf("old mask %#x, want %#x", got, old)
		}
	}
}

func TestSigaltstack(t *testing.T) {
	ram := fakeMachine(t, 64*pageSize)
	defer keep(ram)
	buf := setupStack(t, pageSize)
	th := &threads[1]
	ss, oss := buf, buf+64
	get := func() (sp uint64, flags uint32, size uint64) {
		if r := sysSigaltstack(th, 0, oss); r != 0 {
			t.Fatalf("sigaltstack(nil, &old) = %d", r)
		}
		return *(*uint64)(ptr(oss)), *(*uint32)(ptr(oss + 8)), *(*uint64)(ptr(oss + 16))
	}
	if _, flags, _ := get(); flags != ssDisable {
		t.Errorf("a new thread's alternate stack: flags %d, want SS_DISABLE", flags)
	}
	*(*uint64)(ptr(ss)) = 0x10000
	*(*uint32)(ptr(ss + 8)) = 0
	*(*uint64)(ptr(ss + 16)) = 0x8000
	if r := sysSigaltstack(th, ss, 0); r != 0 {
		t.Fatalf("sigaltstack(set) = %d", r)
	}
	if sp, flags, size := get(); sp != 0x10000 || flags != 0 || size != 0x8000 {
		t.Errorf("after set: sp %#x flags %d size %#x", sp, flags, size)
	}
	th.frame.RSP = 0x14000 // running on it now
	if _, flags, _ := get(); flags != ssOnstack {
		t.Errorf("on the stack: flags %d, want SS_ONSTACK", flags)
	}
	if r := sysSigaltstack(th, ss, 0); r != -1 { // EPERM
		t.Errorf("changing the stack in use = %d, want EPERM", r)
	}
}

// TestFaultFrame checks the fault fields of the sigcontext at Linux's
// offsets (err 152, trapno 160, cr2 176), which C handlers read.
func TestFaultFrame(t *testing.T) {
	ram := fakeMachine(t, 256*pageSize)
	defer keep(ram)
	alt := setupStack(t, 8*pageSize)
	th := &threads[1]
	f := &th.frame
	f.RSP = 0x7000_0000
	f.Vector, f.Error = 14, 6
	th.sigmask = 1 << 4
	th.altSP, th.altSize, th.altFlags = uint64(alt), 8*pageSize, 0
	sigactions[sigSEGV] = sigaction{handler: 0x4242, flags: saOnstack | saSiginfo | saRestorer, restorer: 0x5151}
	defer func() { sigactions[sigSEGV] = sigaction{} }()
	raiseFault(th, sigSEGV, segvMaperr, 0xbad0, f)
	deliverSignals(1)
	mc := uintptr(f.RDX) + 40
	for _, c := range []struct {
		name string
		off  uintptr
		want uint64
	}{{"err", scERR, 6}, {"trapno", scTRAPNO, 14}, {"oldmask", scOLDMSK, 1 << 4}, {"cr2", scCR2, 0xbad0}} {
		if got := *(*uint64)(ptr(mc + c.off)); got != c.want {
			t.Errorf("%s at mcontext+%d = %#x, want %#x", c.name, c.off, got, c.want)
		}
	}
	if fp := *(*uint64)(ptr(mc + scFPSTAT)); fp%64 != 0 || fp < f.RSP {
		t.Errorf("fpstate %#x", fp)
	}
	if addr := *(*uint64)(ptr(uintptr(f.RSI) + 16)); addr != 0xbad0 {
		t.Errorf("si_addr %#x", addr)
	}
}
