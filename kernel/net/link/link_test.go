package link

import (
	"encoding/binary"
	"sync"
	"testing"
	"time"

	"scone/kernel/net/clock"
	"scone/kernel/net/tcpip"
)

// collector records delivered frames; gate, if set, blocks the first
// delivery until closed.
type collector struct {
	mu     sync.Mutex
	frames [][]byte
	gate   chan struct{}
	got    chan struct{}
}

func newCollector() *collector { return &collector{got: make(chan struct{}, 1<<16)} }

func (c *collector) DeliverFrame(f []byte) {
	if c.gate != nil {
		<-c.gate
	}
	c.mu.Lock()
	c.frames = append(c.frames, append([]byte(nil), f...))
	c.mu.Unlock()
	c.got <- struct{}{}
}

func (c *collector) wait(t *testing.T, n int) [][]byte {
	t.Helper()
	timer := time.NewTimer(5 * time.Second)
	defer timer.Stop()
	for i := 0; i < n; i++ {
		select {
		case <-c.got:
		case <-timer.C:
			t.Fatalf("got %d frames, want %d", i, n)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frames
}

func frame(i int) []byte {
	f := make([]byte, 60)
	binary.BigEndian.PutUint32(f[EthernetHeaderLen:], uint32(i))
	return f
}

func seqOf(f []byte) int { return int(binary.BigEndian.Uint32(f[EthernetHeaderLen:])) }

func sendAll(t *testing.T, w *Wire, n int) {
	for i := 0; i < n; i++ {
		if err := w.Send(frame(i)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWireClean(t *testing.T) {
	w := NewWire(Impairments{}, 0, nil, 1)
	defer w.Close()
	c := newCollector()
	w.Attach(c)
	sendAll(t, w, 500)
	for i, f := range c.wait(t, 500) {
		if seqOf(f) != i {
			t.Fatalf("frame %d carries %d: clean wire reordered", i, seqOf(f))
		}
	}
}

func TestWireImpairments(t *testing.T) {
	const n = 4000
	for _, tc := range []struct {
		name string
		imp  Impairments
		want func(t *testing.T, w *Wire, got [][]byte)
	}{
		{"loss 10%", Impairments{Loss: 0.1}, func(t *testing.T, w *Wire, got [][]byte) {
			if l := w.Stats.Lost.Value(); l < n/20 || l > n/5 || len(got) != n-int(l) {
				t.Errorf("lost %d of %d, delivered %d", l, n, len(got))
			}
		}},
		{"duplicate all", Impairments{Duplicate: 1}, func(t *testing.T, w *Wire, got [][]byte) {
			if len(got) != 2*n || seqOf(got[0]) != seqOf(got[1]) {
				t.Errorf("delivered %d", len(got))
			}
		}},
		{"corrupt all", Impairments{Corrupt: 1}, func(t *testing.T, w *Wire, got [][]byte) {
			for k, f := range got {
				diff := 0
				want := frame(k) // no reordering: k-th delivered is k-th sent
				for i := range f {
					for x := f[i] ^ want[i]; x != 0; x &= x - 1 {
						diff++
						if i < EthernetHeaderLen {
							t.Fatalf("corrupted the Ethernet header")
						}
					}
				}
				if diff != 1 {
					t.Fatalf("frame %d differs in %d bits, want 1", k, diff)
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := NewWire(tc.imp, n*2, nil, 42)
			defer w.Close()
			c := newCollector()
			w.Attach(c)
			sendAll(t, w, n)
			expect := n - int(w.Stats.Lost.Value())
			if tc.imp.Duplicate == 1 {
				expect = 2 * n
			}
			tc.want(t, w, c.wait(t, expect))
		})
	}
}

func TestWireReorderAndQueueBound(t *testing.T) {
	w := NewWire(Impairments{Reorder: 0.5}, 100, nil, 3)
	defer w.Close()
	c := newCollector()
	c.gate = make(chan struct{})
	w.Attach(c)
	sendAll(t, w, 300) // the receiver is stuck on frame 0: the queue fills
	close(c.gate)
	got := c.wait(t, int(w.Stats.Sent.Value()-w.Stats.QueueDrops.Value()))
	// Only three places keep a frame: one batch (up to 100 frames) taken
	// off the queue before the receiver blocks, the queue of 100 behind
	// it, and the one frame Reorder holds back. So 300-201 = 99 are
	// dropped at the very least; exactly 99 when the delivery goroutine
	// is late enough to take a full batch and a frame is held at the end.
	if d := w.Stats.QueueDrops.Value(); d < 300-100-100-1 {
		t.Errorf("queue of 100 dropped only %d of 300", d)
	}
	inversions := 0
	for i := 1; i < len(got); i++ {
		if seqOf(got[i]) < seqOf(got[i-1]) {
			inversions++
		}
	}
	if inversions == 0 {
		t.Error("Reorder 0.5 delivered everything in order")
	}
}

func TestWireDelayOnFakeClock(t *testing.T) {
	clk := clock.NewFake()
	w := NewWire(Impairments{Delay: 10 * time.Millisecond}, 0, clk, 1)
	defer w.Close()
	c := newCollector()
	w.Attach(c)
	sendAll(t, w, 3)
	if w.Idle() {
		t.Fatal("delayed frames not pending")
	}
	clk.Advance(9 * time.Millisecond)
	select {
	case <-c.got:
		t.Fatal("frame arrived before its delay")
	default:
	}
	clk.Advance(time.Millisecond)
	c.wait(t, 3)
}

// TestWireJitterKeepsOrder: delay and jitter hold frames back but, as on a
// real link, never reorder them.
func TestWireJitterKeepsOrder(t *testing.T) {
	clk := clock.NewFake()
	w := NewWire(Impairments{Delay: time.Millisecond, Jitter: 5 * time.Millisecond}, 0, clk, 1)
	defer w.Close()
	c := newCollector()
	w.Attach(c)
	for i := 0; i < 200; i++ {
		w.Send(frame(i))
		clk.Advance(100 * time.Microsecond)
	}
	clk.Advance(10 * time.Millisecond)
	for i, f := range c.wait(t, 200) {
		if seqOf(f) != i {
			t.Fatalf("frame %d carries %d", i, seqOf(f))
		}
	}
}

func TestPipe(t *testing.T) {
	macA, macB := tcpip.MAC{2, 0, 0, 0, 0, 1}, tcpip.MAC{2, 0, 0, 0, 0, 2}
	seen := 0
	a, b := NewPipe(PipeConfig{MTU: 100, Observe: func(*PipeEnd, []byte) { seen++ }}, macA, macB)
	defer a.Close()
	ca, cb := newCollector(), newCollector()
	a.Attach(ca)
	b.Attach(cb)
	if err := a.WriteFrame(make([]byte, 115)); err != ErrFrameTooLarge {
		t.Fatalf("oversized frame: %v", err)
	}
	a.WriteFrame(frame(1))
	b.WriteFrame(frame(2))
	if seqOf(cb.wait(t, 1)[0]) != 1 || seqOf(ca.wait(t, 1)[0]) != 2 || seen != 2 {
		t.Fatal("pipe crossed wrong")
	}
	if a.MAC() != macA || b.MTU() != 100 {
		t.Fatal("MAC/MTU")
	}
}

// TestWireReorderByDelay holds reordered frames back by a random delay
// on a fake clock, sending one frame per millisecond: a held frame is
// overtaken by several later ones (at least three for some, enough for
// three duplicate ACKs), and every frame arrives exactly once.
func TestWireReorderByDelay(t *testing.T) {
	clk := clock.NewFake()
	w := NewWire(Impairments{Reorder: 0.1, ReorderDelay: 10 * time.Millisecond, Delay: time.Millisecond}, 0, clk, 5)
	defer w.Close()
	c := newCollector()
	w.Attach(c)
	const n = 500
	for i := range n {
		if err := w.Send(frame(i)); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Millisecond)
	}
	clk.Advance(20 * time.Millisecond)
	got := c.wait(t, n)
	seen := make(map[int]bool)
	overtaken := 0 // frames that at least three later frames overtook
	for i, f := range got {
		s := seqOf(f)
		if seen[s] {
			t.Fatalf("frame %d delivered twice", s)
		}
		seen[s] = true
		later := 0
		for _, g := range got[:i] {
			if seqOf(g) > s {
				later++
			}
		}
		if later >= 3 {
			overtaken++
		}
	}
	if r := w.Stats.Reordered.Value(); r == 0 || overtaken == 0 {
		t.Errorf("%d frames reordered, %d overtaken by three or more", r, overtaken)
	}
	t.Logf("%d of %d frames reordered, %d overtaken by three or more", w.Stats.Reordered.Value(), n, overtaken)
}
