package proc

import (
	"sync"
	"syscall"
)

const nsig = 64

// sigSet is a signal mask: bit sig-1 for signal sig.
type sigSet uint64

func bit(sig int) sigSet { return 1 << uint(sig-1) }

// unblockable signals: no mask holds them.
const unblockable = sigSet(1<<(9-1) | 1<<(19-1))

// SigAction is Linux's struct sigaction as rt_sigaction passes it.
type SigAction struct {
	Handler, Flags, Restorer, Mask uint64
}

// sigaction flags and handlers.
const (
	SigDfl      = 0
	SigIgn      = 1
	SaNocldstop = 0x1
	SaSiginfo   = 0x4
	SaOnstack   = 0x08000000
	SaRestart   = 0x10000000
	SaNodefer   = 0x40000000
	SaResethand = 0x80000000
)

// sigActions is a process's table of actions (shared under CLONE_SIGHAND).
type sigActions struct {
	mu sync.Mutex
	a  [nsig + 1]SigAction
}

// altStack is a thread's sigaltstack.
type altStack struct {
	sp    uint64
	flags int32
	size  uint64
}

const (
	ssOnstack = 1
	ssDisable = 2
)

// The default action of each signal.
const (
	dflTerm = iota
	dflCore
	dflIgnore
	dflStop
)

func defaultAction(sig int) int {
	switch syscall.Signal(sig) {
	case syscall.SIGQUIT, syscall.SIGILL, syscall.SIGTRAP, syscall.SIGABRT, syscall.SIGBUS,
		syscall.SIGFPE, syscall.SIGSEGV, syscall.SIGXCPU, syscall.SIGXFSZ, syscall.SIGSYS:
		return dflCore
	case syscall.SIGCHLD, syscall.SIGURG, syscall.SIGWINCH, syscall.SIGCONT:
		return dflIgnore
	case syscall.SIGSTOP, syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU:
		return dflStop
	}
	return dflTerm
}

// Signal sends sig to the thread on its own behalf (SIGPIPE): Linux's
// send_sig gives SI_USER with the process's own pid and uid.
func (t *Thread) Signal(sig int) {
	t.send(sig, t.proc.UserInfo(sig))
}

// Tkill sends sig to the thread from process from (tgkill, tkill): the
// handler sees SI_TKILL and the sender's pid and real uid, as on Linux.
func (t *Thread) Tkill(sig int, from *Process) {
	t.send(sig, SigInfo{Signo: int32(sig), Code: siTkill, Pid: int32(from.PID), UID: int32(from.Cred.UID)})
}

// UserInfo is the siginfo of a kill(2) from p: SI_USER, p's pid and real
// uid.
func (p *Process) UserInfo(sig int) SigInfo {
	return SigInfo{Signo: int32(sig), Code: siUser, Pid: int32(p.PID), UID: int32(p.Cred.UID)}
}

// send makes sig pending for t with info and interrupts t if it can take it.
func (t *Thread) send(sig int, info SigInfo) {
	if sig < 1 || sig > nsig || t.proc.ignores(sig) {
		return
	}
	t.mu.Lock()
	t.pending |= bit(sig)
	t.info[sig] = info
	deliverable := t.deliverableLocked()
	t.mu.Unlock()
	if deliverable != 0 || sig == int(syscall.SIGKILL) {
		t.interrupt()
	}
}

// Force sends a signal the thread caused (a fault): if the thread blocks
// or ignores it, the action becomes the default, as Linux does.
func (t *Thread) Force(info SigInfo) {
	sig := int(info.Signo)
	p := t.proc
	p.sig.mu.Lock()
	t.mu.Lock()
	if t.mask&bit(sig) != 0 || p.sig.a[sig].Handler == SigIgn {
		t.mask &^= bit(sig)
		p.sig.a[sig].Handler = SigDfl
	}
	t.pending |= bit(sig)
	t.info[sig] = info
	t.mu.Unlock()
	p.sig.mu.Unlock()
}

// ignores reports whether sig would be discarded on arrival.
func (p *Process) ignores(sig int) bool {
	p.sig.mu.Lock()
	defer p.sig.mu.Unlock()
	h := p.sig.a[sig].Handler
	return sig != int(syscall.SIGKILL) && (h == SigIgn || h == SigDfl && defaultAction(sig) == dflIgnore)
}

// Send sends sig to the process (kill): it is taken by a thread that
// does not block it.
func (p *Process) Send(sig int, info SigInfo) {
	switch syscall.Signal(sig) {
	case syscall.SIGCONT: // continues, whatever its action; drops pending stops
		p.dropPending(bit(19) | bit(20) | bit(21) | bit(22))
		p.continueStopped()
	case syscall.SIGSTOP, syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU:
		p.dropPending(bit(int(syscall.SIGCONT)))
	}
	if sig == 0 || p.ignores(sig) {
		return
	}
	table.mu.Lock()
	if p.zombie {
		table.mu.Unlock()
		return
	}
	var ts []*Thread
	for t := range p.threads {
		ts = append(ts, t)
	}
	table.mu.Unlock()
	if sig == int(syscall.SIGKILL) {
		p.kill(sig)
		return
	}
	p.sig.mu.Lock()
	p.pending |= bit(sig)
	p.sig.mu.Unlock()
	p.infoMu.Lock()
	p.info[sig] = info
	p.infoMu.Unlock()
	for _, t := range ts {
		t.mu.Lock()
		blocked := t.mask&bit(sig) != 0
		t.mu.Unlock()
		if !blocked {
			t.interrupt()
			break
		}
	}
}

