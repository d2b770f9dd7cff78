package waiter

import (
	"context"
	"syscall"
	"testing"
	"time"
)

func TestNotifyMask(t *testing.T) {
	var q Queue
	var got []Events
	in := &Entry{Mask: EventIn, Callback: func(e Events) { got = append(got, e) }}
	q.Register(in)
	q.Notify(EventOut)
	q.Notify(EventIn | EventOut)
	if len(got) != 1 || got[0] != EventIn {
		t.Fatalf("callbacks got %v, want [EventIn]", got)
	}
	q.Unregister(in)
	q.Notify(EventIn)
	if len(got) != 1 {
		t.Fatal("unregistered entry called")
	}
}

func TestChannelEntryNeverBlocks(t *testing.T) {
	var q Queue
	e, ch := NewChannelEntry(EventIn)
	q.Register(e)
	for i := 0; i < 3; i++ {
		q.Notify(EventIn) // the second and third find the channel full
	}
	<-ch
	select {
	case <-ch:
		t.Fatal("channel holds more than one wake-up")
	default:
	}
}

// TestSleepersAllWake arms several sleepers on one queue: one notification
// wakes every one, a wake-up between Arm and Wait is kept, and a context
// that ends gives EINTR or EAGAIN.
func TestSleepersAllWake(t *testing.T) {
	var q Queue
	var ss []*Sleeper
	for range 3 {
		ss = append(ss, Arm(&q, EventIn))
	}
	q.Notify(EventOut) // not what they wait for
	q.Notify(EventIn)  // before they wait: must not be lost
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i, s := range ss {
		if err := s.Wait(ctx); err != nil {
			t.Errorf("sleeper %d: %v", i, err)
		}
		s.Release()
	}
	if q.Len() != 0 {
		t.Errorf("%d entries left after Release", q.Len())
	}
	s := Arm(&q, EventIn)
	defer s.Release()
	short, cancel2 := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel2()
	if err := s.Wait(short); err != syscall.EAGAIN {
		t.Errorf("deadline: %v, want EAGAIN", err)
	}
	c, cancel3 := context.WithCancel(context.Background())
	cancel3()
	if err := s.Wait(c); err != syscall.EINTR {
		t.Errorf("cancelled: %v, want EINTR", err)
	}
}
