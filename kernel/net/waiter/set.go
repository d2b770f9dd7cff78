package waiter

import (
	"context"
	"sync"
	"syscall"
)

// Interest flags a Set understands besides Events, with epoll's values.
const (
	EdgeTriggered Events = 1 << 31 // EPOLLET: report a change once
	OneShot       Events = 1 << 30 // EPOLLONESHOT: report once, then wait for Modify
)

// Ready is one event report from Set.Wait.
type Ready struct {
	Data   uint64 // what was given to Add or Modify
	Events Events
}

// Set is the core of an epoll instance: an interest list of Waitables keyed
// by file descriptor. Notifications only mark an item as possibly ready;
// Wait asks each marked item for its readiness, so a report is never stale.
// Level-triggered items stay marked while they are ready; edge-triggered
// ones are reported again only after a new notification; one-shot ones
// not until Modify.
type Set struct {
	mu    sync.Mutex
	items map[int]*setItem
	ready []*setItem // items that may be ready, each at most once
	wake  chan struct{}
}

type setItem struct {
	w        Waitable
	mask     Events // interest, with EdgeTriggered and OneShot
	data     uint64
	entry    Entry
	queued   bool // in Set.ready
	disarmed bool // a one-shot item that has fired
	removed  bool
}

// NewSet returns an empty set.
func NewSet() *Set {
	return &Set{items: make(map[int]*setItem), wake: make(chan struct{}, 1)}
}

// Add watches w under fd for the events in mask (EventErr and EventHup are
// always watched). It fails with EEXIST if fd is already in the set.
func (s *Set) Add(fd int, w Waitable, mask Events, data uint64) error {
	it := &setItem{w: w, mask: mask, data: data}
	it.entry = Entry{Mask: mask | always, Callback: func(Events) { s.mark(it) }}
	s.mu.Lock()
	if s.items[fd] != nil {
		s.mu.Unlock()
		return syscall.EEXIST
	}
	s.items[fd] = it
	s.mu.Unlock()
	// Registration takes the Waitable's queue lock, and its callbacks take
	// s.mu: never hold s.mu while registering.
	w.Waiter().Register(&it.entry)
	s.mark(it) // epoll reports what is already ready
	return nil
}

// Modify changes fd's interest and data, and rearms a one-shot item.
func (s *Set) Modify(fd int, mask Events, data uint64) error {
	s.mu.Lock()
	it := s.items[fd]
	if it == nil {
		s.mu.Unlock()
		return syscall.ENOENT
	}
	it.mask, it.data, it.disarmed = mask, data, false
	s.mu.Unlock()
	// The entry's mask is read under the queue's lock by Notify.
	q := it.w.Waiter()
	q.Unregister(&it.entry)
	it.entry.Mask = mask | always
	q.Register(&it.entry)
	s.mark(it)
	return nil
}

// Remove stops watching fd.
func (s *Set) Remove(fd int) error {
	s.mu.Lock()
	it := s.items[fd]
	if it == nil {
		s.mu.Unlock()
		return syscall.ENOENT
	}
	delete(s.items, fd)
	it.removed = true
	s.mu.Unlock()
	it.w.Waiter().Unregister(&it.entry)
	return nil
}

// Len returns the number of watched descriptors.
func (s *Set) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.items)
}

// mark queues it for a readiness check and wakes a waiter. It runs from
// notification callbacks, so it only takes s.mu and signals.
func (s *Set) mark(it *setItem) {
	s.requeue(it)
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Wait fills out with ready descriptors and returns how many. It blocks
// until at least one is ready; when ctx's deadline passes first it returns
// 0 (epoll_wait's timeout), when ctx is cancelled, EINTR.
func (s *Set) Wait(ctx context.Context, out []Ready) (int, error) {
	if len(out) == 0 {
		return 0, syscall.EINVAL
	}
	var cand []*setItem
	for {
		s.mu.Lock()
		cand, s.ready = s.ready, cand[:0]
		for _, it := range cand {
			it.queued = false
		}
		s.mu.Unlock()
		n := 0
		for _, it := range cand {
			if n == len(out) {
				s.requeue(it) // no room this time: keep it for the next Wait
				continue
			}
			s.mu.Lock()
			mask, data, live := it.mask, it.data, !it.removed && !it.disarmed
			s.mu.Unlock()
			if !live {
				continue
			}
			ev := it.w.Readiness(mask|always) & (mask | always)
			if ev == 0 {
				continue // not ready after all: a new notification re-marks it
			}
			out[n] = Ready{Data: data, Events: ev}
			n++
			s.mu.Lock()
			switch {
			case mask&OneShot != 0:
				it.disarmed = true
			case mask&EdgeTriggered == 0 && !it.queued && !it.removed:
				// Level-triggered: still ready until Readiness says not.
				it.queued = true
				s.ready = append(s.ready, it)
			}
			s.mu.Unlock()
		}
		clear(cand)
		if n > 0 {
			return n, nil
		}
		select {
		case <-s.wake:
		case <-ctx.Done():
			if ctx.Err() == context.DeadlineExceeded {
				return 0, nil
			}
			return 0, syscall.EINTR
		}
	}
}

// requeue puts it on the ready list, unless it is there already, removed
// or disarmed (one-shot).
func (s *Set) requeue(it *setItem) {
	s.mu.Lock()
	if !it.queued && !it.removed && !it.disarmed {
		it.queued = true
		s.ready = append(s.ready, it)
	}
	s.mu.Unlock()
}
