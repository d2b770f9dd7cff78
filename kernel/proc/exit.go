package proc

import (
	"context"
	"encoding/binary"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"syscall"
	"time"

	"scone/kernel/file"
)

// bigProcessPages is the size (64 MiB) from which a process's exit
// returns the kernel heap's free memory at once.
const bigProcessPages = 16384

// heapReturn rate-limits returnHeap.
var heapReturn struct {
	sync.Mutex
	last time.Time
}

// returnHeap gives the kernel heap's free memory back to the frame
// allocator after a process exit: at once after a big process (its page
// map and buffers are garbage now), else when more than 8 MiB lies free
// in the heap and the last return was a second ago.  Without it the
// runtime's scavenger takes minutes, and free memory after a burst of
// processes stays tens of MiB below what it was.
func returnHeap(big bool) {
	if !big {
		s := []metrics.Sample{{Name: "/memory/classes/heap/free:bytes"}}
		metrics.Read(s)
		if s[0].Value.Kind() != metrics.KindUint64 || s[0].Value.Uint64() < 8<<20 {
			return
		}
	}
	if big {
		heapReturn.Lock()
	} else if !heapReturn.TryLock() {
		return // another exit is returning it now
	}
	defer heapReturn.Unlock()
	if !big && time.Since(heapReturn.last) < time.Second {
		return
	}
	debug.FreeOSMemory()
	heapReturn.last = time.Now()
}

// InitExited is called when init (pid 1) ends, with its wait status; the
// kernel stops the machine.  Nil means nothing happens.
var InitExited func(status int)

// LeaderExited, if set, is called when a session leader exits, with its
// session ID (the terminal hangs up on the session: SIGHUP).
var LeaderExited func(sid int)

// Exit ends the calling thread (exit): the process ends with status code
// when its last thread does.
func (t *Thread) Exit(code int) {
	table.mu.Lock()
	t.exited = true
	if len(t.proc.threads) == 1 && !t.proc.exiting {
		t.proc.status = (code & 0xff) << 8
	}
	table.mu.Unlock()
}

// ExitGroup ends every thread of the process (exit_group).
func (t *Thread) ExitGroup(code int) {
	t.proc.exitGroup((code & 0xff) << 8)
}

// exitGroup makes every thread of p leave with p ending in wait status st.
func (p *Process) exitGroup(st int) {
	table.mu.Lock()
	if !p.exiting {
		p.exiting = true
		p.status = st
	}
	var ts []*Thread
	for t := range p.threads {
		ts = append(ts, t)
	}
	table.mu.Unlock()
	for _, t := range ts {
		t.interrupt()
	}
}

// die is the end of a thread's goroutine; the last thread out ends the
// process.
func (t *Thread) die() {
	p := t.proc
	if t.clearTID != 0 {
		var zero [4]byte
		if p.mem.CopyOut(t.clearTID, zero[:]) == nil {
			FutexWake(p.mem, t.clearTID, 1, ^uint32(0))
		}
	}
	table.mu.Lock()
	p.dead.add(t.cpu.usage())
	delete(p.threads, t)
	if t.TID != p.PID {
		delete(table.ids, t.TID)
	}
	last := len(p.threads) == 0
	table.mu.Unlock()
	t.cancel()
	if last {
		p.finish()
	}
}

