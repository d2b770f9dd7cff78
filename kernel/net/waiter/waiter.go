// Package waiter lets endpoints announce readiness (readable, writable,
// error, hang-up) to whoever waits on them: a blocked read, or poll/epoll in
// the system-call layer.
package waiter

import "sync"

// Events is a set of readiness conditions. The values match Linux's poll bits
// so the system-call layer can pass them through unchanged.
type Events uint32

const (
	EventIn    Events = 0x001  // POLLIN: data (or a connection, or EOF) to read
	EventPri   Events = 0x002  // POLLPRI
	EventOut   Events = 0x004  // POLLOUT: room to write
	EventErr   Events = 0x008  // POLLERR: a pending error
	EventHup   Events = 0x010  // POLLHUP: both directions closed
	EventRdHup Events = 0x2000 // POLLRDHUP: the peer shut down its sending side
)

// An Entry is one waiter: Callback runs, with the events that happened, each
// time the queue is notified of an event in Mask. Callbacks run with the
// notifier's locks held: they must be quick and must not call back into the
// endpoint (typically they do a non-blocking channel send).
type Entry struct {
	Mask     Events
	Callback func(Events)
}

// Queue is the set of entries waiting on one endpoint. The zero value is ready.
type Queue struct {
	mu      sync.Mutex
	entries map[*Entry]struct{}
}

// Register adds e to the queue.
func (q *Queue) Register(e *Entry) {
	q.mu.Lock()
	if q.entries == nil {
		q.entries = make(map[*Entry]struct{})
	}
	q.entries[e] = struct{}{}
	q.mu.Unlock()
}

// Unregister removes e from the queue.
func (q *Queue) Unregister(e *Entry) {
	q.mu.Lock()
	delete(q.entries, e)
	q.mu.Unlock()
}

// Len returns how many entries are registered: tests use it to see that
// a call has gone to sleep.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.entries)
}

// Notify runs the callback of every entry interested in any of ev.
func (q *Queue) Notify(ev Events) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for e := range q.entries {
		if got := e.Mask & ev; got != 0 {
			e.Callback(got)
		}
	}
}

// NewChannelEntry returns an entry that signals ch (capacity 1) without
// blocking: the usual way for a blocking call to sleep until readiness changes.
func NewChannelEntry(mask Events) (*Entry, chan struct{}) {
	ch := make(chan struct{}, 1)
	return &Entry{Mask: mask, Callback: func(Events) {
		select {
		case ch <- struct{}{}:
		default:
		}
	}}, ch
}
