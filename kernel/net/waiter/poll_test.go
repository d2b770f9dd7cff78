package waiter

import (
	"context"
	"sync"
	"syscall"
	"testing"
	"time"
)

// flag is a Waitable whose readiness a test sets.
type flag struct {
	mu sync.Mutex
	ev Events
	q  Queue
}

func (f *flag) Readiness(mask Events) Events {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ev & mask
}

func (f *flag) Waiter() *Queue { return &f.q }

func (f *flag) set(ev Events) {
	f.mu.Lock()
	f.ev = ev
	f.mu.Unlock()
	f.q.Notify(ev)
}

func TestPoll(t *testing.T) {
	a, b := &flag{}, &flag{}
	items := []PollItem{{W: a, Events: EventIn}, {W: b, Events: EventOut}}
	// Already ready: returns at once.
	b.set(EventOut | EventIn)
	n, err := Poll(context.Background(), items)
	if n != 1 || err != nil || items[1].Revents != EventOut || items[0].Revents != 0 {
		t.Fatalf("Poll = %d, %v, revents %#x %#x", n, err, items[0].Revents, items[1].Revents)
	}
	// Wakes when an item becomes ready; errors are reported unasked.
	b.set(0)
	go a.set(EventErr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if n, err := Poll(ctx, items); n != 1 || err != nil || items[0].Revents != EventErr {
		t.Fatalf("Poll = %d, %v, revents %#x", n, err, items[0].Revents)
	}
	// Times out with 0; cancellation interrupts.
	a.set(0)
	short, cancel2 := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel2()
	if n, err := Poll(short, items); n != 0 || err != nil {
		t.Fatalf("timed-out Poll = %d, %v", n, err)
	}
	c, cancel3 := context.WithCancel(context.Background())
	cancel3()
	if _, err := Poll(c, items); err != syscall.EINTR {
		t.Fatalf("cancelled Poll: %v", err)
	}
	// Entries are gone afterwards.
	if len(a.q.entries) != 0 || len(b.q.entries) != 0 {
		t.Fatal("Poll left entries registered")
	}
}