// dropPending discards pending signals of the set from the process and
// its threads.
func (p *Process) dropPending(s sigSet) {
	p.sig.mu.Lock()
	p.pending &^= s
	p.sig.mu.Unlock()
	table.mu.Lock()
	var ts []*Thread
	for t := range p.threads {
		ts = append(ts, t)
	}
	table.mu.Unlock()
	for _, t := range ts {
		t.mu.Lock()
		t.pending &^= s
		t.mu.Unlock()
	}
}

// deliverableLocked is the pending signals t may take now.  t.mu is held.
func (t *Thread) deliverableLocked() sigSet {
	return (t.pending | t.proc.pendingShared()) &^ (t.mask &^ unblockable)
}

func (p *Process) pendingShared() sigSet {
	p.sig.mu.Lock()
	defer p.sig.mu.Unlock()
	return p.pending
}

// kill ends the process as signal sig's default action does.
func (p *Process) kill(sig int) {
	p.exitGroup(sig & 0x7f)
}

// take removes the lowest deliverable signal and returns it, 0 if none.
// Synchronous faults come first, as in Linux.
func (t *Thread) take() (int, SigInfo) {
	t.mu.Lock()
	defer t.mu.Unlock()
	d := t.deliverableLocked()
	if d == 0 {
		return 0, SigInfo{}
	}
	sig := 0
	for _, s := range []int{11, 7, 4, 5, 8} { // SEGV BUS ILL TRAP FPE
		if d&bit(s) != 0 {
			sig = s
			break
		}
	}
	if sig == 0 {
		for s := 1; s <= nsig; s++ {
			if d&bit(s) != 0 {
				sig = s
				break
			}
		}
	}
	if t.pending&bit(sig) != 0 {
		t.pending &^= bit(sig)
		return sig, t.info[sig]
	}
	p := t.proc
	p.sig.mu.Lock()
	p.pending &^= bit(sig)
	p.sig.mu.Unlock()
	p.infoMu.Lock()
	info := p.info[sig]
	p.infoMu.Unlock()
	return sig, info
}

// WillRestart reports whether a call interrupted now should be restarted
// (SA_RESTART, or no handler will run), for the dispatcher.
func (t *Thread) WillRestart() bool {
	t.mu.Lock()
	d := t.deliverableLocked()
	t.mu.Unlock()
	if d == 0 {
		return true // interrupted by nothing we deliver: go again
	}
	p := t.proc
	p.sig.mu.Lock()
	defer p.sig.mu.Unlock()
	for s := 1; s <= nsig; s++ {
		if d&bit(s) == 0 {
			continue
		}
		a := p.sig.a[s]
		if a.Handler > SigIgn && a.Flags&SaRestart == 0 {
			return false
		}
	}
	return true
}

// deliverSignals acts on pending signals before t returns to ring 3: the
// default action, or a frame for the handler.
func (t *Thread) deliverSignals() {
	for range nsig {
		sig, info := t.take()
		if sig == 0 {
			break
		}
		p := t.proc
		p.sig.mu.Lock()
		a := p.sig.a[sig]
		if a.Handler > SigIgn && a.Flags&SaResethand != 0 {
			p.sig.a[sig] = SigAction{}
		}
		p.sig.mu.Unlock()
		switch {
		case sig == int(syscall.SIGKILL):
			p.kill(sig)
			return
		case sig == int(syscall.SIGSTOP) || a.Handler == SigDfl && defaultAction(sig) == dflStop:
			p.stop(sig)
			t.waitWhileStopped()
			continue
		case a.Handler == SigIgn:
			continue
		case a.Handler == SigDfl:
			if defaultAction(sig) == dflIgnore {
				continue
			}
			p.kill(sig)
			return
		}
		if !t.handle(sig, info, a) {
			p.kill(int(syscall.SIGSEGV))
			return
		}
		return // one frame per return to ring 3; the rest wait for the next
	}
	t.mu.Lock()
	if t.savedMask != nil && t.deliverableLocked() == 0 {
		t.mask, t.savedMask = *t.savedMask, nil
	}
	t.mu.Unlock()
}

