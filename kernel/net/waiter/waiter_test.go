package waiter

import "testing"

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
