package proc

import (
	"syscall"

	"scone/kernel/file"
	"scone/kernel/mem"
)

// NewProcess makes a process with one thread and an empty address space,
// not yet running: the kernel's way to make init (then Exec and Start),
// and the host tests' way to get a thread.  The first process made is
// init, every orphan's new parent.
func NewProcess(files *file.Table, fs *file.FSContext) (*Thread, error) {
	pt, err := NewPageTable()
	if err != nil {
		return nil, err
	}
	table.mu.Lock()
	defer table.mu.Unlock()
	if len(table.procs) >= MaxProcs {
		pt.Free()
		return nil, errAgain
	}
	pid := allocID()
	p := &Process{PID: pid, Files: files, FS: fs, mem: mem.New(pt), sig: &sigActions{},
		children: make(map[*Process]bool), threads: make(map[*Thread]bool),
		pgid: pid, sid: pid, changed: make(chan struct{}), exitSig: int(syscall.SIGCHLD), rlim: defaultRlimits()}
	t := newThread(p, pid)
	p.threads[t] = true
	table.procs[pid] = p
	if table.init == nil {
		table.init = p
	}
	return t, nil
}

// Start runs the thread's goroutine.
func (t *Thread) Start() { t.start() }

// Clone flags.
const (
	CloneVM            = 0x100
	CloneFS            = 0x200
	CloneFiles         = 0x400
	CloneSighand       = 0x800
	CloneParent        = 0x8000
	CloneThread        = 0x10000
	CloneVfork         = 0x4000
	CloneSettls        = 0x80000
	CloneParentSettid  = 0x100000
	CloneChildCleartid = 0x200000
	CloneChildSettid   = 0x1000000
)

// CloneArgs are clone's arguments.
type CloneArgs struct {
	Flags                           uint64
	Stack, ParentTID, ChildTID, TLS uintptr
}

// Clone makes a thread or a process as clone(2) does and returns the new
// thread's id.  The child resumes after the SYSCALL with RAX = 0.
func (t *Thread) Clone(a CloneArgs) (int, error) {
	f := a.Flags
	switch {
	case f&CloneThread != 0 && f&CloneSighand == 0, f&CloneSighand != 0 && f&CloneVM == 0:
		return 0, syscall.EINVAL
	}
	var c *Thread
	var err error
	if f&CloneThread != 0 {
		c, err = t.cloneThread()
	} else {
		c, err = t.cloneProcess(f)
	}
	if err != nil {
		return 0, err
	}
	c.Regs = t.Regs
	c.Regs.RAX = 0
	if a.Stack != 0 {
		c.Regs.RSP = uint64(a.Stack)
	}
	if f&CloneSettls != 0 {
		c.Regs.FSBase = uint64(a.TLS)
	}
	t.mu.Lock()
	c.mask = t.mask
	if f&CloneVM == 0 || f&CloneVfork != 0 {
		c.alt = t.alt
	}
	t.mu.Unlock()
	var tid [4]byte
	le.PutUint32(tid[:], uint32(c.TID))
	if f&CloneParentSettid != 0 {
		if err := t.proc.mem.CopyOut(a.ParentTID, tid[:]); err != nil {
			c.abandon()
			return 0, err
		}
	}
	if f&CloneChildSettid != 0 {
		if err := c.proc.mem.CopyOut(a.ChildTID, tid[:]); err != nil {
			c.abandon()
			return 0, err
		}
	}
	if f&CloneChildCleartid != 0 {
		c.clearTID = a.ChildTID
	}
	var done chan struct{}
	if f&CloneVfork != 0 {
		done = make(chan struct{})
		c.proc.vforkDone = done
	}
	c.start()
	if done != nil {
		// The parent sleeps until the child execs or exits; only a
		// fatal signal ends the wait early.
		select {
		case <-done:
		case <-t.dyingCh():
		}
	}
	return c.TID, nil
}

// dyingCh returns a channel closed once the process is being killed.
func (t *Thread) dyingCh() <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		ctx := t.Ctx()
		<-ctx.Done()
		close(ch)
	}()
	return ch
}

// abandon undoes a child that never ran.
func (c *Thread) abandon() {
	c.die()
	if c.proc.threads == nil || c.TID == c.proc.PID {
		table.mu.Lock()
		if c.proc.zombie {
			c.proc.reapLocked()
		}
		table.mu.Unlock()
	}
}

func (t *Thread) cloneThread() (*Thread, error) {
	table.mu.Lock()
	defer table.mu.Unlock()
	p := t.proc
	if p.exiting {
		return nil, syscall.EINTR
	}
	c := newThread(p, allocID())
	p.threads[c] = true
	return c, nil
}

func (t *Thread) cloneProcess(f uint64) (*Thread, error) {
	p := t.proc
	var m *mem.AddressSpace
	if f&CloneVM != 0 {
		m = p.mem.Share()
	} else {
		pt, err := NewPageTable()
		if err != nil {
			return nil, syscall.EAGAIN
		}
		if m, err = p.mem.Fork(pt); err != nil {
			return nil, syscall.ENOMEM
		}
	}
	var files *file.Table
	if f&CloneFiles != 0 {
		files = p.Files.Share()
	} else {
		files = p.Files.Fork()
	}
	var fsc *file.FSContext
	if f&CloneFS != 0 {
		fsc = p.FS.Share()
	} else {
		fsc = p.FS.Fork()
	}
	sig := p.sig
	if f&CloneSighand == 0 {
		p.sig.mu.Lock()
		sig = &sigActions{a: p.sig.a}
		p.sig.mu.Unlock()
	}
	table.mu.Lock()
	defer table.mu.Unlock()
	if len(table.procs) >= MaxProcs || uint64(len(table.procs)) >= p.nprocLimit() || p.exiting {
		table.mu.Unlock()
		m.Release()
		files.Release()
		fsc.Release()
		table.mu.Lock()
		return nil, errAgain
	}
	pid := allocID()
	c := &Process{PID: pid, Files: files, FS: fsc, Cred: p.Cred, mem: m, sig: sig,
		args: p.args, exe: p.exe, rlim: p.rlim,
		children: make(map[*Process]bool), threads: make(map[*Thread]bool),
		pgid: p.pgid, sid: p.sid, changed: make(chan struct{}), exitSig: int(f & 0xff)}
	parent := p
	if f&CloneParent != 0 && p.parent != nil {
		parent = p.parent
	}
	c.parent = parent
	parent.children[c] = true
	if f&CloneFS == 0 {
		fsc.SetPID(pid)
	}
	ct := newThread(c, pid)
	c.threads[ct] = true
	table.procs[pid] = c
	return ct, nil
}