// handle pushes a signal frame for a and points the thread at the
// handler.  It returns false if the frame cannot be written.
func (t *Thread) handle(sig int, info SigInfo, a SigAction) bool {
	t.mu.Lock()
	old := t.mask
	if t.savedMask != nil { // rt_sigsuspend: the handler returns to the old mask
		old, t.savedMask = *t.savedMask, nil
	}
	alt := t.alt
	sp := t.Regs.RSP - redZone
	onAlt := alt.flags&ssDisable == 0 && alt.size > 0 && t.Regs.RSP > alt.sp && t.Regs.RSP <= alt.sp+alt.size
	if a.Flags&SaOnstack != 0 && alt.flags&ssDisable == 0 && alt.size > 0 && !onAlt {
		sp = alt.sp + alt.size
	}
	if onAlt {
		alt.flags |= ssOnstack
	}
	newMask := old | sigSet(a.Mask)
	if a.Flags&SaNodefer == 0 {
		newMask |= bit(sig)
	}
	t.mask = newMask &^ unblockable
	t.mu.Unlock()
	frame, b := sigFrame(&t.Regs, sp, old, alt, info, a.Restorer)
	if err := t.proc.mem.CopyOut(uintptr(frame), b); err != nil {
		return false
	}
	t.Regs.RSP = frame
	t.Regs.RIP = a.Handler
	t.Regs.RDI = uint64(sig)
	t.Regs.RSI = frame + frameInfo
	t.Regs.RDX = frame + frameUC
	t.Regs.RAX = 0
	t.Regs.RFLAGS &^= 0x400 // DF clear, as the ABI wants
	return true
}

// Sigreturn restores the registers, FPU state, mask and alternate stack
// from the frame under the stack pointer (rt_sigreturn).
func (t *Thread) Sigreturn() error {
	uc := make([]byte, ucSize)
	ucAddr := uintptr(t.Regs.RSP)
	if err := t.proc.mem.CopyIn(uc, ucAddr); err != nil {
		return err
	}
	var r = t.Regs
	mask, alt, fp := restoreFrame(&r, uc)
	if fp != 0 {
		if err := t.proc.mem.CopyIn(r.FX[:], uintptr(fp)); err != nil {
			return err
		}
	}
	t.Regs = r
	t.mu.Lock()
	t.mask = mask &^ unblockable
	if alt.flags&ssOnstack == 0 || alt.flags&ssDisable != 0 {
		t.alt = altStack{sp: alt.sp, size: alt.size, flags: alt.flags &^ ssOnstack}
	}
	t.mu.Unlock()
	return nil
}

// Sigaction reads and sets the action of sig (rt_sigaction).
func (p *Process) Sigaction(sig int, act *SigAction) (SigAction, error) {
	if sig < 1 || sig > nsig {
		return SigAction{}, syscall.EINVAL
	}
	p.sig.mu.Lock()
	defer p.sig.mu.Unlock()
	old := p.sig.a[sig]
	if act != nil {
		if sig == int(syscall.SIGKILL) || sig == int(syscall.SIGSTOP) {
			return old, syscall.EINVAL
		}
		p.sig.a[sig] = *act
		if act.Handler == SigIgn || act.Handler == SigDfl && defaultAction(sig) == dflIgnore {
			p.pending &^= bit(sig) // discarded at once, as POSIX says
		}
	}
	return old, nil
}

// Sigprocmask changes the thread's mask (how: 0 block, 1 unblock, 2 set)
// and returns the old one.
func (t *Thread) Sigprocmask(how int, set *uint64) (uint64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := uint64(t.mask)
	if set != nil {
		s := sigSet(*set)
		switch how {
		case 0:
			t.mask |= s
		case 1:
			t.mask &^= s
		case 2:
			t.mask = s
		default:
			return old, syscall.EINVAL
		}
		t.mask &^= unblockable
	}
	if t.deliverableLocked() != 0 {
		t.cancel()
	}
	return old, nil
}

// Sigsuspend replaces the mask until a handler runs (rt_sigsuspend).
func (t *Thread) Sigsuspend(mask uint64) {
	t.mu.Lock()
	old := t.mask
	t.savedMask = &old
	t.mask = sigSet(mask) &^ unblockable
	if t.deliverableLocked() != 0 {
		t.cancel()
	}
	ctx := t.ctx
	t.mu.Unlock()
	<-ctx.Done()
}

// Pending returns the signals pending for the thread (rt_sigpending).
func (t *Thread) Pending() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return uint64(t.pending | t.proc.pendingShared())
}

// Sigaltstack reads and sets the alternate stack.  ss.flags may be 0 or
// SS_DISABLE; EPERM while the thread runs on it.
func (t *Thread) Sigaltstack(ss *[3]uint64) ([3]uint64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	on := t.alt.size > 0 && t.alt.flags&ssDisable == 0 && t.Regs.RSP > t.alt.sp && t.Regs.RSP <= t.alt.sp+t.alt.size
	flags := t.alt.flags
	if on {
		flags |= ssOnstack
	}
	if t.alt.size == 0 && t.alt.sp == 0 {
		flags = ssDisable
	}
	old := [3]uint64{t.alt.sp, uint64(uint32(flags)), t.alt.size}
	if ss != nil {
		if on {
			return old, syscall.EPERM
		}
		f := int32(ss[1])
		switch {
		case f == ssDisable:
			t.alt = altStack{flags: ssDisable}
		case f != 0:
			return old, syscall.EINVAL
		case ss[2] < 2048:
			return old, syscall.ENOMEM
		default:
			t.alt = altStack{sp: ss[0], size: ss[2]}
		}
	}
	return old, nil
}
