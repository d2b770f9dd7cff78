package proc

import "syscall"

// SetClearTID sets the word zeroed and woken when the thread exits
// (set_tid_address).
func (t *Thread) SetClearTID(va uintptr) {
	t.mu.Lock()
	t.clearTID = va
	t.mu.Unlock()
}

// Setpgid moves process pid (0: p) into group pgid (0: its own), as
// setpgid(2): only p or a child of p in p's session, into a group of that
// session.
func (p *Process) Setpgid(pid, pgid int) error {
	if pgid < 0 {
		return syscall.EINVAL
	}
	table.mu.Lock()
	defer table.mu.Unlock()
	target := p
	if pid != 0 && pid != p.PID {
		target = table.procs[pid]
		if target == nil || target.parent != p || target.zombie {
			return syscall.ESRCH
		}
		if target.sid != p.sid {
			return syscall.EPERM
		}
	}
	if pgid == 0 {
		pgid = target.PID
	}
	if target.sid == target.PID {
		return syscall.EPERM // a session leader stays
	}
	if pgid != target.PID {
		found := false
		for _, q := range table.procs {
			if q.pgid == pgid && q.sid == target.sid && !q.zombie {
				found = true
				break
			}
		}
		if !found {
			return syscall.EPERM
		}
	}
	target.pgid = pgid
	return nil
}

// Setsid makes p the leader of a new session and group (setsid).
func (p *Process) Setsid() (int, error) {
	table.mu.Lock()
	defer table.mu.Unlock()
	for _, q := range table.procs {
		if q.pgid == p.PID && !q.zombie {
			return 0, syscall.EPERM // p leads a group already
		}
	}
	p.pgid, p.sid = p.PID, p.PID
	return p.PID, nil
}

// Group returns the live processes of process group pgid.
func Group(pgid int) []*Process {
	table.mu.Lock()
	defer table.mu.Unlock()
	var ps []*Process
	for _, q := range table.procs {
		if q.pgid == pgid && !q.zombie {
			ps = append(ps, q)
		}
	}
	return ps
}

// All returns every live process.
func All() []*Process {
	table.mu.Lock()
	defer table.mu.Unlock()
	var ps []*Process
	for _, q := range table.procs {
		if !q.zombie {
			ps = append(ps, q)
		}
	}
	return ps
}

// ThreadByID returns the live thread tid.
func ThreadByID(tid int) *Thread {
	table.mu.Lock()
	defer table.mu.Unlock()
	for _, q := range table.procs {
		for t := range q.threads {
			if t.TID == tid {
				return t
			}
		}
	}
	return nil
}
