package tcp

import (
	"context"
	"io"
	"syscall"
	"testing"
	"time"

	"scone/kernel/net/tcpip"
)

var bg = context.Background()

func TestActiveOpenOptions(t *testing.T) {
	r := newRawPeer(t, Options{})
	e, syn := r.connect(1000, 536, 7)
	if syn.mss != 1460 || syn.wndScale != 5 || !syn.sackOK {
		t.Errorf("SYN options mss=%d ws=%d sack=%v, want 1460, 5 (for a 1 MiB buffer) and SACK", syn.mss, syn.wndScale, syn.sackOK)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sndMSS != 536 || e.sndShift != 7 || e.sndWnd != 1000 {
		t.Errorf("after SYN-ACK: sndMSS=%d sndShift=%d sndWnd=%d, want 536 7 1000", e.sndMSS, e.sndShift, e.sndWnd)
	}
}

func TestSynSent(t *testing.T) {
	tests := []struct {
		name      string
		flags     uint8
		ackDelta  int // SEG.ACK relative to our ISS
		wantState State
		wantErr   error
		wantReply uint8 // flags of the expected reply, 0 for none
	}{
		{"rst-with-good-ack", flagRST | flagACK, 1, StateClosed, syscall.ECONNREFUSED, 0},
		{"rst-without-ack", flagRST, 0, StateSynSent, nil, 0},
		{"rst-with-bad-ack", flagRST | flagACK, 7, StateSynSent, nil, 0},
		{"ack-bad", flagACK, 7, StateSynSent, nil, flagRST},
		{"ack-of-iss", flagACK, 0, StateSynSent, nil, flagRST},
		{"syn-simultaneous", flagSYN, 0, StateSynReceived, nil, flagSYN | flagACK},
		{"neither", 0, 0, StateSynSent, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRawPeer(t, Options{})
			e := r.p.NewEndpoint()
			e.SetNonblocking(true)
			e.Connect(bg, tcpip.FullAddr{Addr: r.addr, Port: r.port})
			syn := r.expect("SYN")
			ack := syn.seq.add(tc.ackDelta)
			r.send(syn.srcPort, outSegment{seq: r.iss, ack: ack, flags: tc.flags, wnd: 100, wndScale: -1}, nil)
			if s := e.State(); s != tc.wantState {
				t.Errorf("state %v, want %v", s, tc.wantState)
			}
			if err := e.Error(); err != tc.wantErr {
				t.Errorf("error %v, want %v", err, tc.wantErr)
			}
			segs := r.recv()
			if tc.wantReply == 0 {
				if len(segs) != 0 {
					t.Errorf("replied %+v, want nothing", segs)
				}
				return
			}
			if len(segs) != 1 || segs[0].flags != tc.wantReply {
				t.Fatalf("replied %+v, want flags %#x", segs, tc.wantReply)
			}
			if tc.wantReply == flagRST && segs[0].seq != ack {
				t.Errorf("RST seq %d, want SEG.ACK %d", segs[0].seq, ack)
			}
		})
	}
}

func TestSimultaneousOpen(t *testing.T) {
	r := newRawPeer(t, Options{})
	e := r.p.NewEndpoint()
	e.SetNonblocking(true)
	e.Connect(bg, tcpip.FullAddr{Addr: r.addr, Port: r.port})
	syn := r.expect("SYN")
	r.send(syn.srcPort, outSegment{seq: r.iss, flags: flagSYN, wnd: 1000, mss: 1000, wndScale: -1}, nil)
	sa := r.expect("SYN-ACK")
	if sa.flags != flagSYN|flagACK || sa.seq != syn.seq || sa.ack != r.iss+1 || sa.wndScale != -1 {
		t.Fatalf("SYN-ACK %+v: want same ISS, ack of our SYN, no window scale (peer sent none)", sa)
	}
	// The peer's SYN-ACK completes both handshakes.
	r.send(syn.srcPort, outSegment{seq: r.iss + 1, ack: syn.seq + 1, flags: flagACK, wnd: 1000, wndScale: -1}, nil)
	if s := e.State(); s != StateEstablished {
		t.Fatalf("state %v, want ESTABLISHED", s)
	}
	if ev := e.Readiness(); ev&0x4 == 0 {
		t.Errorf("readiness %#x lacks EventOut", ev)
	}
}

