package tcp

import "testing"

// TestSlowStartAndCongestionAvoidance checks RFC 5681's window growth on a
// connection whose peer window is large enough that only cwnd limits the
// sender: the initial window is 10 segments (RFC 6928); in slow start each
// ACK of one segment lets two new ones go; once cwnd has reached ssthresh a
// whole window of ACKs grows it by one segment; and a retransmission
// timeout brings it back to one segment with ssthresh at half the flight.
func TestSlowStartAndCongestionAvoidance(t *testing.T) {
	const mss = 1460
	r := newRawPeer(t, Options{})
	e, syn := r.connect(0xffff, mss, 7) // an 8 MiB peer window
	c := &conn{r: r, e: e, lport: syn.srcPort, seq: r.iss + 1, ack: syn.seq + 1}
	e.SetNoDelay(true)
	if _, err := e.Write(bg, make([]byte, 512<<10)); err != nil {
		t.Fatal(err)
	}
	window := func() (cwnd, ssthresh int) {
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.cwnd, e.ssthresh
	}
	// ackEach acknowledges segs one at a time, in order, and returns what
	// each ACK released.
	ackEach := func(segs []segment) (released [][]segment) {
		for _, s := range segs {
			r.send(c.lport, outSegment{seq: c.seq, ack: s.seq.add(len(s.data)), flags: flagACK, wnd: 0xffff}, nil)
			released = append(released, r.recv())
		}
		return released
	}

	first := r.recv()
	if len(first) != 10 {
		t.Fatalf("initial window: %d segments, want 10", len(first))
	}
	var second []segment
	for i, got := range ackEach(first) {
		if len(got) != 2 {
			t.Fatalf("slow start: ACK %d released %d segments, want 2", i, len(got))
		}
		second = append(second, got...)
	}
	if cwnd, _ := window(); cwnd != 20*mss {
		t.Fatalf("after one round of slow start cwnd = %d, want %d", cwnd, 20*mss)
	}

	// Congestion avoidance from here: 20 ACKs of one segment each make one
	// window's worth, so cwnd grows by one segment and 21 go out.
	e.mu.Lock()
	e.ssthresh = e.cwnd
	e.mu.Unlock()
	var third []segment
	for _, got := range ackEach(second) {
		third = append(third, got...)
	}
	if cwnd, _ := window(); cwnd != 21*mss || len(third) != 21 {
		t.Fatalf("congestion avoidance: cwnd %d and %d segments sent for one window of ACKs, want %d and 21", cwnd, len(third), 21*mss)
	}

	// Nothing more is acknowledged: the retransmission timer fires, and
	// the sender starts again from one segment.
	d, ok := r.n.clk.Next()
	if !ok {
		t.Fatal("no retransmission timer armed")
	}
	r.advance(d)
	re := r.recv()
	if len(re) != 1 || re[0].seq != third[0].seq {
		t.Fatalf("after the timeout sent %d segments (%+v), want one retransmission of %d", len(re), re, third[0].seq)
	}
	if cwnd, ssthresh := window(); cwnd != mss || ssthresh != 21*mss/2 {
		t.Fatalf("after the timeout cwnd %d ssthresh %d, want %d and %d", cwnd, ssthresh, mss, 21*mss/2)
	}
}
