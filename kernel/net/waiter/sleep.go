package waiter

import (
	"context"
	"sync"
	"syscall"
)

// Sleeper is one blocked call waiting on a Queue: every blocking socket
// call (read, write, accept, connect, recvfrom) sleeps this way. Each
// sleeper has its own entry, so a notification reaches every blocked
// caller at once (a broadcast): none can take a wake-up another needed.
//
// The caller arms the sleeper while it still holds the lock that guards
// the condition it waits for, then releases that lock and calls Wait. A
// change made after Arm notifies the queue and so is never missed: the
// sleeper's channel keeps one pending wake-up.
type Sleeper struct {
	q     *Queue
	entry Entry
	ch    chan struct{}
}

var sleepers = sync.Pool{New: func() any {
	s := &Sleeper{ch: make(chan struct{}, 1)}
	s.entry.Callback = func(Events) {
		select {
		case s.ch <- struct{}{}:
		default:
		}
	}
	return s
}}

// Arm registers a sleeper for the events in mask on q. Release it when
// the call is done.
func Arm(q *Queue, mask Events) *Sleeper {
	s := sleepers.Get().(*Sleeper)
	s.q = q
	s.entry.Mask = mask
	q.Register(&s.entry)
	return s
}

// Wait blocks until an event in the mask is notified (since Arm or the
// last Wait) or ctx ends. It returns ContextErr(ctx) if ctx ended.
func (s *Sleeper) Wait(ctx context.Context) error {
	select {
	case <-s.ch:
		return nil
	case <-ctx.Done():
		return ContextErr(ctx)
	}
}

// Release unregisters the sleeper; it must not be used again.
func (s *Sleeper) Release() {
	s.q.Unregister(&s.entry)
	select {
	case <-s.ch: // drop a wake-up nobody waited for
	default:
	}
	s.q = nil
	sleepers.Put(s)
}

// ContextErr maps the end of a context to the errno of a blocking socket
// call: a cancelled call was interrupted by a signal (EINTR); one whose
// deadline passed timed out as with SO_RCVTIMEO or SO_SNDTIMEO (EAGAIN).
func ContextErr(ctx context.Context) error {
	if ctx.Err() == context.DeadlineExceeded {
		return syscall.EAGAIN
	}
	return syscall.EINTR
}