func TestResetHandling(t *testing.T) {
	tests := []struct {
		name      string
		seqDelta  int // RST's sequence number relative to RCV.NXT
		wantState State
		wantErr   error
		wantACK   bool // a challenge ACK (RFC 5961)
	}{
		{"exact", 0, StateClosed, syscall.ECONNRESET, false},
		{"in-window", 100, StateEstablished, nil, true},
		{"out-of-window", 1 << 30, StateEstablished, nil, false},
		{"old", -10, StateEstablished, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRawPeer(t, Options{})
			c := r.established()
			r.send(c.lport, outSegment{seq: c.seq.add(tc.seqDelta), flags: flagRST}, nil)
			if s := c.e.State(); s != tc.wantState {
				t.Errorf("state %v, want %v", s, tc.wantState)
			}
			segs := r.recv()
			if tc.wantACK != (len(segs) == 1 && segs[0].flags == flagACK && segs[0].ack == c.seq) {
				t.Errorf("replies %+v, want challenge ACK: %v", segs, tc.wantACK)
			}
			if tc.wantErr != nil {
				if _, err := c.e.Read(bg, make([]byte, 1)); err != tc.wantErr {
					t.Errorf("Read after reset = %v, want %v", err, tc.wantErr)
				}
				if _, err := c.e.Read(bg, make([]byte, 1)); err != io.EOF {
					t.Errorf("second Read after reset = %v, want EOF", err)
				}
			}
		})
	}
}

func TestSynInEstablishedChallenged(t *testing.T) {
	r := newRawPeer(t, Options{})
	c := r.established()
	r.send(c.lport, outSegment{seq: c.seq + 10, flags: flagSYN, wndScale: -1}, nil)
	ack := r.expect("challenge ACK")
	if ack.flags != flagACK || ack.ack != c.seq || c.e.State() != StateEstablished {
		t.Fatalf("reply %+v state %v", ack, c.e.State())
	}
	if r.p.Stats().ChallengeACKs != 1 {
		t.Error("challenge ACK not counted")
	}
}

func TestClosedPortResets(t *testing.T) {
	tests := []struct {
		name      string
		flags     uint8
		data      int
		wantFlags uint8
		wantSeq   seqnum
		wantAck   seqnum
	}{
		{"syn", flagSYN, 0, flagRST | flagACK, 0, 101},
		{"syn-data-fin", flagSYN | flagFIN, 10, flagRST | flagACK, 0, 112},
		{"ack", flagACK, 0, flagRST, 777, 0},
		{"rst", flagRST, 0, 0, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRawPeer(t, Options{})
			ok := r.send(4444, outSegment{seq: 100, ack: 777, flags: tc.flags, wndScale: -1}, make([]byte, tc.data))
			if ok {
				t.Error("HandlePacket reported delivery to a closed port")
			}
			segs := r.recv()
			if tc.wantFlags == 0 {
				if len(segs) != 0 {
					t.Fatalf("replied %+v to a RST", segs)
				}
				return
			}
			if len(segs) != 1 {
				t.Fatalf("replied %d segments", len(segs))
			}
			s := segs[0]
			if s.flags != tc.wantFlags || s.seq != tc.wantSeq || (tc.wantFlags&flagACK != 0 && s.ack != tc.wantAck) {
				t.Errorf("reply flags %#x seq %d ack %d, want %#x %d %d", s.flags, s.seq, s.ack, tc.wantFlags, tc.wantSeq, tc.wantAck)
			}
		})
	}
}

