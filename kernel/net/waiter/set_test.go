package waiter

import (
	"context"
	"syscall"
	"testing"
	"time"
)

func waitSet(t *testing.T, s *Set, max int) []Ready {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	out := make([]Ready, max)
	n, err := s.Wait(ctx, out)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return out[:n]
}

func TestSetLevelTriggered(t *testing.T) {
	s := NewSet()
	a, b := &flag{}, &flag{}
	a.set(EventIn) // ready before it is added: reported at once
	if err := s.Add(3, a, EventIn, 30); err != nil {
		t.Fatal(err)
	}
	s.Add(4, b, EventIn, 40)
	if err := s.Add(3, a, EventIn, 0); err != syscall.EEXIST {
		t.Fatalf("second Add: %v", err)
	}
	for i := 0; i < 3; i++ { // level-triggered: reported while ready
		if got := waitSet(t, s, 8); len(got) != 1 || got[0] != (Ready{30, EventIn}) {
			t.Fatalf("round %d: %+v", i, got)
		}
	}
	a.set(0)
	b.set(EventIn | EventHup)
	if got := waitSet(t, s, 8); len(got) != 1 || got[0] != (Ready{40, EventIn | EventHup}) {
		t.Fatalf("after change: %+v", got)
	}
	if err := s.Remove(4); err != nil || s.Remove(4) != syscall.ENOENT {
		t.Fatalf("Remove: %v", err)
	}
	if got := waitSet(t, s, 8); len(got) != 0 {
		t.Fatalf("after Remove: %+v", got)
	}
	if len(b.q.entries) != 0 {
		t.Fatal("removed item still registered")
	}
}

func TestSetEdgeAndOneShot(t *testing.T) {
	s := NewSet()
	e, o := &flag{}, &flag{}
	s.Add(1, e, EventIn|EdgeTriggered, 1)
	s.Add(2, o, EventIn|OneShot, 2)
	e.set(EventIn)
	o.set(EventIn)
	if got := waitSet(t, s, 8); len(got) != 2 {
		t.Fatalf("first Wait: %+v", got)
	}
	// Both still ready, but edge-triggered needs a new event and the
	// one-shot needs rearming.
	if got := waitSet(t, s, 8); len(got) != 0 {
		t.Fatalf("second Wait: %+v", got)
	}
	e.set(EventIn) // a new edge
	if got := waitSet(t, s, 8); len(got) != 1 || got[0].Data != 1 {
		t.Fatalf("after new edge: %+v", got)
	}
	if err := s.Modify(2, EventIn|OneShot, 22); err != nil {
		t.Fatal(err)
	}
	if got := waitSet(t, s, 8); len(got) != 1 || got[0] != (Ready{22, EventIn}) {
		t.Fatalf("after rearm: %+v", got)
	}
	if s.Modify(9, EventIn, 0) != syscall.ENOENT {
		t.Fatal("Modify of unknown fd")
	}
}

func TestSetBlocksAndLimits(t *testing.T) {
	s := NewSet()
	fs := make([]*flag, 5)
	for i := range fs {
		fs[i] = &flag{}
		s.Add(i, fs[i], EventIn, uint64(i))
	}
	go func() {
		for _, f := range fs {
			f.set(EventIn)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	seen := map[uint64]bool{}
	out := make([]Ready, 2)
	for len(seen) < 5 {
		n, err := s.Wait(ctx, out)
		if err != nil || n == 0 || n > 2 {
			t.Fatalf("Wait = %d, %v", n, err)
		}
		for _, r := range out[:n] {
			seen[r.Data] = true
		}
		// Consume them so level triggering moves on to the others.
		for _, r := range out[:n] {
			fs[r.Data].set(0)
		}
	}
	c, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := s.Wait(c, out); err != syscall.EINTR {
		t.Fatalf("cancelled Wait: %v", err)
	}
	if _, err := s.Wait(ctx, nil); err != syscall.EINVAL {
		t.Fatalf("Wait with no room: %v", err)
	}
}
