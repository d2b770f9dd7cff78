package file

import (
	"context"
	"sync"
	"syscall"

	"scone/kernel/net/waiter"
)

// waitUntil sleeps until ready, checked with mu held, is true: a blocking
// read or write waiting for its file. It registers on q for ev (and for
// hang-up and errors) before the first check, so a change between a
// check and the sleep is never missed. EINTR when ctx ends (a signal).
func waitUntil(ctx context.Context, q *waiter.Queue, mu *sync.Mutex, ev waiter.Events, ready func() bool) error {
	e, ch := waiter.NewChannelEntry(ev | waiter.EventHup | waiter.EventErr)
	q.Register(e)
	defer q.Unregister(e)
	for {
		mu.Lock()
		ok := ready()
		mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return syscall.EINTR
		}
	}
}
