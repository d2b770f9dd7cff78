package file

import (
	"context"
	"sync"
	"syscall"

	"scone/kernel/net/waiter"
)

// epoll_ctl operations and event flags (Linux's values). The readiness
// bits are poll's and pass through as waiter.Events.
const (
	EPOLL_CTL_ADD = 1
	EPOLL_CTL_DEL = 2
	EPOLL_CTL_MOD = 3

	EPOLLEXCLUSIVE = 1 << 28
	EPOLLWAKEUP    = 1 << 29
	EPOLLONESHOT   = 1 << 30
	EPOLLET        = 1 << 31
)

// NoPoll is implemented by files that epoll refuses with EPERM, as Linux
// does for files without a poll method (regular files, directories,
// /dev/null): poll reports them always ready instead. Go's runtime relies on
// the EPERM to treat such files as not pollable.
type NoPoll interface {
	NoPoll()
}

// Epoll is an epoll instance.
type Epoll struct {
	set *waiter.Set
	q   waiter.Queue

	mu      sync.Mutex
	watched map[int]*Description // for forgetting closed files
}

// NewEpoll returns an empty epoll instance.
func NewEpoll() *Epoll {
	return &Epoll{set: waiter.NewSet(), watched: make(map[int]*Description)}
}

// epollKey identifies an epoll registration in a description's release
// hooks.
type epollKey struct {
	ep *Epoll
	fd int
}

// Ctl is epoll_ctl: d is the description fd names. Linux's errors: EPERM
// for a file that cannot be polled, EINVAL for the epoll itself or an
// unknown op, EEXIST and ENOENT for the interest list.
func (ep *Epoll) Ctl(op, fd int, d *Description, events uint32, data uint64) error {
	if _, ok := d.File().(NoPoll); ok {
		return syscall.EPERM
	}
	if d.File() == File(ep) {
		return syscall.EINVAL
	}
	if _, ok := d.File().(*Epoll); ok {
		return syscall.EINVAL // nesting epoll instances is not supported
	}
	// EPOLLEXCLUSIVE and EPOLLWAKEUP only change whom Linux wakes and
	// whether it may suspend; one waiter per instance here makes them moot.
	mask := waiter.Events(events &^ (EPOLLEXCLUSIVE | EPOLLWAKEUP))
	switch op {
	case EPOLL_CTL_ADD:
		if err := ep.set.Add(fd, d.File(), mask, data); err != nil {
			return err
		}
		ep.mu.Lock()
		ep.watched[fd] = d
		ep.mu.Unlock()
		// Linux forgets a registration when its file's last descriptor
		// closes.
		d.OnRelease(epollKey{ep, fd}, func() {
			ep.forget(fd, d)
		})
		return nil
	case EPOLL_CTL_MOD:
		if events&EPOLLEXCLUSIVE != 0 {
			return syscall.EINVAL
		}
		return ep.set.Modify(fd, mask, data)
	case EPOLL_CTL_DEL:
		if err := ep.set.Remove(fd); err != nil {
			return err
		}
		ep.mu.Lock()
		if w := ep.watched[fd]; w != nil {
			w.RemoveOnRelease(epollKey{ep, fd})
			delete(ep.watched, fd)
		}
		ep.mu.Unlock()
		return nil
	}
	return syscall.EINVAL
}

// forget drops fd's registration if it is still d's.
func (ep *Epoll) forget(fd int, d *Description) {
	ep.mu.Lock()
	mine := ep.watched[fd] == d
	if mine {
		delete(ep.watched, fd)
	}
	ep.mu.Unlock()
	if mine {
		ep.set.Remove(fd)
	}
}

// Wait is epoll_wait: it fills out with ready events, blocking until one
// is ready, ctx's deadline passes (0 events) or ctx is cancelled (EINTR).
func (ep *Epoll) Wait(ctx context.Context, out []waiter.Ready) (int, error) {
	return ep.set.Wait(ctx, out)
}

// Close drops every registration.
func (ep *Epoll) Close() error {
	ep.mu.Lock()
	w := ep.watched
	ep.watched = nil
	ep.mu.Unlock()
	for fd, d := range w {
		d.RemoveOnRelease(epollKey{ep, fd})
		ep.set.Remove(fd)
	}
	return nil
}

// An epoll file cannot be polled itself here (see Ctl).
func (ep *Epoll) Readiness(waiter.Events) waiter.Events { return 0 }
func (ep *Epoll) Waiter() *waiter.Queue                 { return &ep.q }
func (ep *Epoll) Stat() (Stat, error)                   { return Stat{Mode: 0o600, Nlink: 1, BlkSize: 4096}, nil }

func (ep *Epoll) AnonName() string { return "anon_inode:[eventpoll]" }