func TestUnacceptableSegments(t *testing.T) {
	tests := []struct {
		name     string
		seqDelta int
		ackDelta int
		data     int
		wantAck  bool
	}{
		{"old-duplicate-data", -20, 0, 10, true},
		{"beyond-window", 1 << 24, 0, 10, true},
		{"ack-of-unsent", 0, 1000, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRawPeer(t, Options{})
			c := r.established()
			r.send(c.lport, outSegment{seq: c.seq.add(tc.seqDelta), ack: c.ack.add(tc.ackDelta), flags: flagACK, wnd: 100}, make([]byte, tc.data))
			segs := r.recv()
			if got := len(segs) == 1 && segs[0].flags == flagACK && segs[0].ack == c.seq; got != tc.wantAck {
				t.Errorf("replies %+v, want ACK of %d: %v", segs, c.seq, tc.wantAck)
			}
			if c.e.State() != StateEstablished {
				t.Errorf("state %v", c.e.State())
			}
			c.e.mu.Lock()
			defer c.e.mu.Unlock()
			if c.e.rcv.len() != 0 {
				t.Error("unacceptable data was stored")
			}
		})
	}
}

func TestPassiveClose(t *testing.T) {
	r := newRawPeer(t, Options{})
	c := r.established()
	c.seg(flagACK|flagFIN, []byte("bye"))
	ack := r.expect("ACK of FIN")
	if ack.ack != c.seq || c.e.State() != StateCloseWait {
		t.Fatalf("ack %d (want %d), state %v", ack.ack, c.seq, c.e.State())
	}
	if ev := c.e.Readiness(); ev&0x2000 == 0 || ev&0x1 == 0 {
		t.Errorf("readiness %#x, want EventIn|EventRdHup", ev)
	}
	buf := make([]byte, 10)
	if n, _ := c.e.Read(bg, buf); n != 3 {
		t.Fatalf("Read %d bytes", n)
	}
	if _, err := c.e.Read(bg, buf); err != io.EOF {
		t.Fatalf("Read at end = %v, want EOF", err)
	}
	c.e.Close()
	fin := r.expect("our FIN")
	if fin.flags != flagACK|flagFIN || c.e.State() != StateLastAck {
		t.Fatalf("FIN %+v state %v", fin, c.e.State())
	}
	c.seg(flagACK, nil)
	c.r.send(c.lport, outSegment{seq: c.seq, ack: fin.seq + 1, flags: flagACK, wnd: 100}, nil)
	if c.e.State() != StateClosed || r.p.ConnCount() != 0 {
		t.Fatalf("state %v conns %d after ACK of FIN", c.e.State(), r.p.ConnCount())
	}
}

func TestSimultaneousClose(t *testing.T) {
	r := newRawPeer(t, Options{MSL: time.Second})
	c := r.established()
	c.e.Shutdown(ShutWr)
	fin := r.expect("FIN")
	if c.e.State() != StateFinWait1 {
		t.Fatalf("state %v", c.e.State())
	}
	// The peer's FIN crosses ours: it does not acknowledge our FIN.
	c.seg(flagACK|flagFIN, nil)
	if ack := r.expect("ACK of crossing FIN"); ack.ack != c.seq || c.e.State() != StateClosing {
		t.Fatalf("ack %+v state %v", ack, c.e.State())
	}
	r.send(c.lport, outSegment{seq: c.seq, ack: fin.seq + 1, flags: flagACK, wnd: 100}, nil)
	if c.e.State() != StateTimeWait {
		t.Fatalf("state %v, want TIME-WAIT", c.e.State())
	}
	// A retransmitted FIN in TIME-WAIT is acknowledged and restarts the wait.
	r.advance(1500 * time.Millisecond)
	r.send(c.lport, outSegment{seq: c.seq - 1, ack: fin.seq + 1, flags: flagACK | flagFIN, wnd: 100}, nil)
	if ack := r.expect("re-ACK in TIME-WAIT"); ack.ack != c.seq {
		t.Fatalf("re-ACK %+v", ack)
	}
	r.advance(1500 * time.Millisecond)
	if c.e.State() != StateTimeWait {
		t.Fatal("TIME-WAIT not restarted by the retransmitted FIN")
	}
	r.advance(600 * time.Millisecond)
	if c.e.State() != StateClosed || r.p.ConnCount() != 0 {
		t.Fatalf("state %v after 2*MSL", c.e.State())
	}
}