// finish releases what the dead process held and makes it a zombie for
// its parent to reap.
func (p *Process) finish() {
	p.stopRealTimer()
	big := p.mem.Pages() >= bigProcessPages
	rss := rssKiB(p.mem)
	p.mem.Release()
	returnHeap(big)
	file.ReleaseRecordLocks(p, nil)
	p.Files.Release()
	p.FS.Release()
	table.mu.Lock()
	p.dead.MaxRSS = max(p.dead.MaxRSS, rss)
	p.zombie = true
	if p.vforkDone != nil {
		close(p.vforkDone)
		p.vforkDone = nil
	}
	// Orphans go to init, which reaps them.
	for c := range p.children {
		c.parent = table.init
		if table.init != nil && table.init != p {
			table.init.children[c] = true
		}
	}
	if table.init != nil && len(p.children) > 0 {
		table.init.notifyLocked()
	}
	p.children = nil
	parent, st := p.parent, p.status
	if parent != nil {
		parent.notifyLocked()
	}
	leader := p.sid == p.PID
	table.mu.Unlock()
	if leader && LeaderExited != nil {
		LeaderExited(p.PID)
	}
	if parent == nil {
		if InitExited != nil {
			InitExited(st)
		}
		return
	}
	code, stat := int32(cldExited), int32(st>>8)
	if st&0x7f != 0 {
		code, stat = cldKilled, int32(st&0x7f)
	}
	parent.Send(p.exitSig, SigInfo{Signo: int32(p.exitSig), Code: code, Pid: int32(p.PID), Status: stat})
	if parent.autoReap() {
		table.mu.Lock()
		p.reapLocked()
		table.mu.Unlock()
	}
}

// autoReap reports whether children vanish at exit (SIGCHLD ignored or
// SA_NOCLDWAIT).
func (p *Process) autoReap() bool {
	p.sig.mu.Lock()
	defer p.sig.mu.Unlock()
	a := p.sig.a[syscall.SIGCHLD]
	return a.Handler == SigIgn || a.Flags&0x2 != 0
}

// reapLocked removes the zombie p.  table.mu is held.
func (p *Process) reapLocked() {
	if p.parent != nil {
		delete(p.parent.children, p)
		p.parent.cusage.add(p.dead)
		p.parent.cusage.add(p.cusage)
	}
	delete(table.procs, p.PID)
	delete(table.ids, p.PID)
}

// Wait options.
const (
	WNOHANG    = 0x1
	WUNTRACED  = 0x2
	WEXITED    = 0x4
	WCONTINUED = 0x8
	WNOWAIT    = 0x1000000
)

// Waited is what wait returns about a child.
type Waited struct {
	PID, Status int
	Rusage      Rusage // the child's and its reaped children's (wait4)
}

// Wait waits for a child matching pid (wait4's convention: -1 any, 0 the
// caller's group, < -1 group -pid, > 0 that child) to change state as
// options ask: end (WEXITED; reaped unless WNOWAIT), stop (WUNTRACED) or
// continue (WCONTINUED).  With WNOHANG and no such child it returns PID 0.
// The status is wait4's encoding.
func (p *Process) Wait(ctx context.Context, pid, options int) (Waited, error) {
	for {
		table.mu.Lock()
		found := false
		for c := range p.children {
			if !waitMatches(p, c, pid) {
				continue
			}
			found = true
			var w Waited
			switch {
			case c.zombie && options&WEXITED != 0:
				w = Waited{PID: c.PID, Status: c.status}
				if options&WNOWAIT == 0 {
					c.reapLocked()
				}
			case c.stopped && c.stopReport && options&WUNTRACED != 0:
				w = Waited{PID: c.PID, Status: c.stopSig<<8 | 0x7f}
				c.stopReport = c.stopReport && options&WNOWAIT != 0
			case c.contReport && options&WCONTINUED != 0:
				w = Waited{PID: c.PID, Status: 0xffff}
				c.contReport = c.contReport && options&WNOWAIT != 0
			default:
				continue
			}
			w.Rusage = c.selfLocked()
			w.Rusage.add(c.cusage)
			table.mu.Unlock()
			return w, nil
		}
		ch := p.changed
		table.mu.Unlock()
		switch {
		case !found:
			return Waited{}, syscall.ECHILD
		case options&WNOHANG != 0:
			return Waited{}, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return Waited{}, syscall.EINTR
		}
	}
}

func waitMatches(p, c *Process, pid int) bool {
	switch {
	case pid > 0:
		return c.PID == pid
	case pid == 0:
		return c.pgid == p.pgid
	case pid < -1:
		return c.pgid == -pid
	}
	return true
}

// le is the byte order of every user structure.
var le = binary.LittleEndian
