package file

import (
	"context"
	"math"
	"sync"
	"syscall"
)

// Advisory locks: flock(2) locks, owned by an open file description and
// dropped when its last reference goes, and POSIX record locks
// (fcntl F_SETLK), owned by a process, dropped when it closes any
// descriptor of the file or exits. Both are kept per file, in one table;
// a waiter sleeps until the file's locks change and tries again.

// lockKey names a file: its mount and inode, or for a file outside the
// tree (a pipe, a socket) the File itself.
type lockKey struct {
	m   *Mount
	ino uint64
	f   File
}

func keyOf(d *Description) lockKey {
	if d.loc.Mount != nil {
		return lockKey{m: d.loc.Mount, ino: d.loc.Ino}
	}
	return lockKey{f: d.f}
}

// rangeLock is one POSIX lock on [start, end) (end math.MaxInt64: to the
// end of the file, however it grows).
type rangeLock struct {
	owner      any
	pid        int
	excl       bool
	start, end int64
}

type fileLocks struct {
	flocks  map[*Description]bool // exclusive?
	posix   []rangeLock
	changed chan struct{} // closed and replaced whenever a lock goes or weakens
}

var locks = struct {
	mu sync.Mutex
	m  map[lockKey]*fileLocks
}{m: make(map[lockKey]*fileLocks)}

// locksOf returns k's locks, made if missing; locks.mu is held.
func locksOf(k lockKey) *fileLocks {
	fl := locks.m[k]
	if fl == nil {
		fl = &fileLocks{flocks: make(map[*Description]bool), changed: make(chan struct{})}
		locks.m[k] = fl
	}
	return fl
}

// changedLocked wakes the waiters on k and forgets k if nothing is left
// locked; locks.mu is held.
func changedLocked(k lockKey, fl *fileLocks) {
	close(fl.changed)
	fl.changed = make(chan struct{})
	if len(fl.flocks) == 0 && len(fl.posix) == 0 {
		delete(locks.m, k)
	}
}

// waitChange sleeps until ch closes (the locks changed) or ctx ends
// (EINTR).
func waitChange(ctx context.Context, ch chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return syscall.EINTR
	}
}

// flock's operations (Linux's values).
const (
	LockSh = 1
	LockEx = 2
	LockNb = 4
	LockUn = 8
)

// Flock is flock(2) on d: LockSh, LockEx or LockUn, with LockNb for
// EWOULDBLOCK instead of waiting. As on Linux, converting a lock first
// drops the old one, so a conversion that must wait has let go.
func Flock(ctx context.Context, d *Description, op int) error {
	excl := false
	switch op &^ LockNb {
	case LockSh:
	case LockEx:
		excl = true
	case LockUn:
		flockRelease(d)
		return nil
	default:
		return syscall.EINVAL
	}
	k := keyOf(d)
	for {
		locks.mu.Lock()
		fl := locksOf(k)
		held, had := fl.flocks[d]
		if had && held == excl {
			locks.mu.Unlock()
			return nil
		}
		conflict := false
		for o, x := range fl.flocks {
			if o != d && (x || excl) {
				conflict = true
				break
			}
		}
		if !conflict {
			fl.flocks[d] = excl
			if had && !excl {
				changedLocked(k, fl) // a downgrade lets sharers in
			}
			locks.mu.Unlock()
			if !had {
				d.OnRelease(flockHook{}, func() { flockRelease(d) })
			}
			return nil
		}
		if had {
			delete(fl.flocks, d)
			changedLocked(k, fl)
			fl = locksOf(k)
		}
		ch := fl.changed // fl holds the conflicting lock, so it stays in the table
		locks.mu.Unlock()
		if op&LockNb != 0 {
			return syscall.EWOULDBLOCK
		}
		if err := waitChange(ctx, ch); err != nil {
			return err
		}
	}
}

// flockHook keys the release hook flock puts on a description.
type flockHook struct{}

func flockRelease(d *Description) {
	k := keyOf(d)
	locks.mu.Lock()
	defer locks.mu.Unlock()
	if fl := locks.m[k]; fl != nil {
		if _, ok := fl.flocks[d]; ok {
			delete(fl.flocks, d)
			changedLocked(k, fl)
		}
	}
}

// Record lock types (struct flock's l_type).
const (
	FRdlck = 0
	FWrlck = 1
	FUnlck = 2
)

