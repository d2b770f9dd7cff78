package wire

import (
	"bytes"
	"testing"
	"time"
)

func TestDeliversInOrderBothWays(t *testing.T) {
	a, b := New()
	defer a.Close()
	got := map[string]chan []byte{"a": make(chan []byte, 8), "b": make(chan []byte, 8)}
	a.Start(func(f []byte) { got["a"] <- bytes.Clone(f) })
	b.Start(func(f []byte) { got["b"] <- bytes.Clone(f) })

	for i := range 3 {
		if !a.Send([]byte{'x', byte(i)}) || !b.Send([]byte{'y', byte(i)}) {
			t.Fatalf("send %d refused", i)
		}
	}
	tests := []struct {
		port string
		tag  byte
	}{{"b", 'x'}, {"a", 'y'}}
	for _, tt := range tests {
		for i := range 3 {
			select {
			case f := <-got[tt.port]:
				if want := []byte{tt.tag, byte(i)}; !bytes.Equal(f, want) {
					t.Errorf("port %s frame %d = %q, want %q", tt.port, i, f, want)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("port %s: frame %d never arrived", tt.port, i)
			}
		}
	}
}

func TestSendCopiesFrame(t *testing.T) {
	a, b := New()
	defer a.Close()
	got := make(chan []byte, 1)
	b.Start(func(f []byte) { got <- bytes.Clone(f) })
	f := []byte("hello")
	a.Send(f)
	f[0] = 'J' // the cable must have taken its own copy
	select {
	case g := <-got:
		if string(g) != "hello" {
			t.Errorf("got %q, want %q", g, "hello")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("frame never arrived")
	}
}

func TestFullRingDropsAndCounts(t *testing.T) {
	a, b := NewSize(4)
	defer a.Close()
	// b is not started, so nothing drains the ring.
	for i := range 6 {
		ok := a.Send([]byte{byte(i)})
		if want := i < 4; ok != want {
			t.Errorf("send %d = %v, want %v", i, ok, want)
		}
	}
	if a.Send(make([]byte, SlotSize+1)) {
		t.Error("oversized frame accepted")
	}
	want := Stats{Sent: 4, Dropped: 2, TooBig: 1}
	if s := a.Stats(); s != want {
		t.Errorf("stats = %+v, want %+v", s, want)
	}
	if s := b.Stats(); s != (Stats{}) {
		t.Errorf("peer stats = %+v, want zero", s)
	}
}

func TestSendAllocatesNothing(t *testing.T) {
	a, b := New()
	defer a.Close()
	done := make(chan struct{}, 1)
	b.Start(func([]byte) { done <- struct{}{} })
	frame := make([]byte, 1514)
	allocs := testing.AllocsPerRun(100, func() {
		a.Send(frame)
		<-done
	})
	if allocs != 0 {
		t.Errorf("Send+deliver allocates %.1f times per frame, want 0", allocs)
	}
}
