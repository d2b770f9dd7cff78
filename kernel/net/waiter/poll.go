package waiter

import (
	"context"
	"syscall"
)

// Waitable is anything poll(2) can wait on: it reports its readiness and
// announces changes on a Queue. Sockets satisfy it; so can pipes and
// consoles in the system-call layer.
type Waitable interface {
	Readiness(mask Events) Events
	Waiter() *Queue
}

// PollItem is one entry of a poll(2) call: what to watch for (Events) and,
// after Poll, what holds (Revents). EventErr and EventHup are always
// watched, as poll(2) does.
type PollItem struct {
	W       Waitable
	Events  Events
	Revents Events
}

// always are the events poll reports whether or not they were asked for.
const always = EventErr | EventHup

// Poll waits until at least one item is ready and returns how many are,
// with each item's Revents set. When ctx's deadline passes first it
// returns 0 (poll's timeout); when ctx is cancelled, EINTR. With no items
// it just waits for ctx.
func Poll(ctx context.Context, items []PollItem) (int, error) {
	e, ch := NewChannelEntry(0)
	for i := range items {
		e.Mask |= items[i].Events | always
	}
	for i := range items {
		items[i].W.Waiter().Register(e)
	}
	defer func() {
		for i := range items {
			items[i].W.Waiter().Unregister(e)
		}
	}()
	for {
		n := 0
		for i := range items {
			it := &items[i]
			it.Revents = it.W.Readiness(it.Events | always)
			if it.Revents != 0 {
				n++
			}
		}
		if n > 0 {
			return n, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			if ctx.Err() == context.DeadlineExceeded {
				return 0, nil
			}
			return 0, syscall.EINTR
		}
	}
}