func TestActiveCloseFinWait2(t *testing.T) {
	r := newRawPeer(t, Options{MSL: time.Second, FinWait2Timeout: 5 * time.Second})
	c := r.established()
	c.e.Close()
	fin := r.expect("FIN")
	r.send(c.lport, outSegment{seq: c.seq, ack: fin.seq + 1, flags: flagACK, wnd: 100}, nil)
	if c.e.State() != StateFinWait2 {
		t.Fatalf("state %v", c.e.State())
	}
	r.advance(6 * time.Second)
	if c.e.State() != StateClosed {
		t.Fatalf("orphaned FIN-WAIT-2 lasted past its timeout: %v", c.e.State())
	}
}

func TestHalfClose(t *testing.T) {
	r := newRawPeer(t, Options{})
	c := r.established()
	c.e.Shutdown(ShutWr)
	fin := r.expect("FIN")
	if _, err := c.e.Write(bg, []byte("x")); err != syscall.EPIPE {
		t.Fatalf("Write after shutdown = %v, want EPIPE", err)
	}
	r.send(c.lport, outSegment{seq: c.seq, ack: fin.seq + 1, flags: flagACK, wnd: 100}, nil)
	// The other direction still works.
	c.seg(flagACK|flagPSH, []byte("still here"))
	buf := make([]byte, 20)
	if n, err := c.e.Read(bg, buf); err != nil || string(buf[:n]) != "still here" {
		t.Fatalf("Read = %q, %v", buf[:n], err)
	}
}

func TestCloseWithUnreadDataResets(t *testing.T) {
	r := newRawPeer(t, Options{})
	c := r.established()
	c.seg(flagACK, []byte("unread"))
	r.recv()
	c.e.Close()
	if rst := r.expect("RST"); rst.flags&flagRST == 0 {
		t.Fatalf("Close with unread data sent %+v, want RST", rst)
	}
	if r.p.ConnCount() != 0 {
		t.Fatal("connection still registered")
	}
}

func TestTimeWaitBounded(t *testing.T) {
	r := newRawPeer(t, Options{MaxTimeWait: 1})
	var states []State
	for i := 0; i < 2; i++ {
		r.port = uint16(1000 + i)
		c := r.established()
		c.e.Write(bg, []byte("data"))
		c.e.Close()
		segs := r.recv()
		fin := segs[len(segs)-1]
		// The peer acknowledges data and FIN and sends its own FIN.
		r.send(c.lport, outSegment{seq: c.seq, ack: fin.seq + 1, flags: flagACK | flagFIN, wnd: 100}, nil)
		r.recv()
		states = append(states, c.e.State())
		c.e.mu.Lock()
		if c.e.snd.buf != nil || c.e.rcv.buf != nil {
			t.Error("a closed connection kept its buffers")
		}
		c.e.mu.Unlock()
	}
	if states[0] != StateTimeWait || states[1] != StateClosed {
		t.Fatalf("states %v, want TIME-WAIT then CLOSED (table full)", states)
	}
	if st := r.p.Stats(); st.TimeWait != 1 || st.TimeWaitOverflows != 1 {
		t.Fatalf("TimeWait %d overflows %d", st.TimeWait, st.TimeWaitOverflows)
	}
	r.advance(time.Hour)
	if st := r.p.Stats(); st.TimeWait != 0 || r.p.ConnCount() != 0 {
		t.Fatalf("after 2*MSL: TimeWait %d conns %d", st.TimeWait, r.p.ConnCount())
	}
}

func TestDataAfterCloseResets(t *testing.T) {
	r := newRawPeer(t, Options{})
	c := r.established()
	c.e.Close()
	r.expect("FIN")
	c.seg(flagACK, []byte("too late"))
	if rst := r.expect("reset"); rst.flags&flagRST == 0 {
		t.Fatalf("data to a closed socket answered with %+v, want RST", rst)
	}
	if r.p.ConnCount() != 0 {
		t.Fatal("connection kept")
	}
}
