package proc

import "syscall"

// Job control: a stop signal's default action stops every thread of the
// process until SIGCONT (or SIGKILL); the parent hears of both through
// wait (WUNTRACED, WCONTINUED) and SIGCHLD.

// SIGCHLD codes for stops and continues.
const (
	cldStopped   = 5
	cldContinued = 6
)

// stop stops p with signal sig, if it is not stopped already.
func (p *Process) stop(sig int) {
	table.mu.Lock()
	if p.stopped || p.exiting || p.zombie {
		table.mu.Unlock()
		return
	}
	p.stopped, p.stopSig, p.stopReport, p.contReport = true, sig, true, false
	p.cont = make(chan struct{})
	var ts []*Thread
	for t := range p.threads {
		ts = append(ts, t)
	}
	parent := p.parent
	if parent != nil {
		parent.notifyLocked()
	}
	table.mu.Unlock()
	for _, t := range ts {
		t.interrupt() // the others stop at their next return to the kernel
	}
	if parent != nil && !parent.noCldStop() {
		parent.Send(int(syscall.SIGCHLD), SigInfo{Signo: int32(syscall.SIGCHLD), Code: cldStopped, Pid: int32(p.PID), Status: int32(sig)})
	}
}

// continueStopped resumes p if it is stopped (SIGCONT, whatever its
// action).
func (p *Process) continueStopped() {
	table.mu.Lock()
	if !p.stopped {
		table.mu.Unlock()
		return
	}
	p.stopped, p.stopReport, p.contReport = false, false, true
	close(p.cont)
	parent := p.parent
	if parent != nil {
		parent.notifyLocked()
	}
	table.mu.Unlock()
	if parent != nil && !parent.noCldStop() {
		parent.Send(int(syscall.SIGCHLD), SigInfo{Signo: int32(syscall.SIGCHLD), Code: cldContinued, Pid: int32(p.PID), Status: int32(syscall.SIGCONT)})
	}
}

// noCldStop reports SA_NOCLDSTOP on the process's SIGCHLD action.
func (p *Process) noCldStop() bool {
	p.sig.mu.Lock()
	defer p.sig.mu.Unlock()
	return p.sig.a[syscall.SIGCHLD].Flags&SaNocldstop != 0
}

// waitWhileStopped parks the thread while its process is stopped; it
// returns when the process continues or is dying.
func (t *Thread) waitWhileStopped() {
	for range 1 << 20 {
		table.mu.Lock()
		p := t.proc
		stopped, cont := p.stopped, p.cont
		dying := p.exiting || t.exited
		table.mu.Unlock()
		if !stopped || dying {
			return
		}
		t.mu.Lock()
		if t.ctx.Err() != nil && t.deliverableLocked()&bit(int(syscall.SIGKILL)) == 0 {
			t.ctx, t.cancel = newContext()
		}
		ctx := t.ctx
		t.mu.Unlock()
		select {
		case <-cont:
		case <-ctx.Done(): // SIGKILL
		}
	}
}

// Stopped reports whether the process is stopped (state T in /proc).
func (p *Process) Stopped() bool {
	table.mu.Lock()
	defer table.mu.Unlock()
	return p.stopped
}

// IgnoresOrBlocks reports whether t's process ignores sig (SIG_IGN) or
// t blocks it: the test Linux's terminal job control makes before it
// sends SIGTTIN or SIGTTOU.
func (t *Thread) IgnoresOrBlocks(sig int) bool {
	p := t.proc
	p.sig.mu.Lock()
	defer p.sig.mu.Unlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	return p.sig.a[sig].Handler == SigIgn || t.mask&bit(sig) != 0
}

// Orphaned reports whether process group pgid is orphaned: no member
// has a parent in another group of the same session (POSIX), so nobody
// would continue it if a terminal signal stopped it.
func Orphaned(pgid int) bool {
	table.mu.Lock()
	defer table.mu.Unlock()
	for _, q := range table.procs {
		if q.pgid != pgid || q.zombie {
			continue
		}
		if par := q.parent; par != nil && par.pgid != pgid && par.sid == q.sid {
			return false
		}
	}
	return true
}