// RecordLock is a POSIX lock request or answer: the type and the byte
// range [Start, End), End math.MaxInt64 meaning "to the end of the file",
// and for an answer the holder's process ID.
type RecordLock struct {
	Type       int
	Start, End int64
	PID        int
}

// ToEOF is RecordLock.End for a lock that runs to the end of the file.
const ToEOF = math.MaxInt64

// SetRecordLock is F_SETLK (F_SETLKW if wait) for owner (the process,
// pid its ID) on d: a lock of l.Type on l's range, replacing what owner
// held there (FUnlck only removes), or EAGAIN (or, if wait, a wait that
// ctx can end with EINTR) while another owner's lock conflicts. A read lock needs d open for reading, a write
// lock for writing (EBADF). Deadlocks are not detected.
func SetRecordLock(ctx context.Context, d *Description, owner any, pid int, l RecordLock, wait bool) error {
	switch {
	case l.Type == FRdlck && !d.readable(), l.Type == FWrlck && !d.writable():
		return syscall.EBADF
	case l.Type != FRdlck && l.Type != FWrlck && l.Type != FUnlck:
		return syscall.EINVAL
	}
	k := keyOf(d)
	for {
		locks.mu.Lock()
		fl := locksOf(k)
		if c := conflictLocked(fl, owner, l); c == nil || l.Type == FUnlck {
			var kept []rangeLock
			for _, r := range fl.posix {
				if r.owner != owner || r.end <= l.Start || r.start >= l.End {
					kept = append(kept, r)
					continue
				}
				if r.start < l.Start {
					left := r
					left.end = l.Start
					kept = append(kept, left)
				}
				if r.end > l.End {
					right := r
					right.start = l.End
					kept = append(kept, right)
				}
			}
			if l.Type != FUnlck {
				kept = append(kept, rangeLock{owner: owner, pid: pid, excl: l.Type == FWrlck, start: l.Start, end: l.End})
			}
			fl.posix = kept
			changedLocked(k, fl) // anything removed or weakened may let a waiter in
			locks.mu.Unlock()
			return nil
		}
		ch := fl.changed
		locks.mu.Unlock()
		if !wait {
			return syscall.EAGAIN
		}
		if err := waitChange(ctx, ch); err != nil {
			return err
		}
	}
}

// conflictLocked returns a lock of another owner that l may not coexist
// with, or nil; locks.mu is held.
func conflictLocked(fl *fileLocks, owner any, l RecordLock) *rangeLock {
	for i, r := range fl.posix {
		if r.owner != owner && r.start < l.End && l.Start < r.end && (r.excl || l.Type == FWrlck) {
			return &fl.posix[i]
		}
	}
	return nil
}

// GetRecordLock is F_GETLK: the first lock of another owner that would
// stop l, or l with Type FUnlck if none would.
func GetRecordLock(d *Description, owner any, l RecordLock) (RecordLock, error) {
	if l.Type != FRdlck && l.Type != FWrlck {
		return l, syscall.EINVAL
	}
	locks.mu.Lock()
	defer locks.mu.Unlock()
	fl := locks.m[keyOf(d)]
	if fl == nil {
		l.Type = FUnlck
		return l, nil
	}
	c := conflictLocked(fl, owner, l)
	if c == nil {
		l.Type = FUnlck
		return l, nil
	}
	t := FRdlck
	if c.excl {
		t = FWrlck
	}
	return RecordLock{Type: t, Start: c.start, End: c.end, PID: c.pid}, nil
}

// ReleaseRecordLocks drops owner's POSIX locks on d's file (close of any
// of its descriptors), or on every file if d is nil (exit).
func ReleaseRecordLocks(owner any, d *Description) {
	locks.mu.Lock()
	defer locks.mu.Unlock()
	if d != nil {
		if fl := locks.m[keyOf(d)]; fl != nil {
			dropOwnerLocked(keyOf(d), fl, owner)
		}
		return
	}
	for k, fl := range locks.m {
		dropOwnerLocked(k, fl, owner)
	}
}

func dropOwnerLocked(k lockKey, fl *fileLocks, owner any) {
	var kept []rangeLock
	for _, r := range fl.posix {
		if r.owner != owner {
			kept = append(kept, r)
		}
	}
	if len(kept) != len(fl.posix) {
		fl.posix = kept
		changedLocked(k, fl)
	}
}
