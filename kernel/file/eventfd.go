package file

import (
	"context"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"syscall"

	"scone/kernel/net/waiter"
)

// eventfd2 flags (Linux's values).
const (
	EFD_SEMAPHORE = 1
	EFD_NONBLOCK  = syscall.O_NONBLOCK
	EFD_CLOEXEC   = syscall.O_CLOEXEC
)

// eventMax is the largest count an eventfd holds.
const eventMax = 1<<64 - 2

// anonIno numbers pipes and eventfds, which live on no file system.
var anonIno atomic.Uint64

// eventFD is an eventfd: a 64-bit counter that read takes and write adds to.
type eventFD struct {
	mu        sync.Mutex
	count     uint64
	semaphore bool
	ino       uint64
	q         waiter.Queue
}

// NewEventFD returns an eventfd starting at initval; flags may hold
// EFD_SEMAPHORE (the O_ flags are the description's).
func NewEventFD(initval uint32, flags int) File {
	return &eventFD{count: uint64(initval), semaphore: flags&EFD_SEMAPHORE != 0, ino: anonIno.Add(1)}
}

// Read returns the count as 8 bytes and resets it (or, as a semaphore,
// returns 1 and decrements it), blocking while it is zero.
func (e *eventFD) Read(ctx context.Context, b []byte, nonblock bool) (int, error) {
	if len(b) < 8 {
		return 0, syscall.EINVAL
	}
	for {
		e.mu.Lock()
		if e.count > 0 {
			v := e.count
			if e.semaphore {
				v = 1
			}
			e.count -= v
			e.mu.Unlock()
			binary.LittleEndian.PutUint64(b, v)
			e.q.Notify(waiter.EventOut)
			return 8, nil
		}
		e.mu.Unlock()
		if nonblock {
			return 0, syscall.EAGAIN
		}
		if err := waitUntil(ctx, &e.q, &e.mu, waiter.EventIn, func() bool { return e.count > 0 }); err != nil {
			return 0, err
		}
	}
}

// Write adds an 8-byte value to the count, blocking while that would pass
// the maximum; the value 2^64-1 is EINVAL.
func (e *eventFD) Write(ctx context.Context, b []byte, nonblock bool) (int, error) {
	if len(b) < 8 {
		return 0, syscall.EINVAL
	}
	v := binary.LittleEndian.Uint64(b)
	if v == 1<<64-1 {
		return 0, syscall.EINVAL
	}
	for {
		e.mu.Lock()
		if eventMax-e.count >= v {
			e.count += v
			e.mu.Unlock()
			if v > 0 {
				e.q.Notify(waiter.EventIn)
			}
			return 8, nil
		}
		e.mu.Unlock()
		if nonblock {
			return 0, syscall.EAGAIN
		}
		if err := waitUntil(ctx, &e.q, &e.mu, waiter.EventOut, func() bool { return eventMax-e.count >= v }); err != nil {
			return 0, err
		}
	}
}

// Readiness is readable with a non-zero count, writable while 1 more fits.
func (e *eventFD) Readiness(mask waiter.Events) waiter.Events {
	e.mu.Lock()
	defer e.mu.Unlock()
	var ev waiter.Events
	if e.count > 0 {
		ev |= waiter.EventIn
	}
	if e.count < eventMax {
		ev |= waiter.EventOut
	}
	return ev & mask
}

func (e *eventFD) Waiter() *waiter.Queue { return &e.q }
func (e *eventFD) Close() error          { return nil }
func (e *eventFD) Stat() (Stat, error) {
	return Stat{Ino: e.ino, Mode: 0o600, Nlink: 1, BlkSize: 4096}, nil
}

func (e *eventFD) AnonName() string { return "anon_inode:[eventfd]" }
