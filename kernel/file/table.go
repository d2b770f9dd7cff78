package file

import (
	"sync"
	"syscall"
)

// DefaultLimit is RLIMIT_NOFILE's soft limit for a new process, as on
// Linux; HardLimit is the most a process may raise it to.
const (
	DefaultLimit = 1024
	HardLimit    = 4096
)

type slot struct {
	d       *Description
	cloexec bool
}

// Table is a process's file descriptor table. Processes made with
// CLONE_FILES share one (Share); fork copies it (Fork).
type Table struct {
	mu    sync.Mutex
	fds   []slot
	limit int
	users int // processes sharing the table; the last Release closes all
}

// NewTable returns an empty table with the default limit and one user.
func NewTable() *Table { return &Table{limit: DefaultLimit, users: 1} }

// Get returns the description at fd with a reference the caller must
// drop (DecRef), or EBADF.
func (t *Table) Get(fd int) (*Description, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if fd < 0 || fd >= len(t.fds) || t.fds[fd].d == nil {
		return nil, syscall.EBADF
	}
	d := t.fds[fd].d
	d.IncRef()
	return d, nil
}

// Install puts d at the lowest free descriptor at or above min and
// returns it. The table takes over the caller's reference on success; on
// failure (EMFILE past the limit, EINVAL for min out of range) the caller
// still owns it.
func (t *Table) Install(d *Description, min int, cloexec bool) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if min < 0 || min >= t.limit {
		return -1, syscall.EINVAL
	}
	fd := min
	for fd < len(t.fds) && t.fds[fd].d != nil {
		fd++
	}
	if fd >= t.limit {
		return -1, syscall.EMFILE
	}
	t.put(fd, d, cloexec)
	return fd, nil
}

// put sets slot fd, growing the table; t.mu is held.
func (t *Table) put(fd int, d *Description, cloexec bool) {
	for fd >= len(t.fds) {
		t.fds = append(t.fds, slot{})
	}
	t.fds[fd] = slot{d, cloexec}
}

// Dup2 makes newfd name oldfd's description, closing what newfd named
// (dup2 and dup3). oldfd == newfd returns newfd if it is open.
func (t *Table) Dup2(oldfd, newfd int, cloexec bool) (int, error) {
	t.mu.Lock()
	if oldfd < 0 || oldfd >= len(t.fds) || t.fds[oldfd].d == nil {
		t.mu.Unlock()
		return -1, syscall.EBADF
	}
	if newfd < 0 || newfd >= t.limit {
		t.mu.Unlock()
		return -1, syscall.EBADF
	}
	if oldfd == newfd {
		t.mu.Unlock()
		return newfd, nil
	}
	d := t.fds[oldfd].d
	d.IncRef()
	var old *Description
	if newfd < len(t.fds) {
		old = t.fds[newfd].d
	}
	t.put(newfd, d, cloexec)
	t.mu.Unlock()
	if old != nil {
		old.DecRef() // dup2 ignores errors from the implicit close, as Linux does
	}
	return newfd, nil
}

// Close removes fd and drops its reference, returning the File's Close
// error if it was the last.
func (t *Table) Close(fd int) error {
	t.mu.Lock()
	if fd < 0 || fd >= len(t.fds) || t.fds[fd].d == nil {
		t.mu.Unlock()
		return syscall.EBADF
	}
	d := t.fds[fd].d
	t.fds[fd] = slot{}
	t.mu.Unlock()
	return d.DecRef()
}

// Cloexec reports fd's FD_CLOEXEC flag.
func (t *Table) Cloexec(fd int) (bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if fd < 0 || fd >= len(t.fds) || t.fds[fd].d == nil {
		return false, syscall.EBADF
	}
	return t.fds[fd].cloexec, nil
}

// SetCloexec sets or clears fd's FD_CLOEXEC flag.
func (t *Table) SetCloexec(fd int, on bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if fd < 0 || fd >= len(t.fds) || t.fds[fd].d == nil {
		return syscall.EBADF
	}
	t.fds[fd].cloexec = on
	return nil
}

// Limit returns the RLIMIT_NOFILE soft limit.
func (t *Table) Limit() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.limit
}

// SetLimit sets the RLIMIT_NOFILE soft limit (1..HardLimit). Descriptors
// already above it stay open, as on Linux.
func (t *Table) SetLimit(n int) error {
	if n < 1 || n > HardLimit {
		return syscall.EINVAL
	}
	t.mu.Lock()
	t.limit = n
	t.mu.Unlock()
	return nil
}

// Fds returns the open descriptors in order (for /proc/PID/fd).
func (t *Table) Fds() []int {
	t.mu.Lock()
	defer t.mu.Unlock()
	var fds []int
	for fd, s := range t.fds {
		if s.d != nil {
			fds = append(fds, fd)
		}
	}
	return fds
}

// Share adds a user of the table (clone with CLONE_FILES) and returns it.
func (t *Table) Share() *Table {
	t.mu.Lock()
	t.users++
	t.mu.Unlock()
	return t
}

// Fork returns a copy for a child process (fork, or clone without
// CLONE_FILES): the same descriptions, each with a new reference, and the
// same close-on-exec flags and limit.
func (t *Table) Fork() *Table {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := &Table{limit: t.limit, users: 1, fds: make([]slot, len(t.fds))}
	for fd, s := range t.fds {
		if s.d != nil {
			s.d.IncRef()
			c.fds[fd] = s
		}
	}
	return c
}

// CloseOnExec closes every descriptor marked FD_CLOEXEC (execve).
func (t *Table) CloseOnExec() {
	t.closeIf(func(s slot) bool { return s.cloexec })
}

// Release drops a user (exit, or exec unsharing); the last closes every
// descriptor.
func (t *Table) Release() {
	t.mu.Lock()
	t.users--
	last := t.users == 0
	t.mu.Unlock()
	if last {
		t.closeIf(func(slot) bool { return true })
	}
}

// closeIf closes the descriptors that match, outside t.mu because a
// File's Close may block (a pipe waking its peer, a file system commit).
func (t *Table) closeIf(match func(slot) bool) {
	var drop []*Description
	t.mu.Lock()
	for fd, s := range t.fds {
		if s.d != nil && match(s) {
			drop = append(drop, s.d)
			t.fds[fd] = slot{}
		}
	}
	t.mu.Unlock()
	for _, d := range drop {
		d.DecRef()
	}
}
