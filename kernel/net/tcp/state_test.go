package tcp

import (
	"context"
	"errors"
	"io"
	"syscall"
	"testing"
	"time"

	"scone/kernel/net/tcpip"
	"scone/kernel/net/waiter"
)

var bg = context.Background()

func TestActiveOpenOptions(t *testing.T) {
	r := newRawPeer(t, Options{})
	e, syn := r.connect(1000, 536, 7)
	if syn.mss != 1460 || syn.wndScale != 5 {
		t.Errorf("SYN options mss=%d ws=%d, want 1460 and 5 (for a 1 MiB buffer)", syn.mss, syn.wndScale)
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

func TestPassiveOpen(t *testing.T) {
	r := newRawPeer(t, Options{})
	l := r.p.NewEndpoint()
	l.Bind(tcpip.FullAddr{Port: 80})
	l.Listen(1)
	l.SetNonblocking(true)
	if _, err := l.Accept(bg); err != syscall.EAGAIN {
		t.Fatalf("Accept on empty queue = %v, want EAGAIN", err)
	}
	r.send(80, outSegment{seq: r.iss, flags: flagSYN, wnd: 5000, mss: 1200, wndScale: 2}, nil)
	sa := r.expect("SYN-ACK")
	if sa.flags != flagSYN|flagACK || sa.ack != r.iss+1 || sa.mss != 1460 || sa.wndScale != 5 {
		t.Fatalf("SYN-ACK %+v", sa)
	}
	// A retransmitted SYN gets the same SYN-ACK again.
	r.send(80, outSegment{seq: r.iss, flags: flagSYN, wnd: 5000, mss: 1200, wndScale: 2}, nil)
	if again := r.expect("repeated SYN-ACK"); again.seq != sa.seq || again.flags != sa.flags {
		t.Fatalf("repeated SYN-ACK %+v differs from %+v", again, sa)
	}
	r.send(80, outSegment{seq: r.iss + 1, ack: sa.seq + 1, flags: flagACK, wnd: 100}, []byte("hi"))
	c, err := l.Accept(bg)
	if err != nil {
		t.Fatalf("Accept = %v", err)
	}
	if st := r.p.Stats(); st.PassiveOpens != 1 || st.CurrEstab != 1 {
		t.Errorf("PassiveOpens %d CurrEstab %d, want 1 1", st.PassiveOpens, st.CurrEstab)
	}
	c.mu.Lock()
	if c.sndWnd != 100<<2 || c.sndMSS != 1200 {
		t.Errorf("child sndWnd %d sndMSS %d, want 400 1200", c.sndWnd, c.sndMSS)
	}
	c.mu.Unlock()
	buf := make([]byte, 10)
	if n, err := c.Read(bg, buf); n != 2 || err != nil || string(buf[:2]) != "hi" {
		t.Fatalf("Read = %d %v %q", n, err, buf[:n])
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

func TestOptionsParsing(t *testing.T) {
	mk := func(opts ...byte) []byte {
		n := 20 + (len(opts)+3)/4*4
		b := make([]byte, n)
		b[12] = byte(n/4) << 4
		copy(b[20:], opts)
		return b
	}
	tests := []struct {
		name    string
		b       []byte
		wantMSS uint16
		wantWS  int
		wantErr bool
	}{
		{"none", mk(), 0, -1, false},
		{"mss-ws", mk(2, 4, 5, 0xb4, 1, 3, 3, 7), 1460, 7, false},
		{"unknown-skipped", mk(99, 4, 1, 1, 2, 4, 2, 0), 512, -1, false},
		{"ws-clamped", mk(3, 3, 20), 0, 14, false},
		{"zero-length", mk(2, 0, 5, 0xb4), 0, -1, false},
		{"overlong", mk(2, 40, 5, 0xb4), 0, -1, false},
		{"truncated-kind", mk(1, 1, 1, 2), 0, -1, false},
		{"eol-stops", mk(0, 2, 4, 5, 0xb4), 0, -1, false},
		{"short-header", make([]byte, 19), 0, -1, true},
		{"bad-offset", func() []byte { b := mk(); b[12] = 0x40; return b }(), 0, -1, true},
		{"offset-past-end", func() []byte { b := mk(); b[12] = 0xf0; return b }(), 0, -1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s segment
			err := s.parse(tc.b)
			if (err != nil) != tc.wantErr {
				t.Fatalf("parse error %v, want error %v", err, tc.wantErr)
			}
			if err == nil && (s.mss != tc.wantMSS || s.wndScale != tc.wantWS) {
				t.Errorf("mss %d ws %d, want %d %d", s.mss, s.wndScale, tc.wantMSS, tc.wantWS)
			}
		})
	}
}

func TestBadChecksumCounted(t *testing.T) {
	r := newRawPeer(t, Options{})
	c := r.established()
	var hb [maxHeaderLen]byte
	o := outSegment{srcPort: r.port, dstPort: c.lport, seq: c.seq, ack: c.ack, flags: flagACK, wnd: 100, wndScale: -1}
	b := append(append([]byte(nil), o.build(hb[:], r.addr, addrA, []byte("data"))...), "daTa"...)
	if r.p.HandlePacket(tcpip.PacketInfo{Src: r.addr, Dst: addrA}, b) {
		t.Error("corrupted segment accepted")
	}
	if st := r.p.Stats(); st.InCsumErrors != 1 || st.InErrs != 1 {
		t.Errorf("InCsumErrors %d InErrs %d, want 1 1", st.InCsumErrors, st.InErrs)
	}
	r.expectNone("reply to a corrupted segment")
}

func TestICMP(t *testing.T) {
	t.Run("port-unreachable-in-syn-sent", func(t *testing.T) {
		r := newRawPeer(t, Options{})
		e := r.p.NewEndpoint()
		e.SetNonblocking(true)
		e.Connect(bg, tcpip.FullAddr{Addr: r.addr, Port: r.port})
		syn := r.recv()[0]
		orig := make([]byte, 8)
		orig[0], orig[1] = byte(syn.srcPort>>8), byte(syn.srcPort)
		orig[2], orig[3] = byte(r.port>>8), byte(r.port)
		orig[4], orig[5], orig[6], orig[7] = byte(syn.seq>>24), byte(syn.seq>>16), byte(syn.seq>>8), byte(syn.seq)
		r.p.HandleControl(tcpip.ControlMessage{Type: 3, Code: 3, Err: syscall.ECONNREFUSED}, addrA, r.addr, orig)
		if e.State() != StateClosed || e.Error() != syscall.ECONNREFUSED {
			t.Fatalf("state %v", e.State())
		}
	})
	t.Run("soft-error-then-timeout", func(t *testing.T) {
		r := newRawPeer(t, Options{MaxRetries: 3})
		c := r.established()
		c.e.Write(bg, []byte("hello"))
		seg := r.recv()[0]
		orig := make([]byte, 8)
		orig[0], orig[1] = byte(c.lport>>8), byte(c.lport)
		orig[2], orig[3] = byte(r.port>>8), byte(r.port)
		orig[4], orig[5], orig[6], orig[7] = byte(seg.seq>>24), byte(seg.seq>>16), byte(seg.seq>>8), byte(seg.seq)
		r.p.HandleControl(tcpip.ControlMessage{Type: 3, Code: 1, Err: syscall.EHOSTUNREACH}, addrA, r.addr, orig)
		if c.e.State() != StateEstablished {
			t.Fatal("a soft error closed the connection")
		}
		r.advance(time.Hour)
		if _, err := c.e.Read(bg, make([]byte, 1)); err != syscall.EHOSTUNREACH {
			t.Fatalf("Read after give-up = %v, want the soft error EHOSTUNREACH", err)
		}
	})
}

func TestRetransmitBackoffAndGiveUp(t *testing.T) {
	r := newRawPeer(t, Options{MaxRetries: 4})
	c := r.established()
	c.e.Write(bg, []byte("x"))
	r.expect("data")
	start := r.n.clk.Now()
	var times []time.Duration
	for i := 0; i < 20 && c.e.State() == StateEstablished; i++ {
		d, _ := r.n.clk.Next()
		r.advance(d)
		for _, s := range r.recv() {
			if len(s.data) == 1 {
				times = append(times, r.n.clk.Now().Sub(start))
			}
		}
	}
	// Initial RTO 1 s (no RTT sample yet: the handshake was answered at
	// once, so the sample is ~0 and MinRTO 200 ms applies).
	want := []time.Duration{200, 600, 1400, 3000}
	if len(times) != len(want) {
		t.Fatalf("retransmissions at %v, want %d of them", times, len(want))
	}
	for i := range want {
		if times[i] != want[i]*time.Millisecond {
			t.Fatalf("retransmissions at %v, want doubling intervals %v ms", times, want)
		}
	}
	if _, err := c.e.Write(bg, []byte("y")); err != syscall.ETIMEDOUT {
		t.Fatalf("Write after give-up = %v, want ETIMEDOUT", err)
	}
	if st := r.p.Stats(); st.ConnTimeouts != 1 || st.Timeouts != 4 {
		t.Errorf("ConnTimeouts %d Timeouts %d", st.ConnTimeouts, st.Timeouts)
	}
}

func TestConnectTimeout(t *testing.T) {
	r := newRawPeer(t, Options{SynRetries: 2})
	e := r.p.NewEndpoint()
	e.SetNonblocking(true)
	e.Connect(bg, tcpip.FullAddr{Addr: r.addr, Port: r.port})
	r.advance(time.Hour)
	if n := len(r.recv()); n != 3 {
		t.Errorf("sent %d SYNs, want 1 + 2 retries", n)
	}
	if err := e.Error(); err != syscall.ETIMEDOUT {
		t.Fatalf("error %v, want ETIMEDOUT", err)
	}
}

func TestDelayedAck(t *testing.T) {
	r := newRawPeer(t, Options{})
	c := r.established()
	c.seg(flagACK, make([]byte, 1460))
	r.expectNone("ACK of a single segment")
	r.advance(39 * time.Millisecond)
	r.expectNone("ACK before the delayed-ACK timeout")
	r.advance(time.Millisecond)
	if a := r.expect("delayed ACK"); a.ack != c.seq {
		t.Fatalf("delayed ACK %+v", a)
	}
	c.seg(flagACK, make([]byte, 1460))
	c.seg(flagACK, make([]byte, 1460))
	if a := r.expect("ACK of every second full segment"); a.ack != c.seq {
		t.Fatalf("ACK %+v", a)
	}
	// Out of order: an immediate duplicate ACK; the hole filled: an immediate ACK.
	hole := c.seq
	c.seq += 100
	c.seg(flagACK, make([]byte, 100))
	if a := r.expect("duplicate ACK"); a.ack != hole {
		t.Fatalf("dup ACK %+v, want ack %d", a, hole)
	}
	end := c.seq
	c.seq = hole
	c.seg(flagACK, make([]byte, 100))
	if a := r.expect("ACK when the hole fills"); a.ack != end {
		t.Fatalf("ACK %+v, want ack %d", a, end)
	}
	buf := make([]byte, 8000)
	if n, _ := c.e.Read(bg, buf); n != 3*1460+200 {
		t.Fatalf("read %d bytes", n)
	}
}

func TestNagle(t *testing.T) {
	for _, noDelay := range []bool{false, true} {
		r := newRawPeer(t, Options{})
		c := r.established()
		c.e.SetNoDelay(noDelay)
		c.e.Write(bg, []byte("a"))
		r.expect("first small segment")
		c.e.Write(bg, []byte("b"))
		c.e.Write(bg, []byte("c"))
		segs := r.recv()
		if noDelay && len(segs) != 2 {
			t.Errorf("TCP_NODELAY: %d segments for two small writes, want 2", len(segs))
		}
		if !noDelay {
			if len(segs) != 0 {
				t.Fatalf("Nagle: sent %d segments with one in flight", len(segs))
			}
			// The ACK releases the rest as one segment.
			r.send(c.lport, outSegment{seq: c.seq, ack: c.ack + 1, flags: flagACK, wnd: 0xffff}, nil)
			s := r.expect("coalesced segment")
			if string(s.data) != "bc" {
				t.Errorf("coalesced segment %q, want \"bc\"", s.data)
			}
		}
	}
}

func TestZeroWindowProbe(t *testing.T) {
	r := newRawPeer(t, Options{})
	c := r.established()
	// The peer closes its window.
	r.send(c.lport, outSegment{seq: c.seq, ack: c.ack, flags: flagACK, wnd: 0}, nil)
	c.e.Write(bg, []byte("waiting"))
	r.expectNone("data into a zero window")
	var probes []segment
	for i := 0; i < 5; i++ {
		d, ok := r.n.clk.Next()
		if !ok {
			t.Fatal("no persist timer")
		}
		r.advance(d)
		s := r.expect("probe")
		probes = append(probes, s)
		// The peer still has no room and says so.
		r.send(c.lport, outSegment{seq: c.seq, ack: c.ack, flags: flagACK, wnd: 0}, nil)
	}
	for _, p := range probes {
		if len(p.data) != 1 || p.seq != c.ack {
			t.Fatalf("probe %+v, want one byte at %d", p, c.ack)
		}
	}
	if c.e.State() != StateEstablished {
		t.Fatal("probing gave up")
	}
	// The window opens: everything goes.
	r.send(c.lport, outSegment{seq: c.seq, ack: c.ack, flags: flagACK, wnd: 1000}, nil)
	s := r.expect("data after window opens")
	if string(s.data) != "waiting" {
		t.Fatalf("sent %q", s.data)
	}
	if r.p.Stats().ZeroWndProbes != 5 {
		t.Errorf("ZeroWndProbes %d", r.p.Stats().ZeroWndProbes)
	}
}

func TestReceiveWindowCloses(t *testing.T) {
	r := newRawPeer(t, Options{ReceiveBuffer: 8192})
	e, syn := r.connect(0xffff, 1460, 0)
	c := &conn{r: r, e: e, lport: syn.srcPort, seq: r.iss + 1, ack: syn.seq + 1}
	for i := 0; i < 6; i++ {
		c.seg(flagACK, make([]byte, 1460))
	}
	r.advance(time.Second) // let the delayed ACK go
	var last segment
	for _, s := range r.recv() {
		last = s
	}
	if last.wnd != 0 || last.ack != r.iss+1+8192 {
		t.Fatalf("window %d ack %d after filling the buffer, want 0 and %d", last.wnd, last.ack, r.iss+1+8192)
	}
	// Data beyond the window is not stored.
	c.seg(flagACK, make([]byte, 1460))
	buf := make([]byte, 20000)
	n, _ := e.Read(bg, buf)
	if n != 8192 {
		t.Fatalf("read %d bytes, want the buffer's 8192", n)
	}
	// Reading opens the window and says so.
	segs := r.recv()
	if len(segs) == 0 || segs[len(segs)-1].wnd < 4096 {
		t.Fatalf("no window update after read: %+v", segs)
	}
}

func TestFastRetransmit(t *testing.T) {
	r := newRawPeer(t, Options{})
	c := r.established()
	c.e.SetNoDelay(true)
	data := make([]byte, 8*1460)
	c.e.Write(bg, data)
	segs := r.recv()
	if len(segs) != 8 {
		t.Fatalf("sent %d segments, want 8 (initial window 10)", len(segs))
	}
	// The first segment is lost: three duplicate ACKs.
	for i := 0; i < 3; i++ {
		r.send(c.lport, outSegment{seq: c.seq, ack: c.ack, flags: flagACK, wnd: 0xffff}, nil)
	}
	s := r.expect("fast retransmit")
	if s.seq != c.ack || len(s.data) != 1460 {
		t.Fatalf("retransmitted %+v", s)
	}
	// A partial ACK (RFC 6582) retransmits the next hole at once.
	r.send(c.lport, outSegment{seq: c.seq, ack: c.ack + 2*1460, flags: flagACK, wnd: 0xffff}, nil)
	s = r.expect("partial-ACK retransmit")
	if s.seq != c.ack+2*1460 {
		t.Fatalf("partial ACK retransmitted %+v", s)
	}
	st := r.p.Stats()
	if st.FastRetrans != 1 || st.PartialAcks != 1 || st.RetransSegs != 2 {
		t.Errorf("stats %+v", st)
	}
	c.e.mu.Lock()
	if !c.e.inRecovery {
		t.Error("not in recovery after partial ACK")
	}
	c.e.mu.Unlock()
	r.send(c.lport, outSegment{seq: c.seq, ack: c.ack + 8*1460, flags: flagACK, wnd: 0xffff}, nil)
	c.e.mu.Lock()
	defer c.e.mu.Unlock()
	if c.e.inRecovery || c.e.cwnd > c.e.ssthresh {
		t.Errorf("after full ACK: recovery %v cwnd %d ssthresh %d", c.e.inRecovery, c.e.cwnd, c.e.ssthresh)
	}
}

func TestErrorsOnUnconnected(t *testing.T) {
	r := newRawPeer(t, Options{})
	e := r.p.NewEndpoint()
	if _, err := e.Read(bg, make([]byte, 1)); err != syscall.ENOTCONN {
		t.Errorf("Read = %v", err)
	}
	if _, err := e.Write(bg, []byte("x")); err != syscall.ENOTCONN {
		t.Errorf("Write = %v", err)
	}
	if err := e.Shutdown(ShutWr); err != syscall.ENOTCONN {
		t.Errorf("Shutdown = %v", err)
	}
	if _, err := e.RemoteAddr(); err != syscall.ENOTCONN {
		t.Errorf("RemoteAddr = %v", err)
	}
	if err := e.Bind(tcpip.FullAddr{Addr: tcpip.AddrFrom4(1, 2, 3, 4), Port: 1}); err != syscall.EADDRNOTAVAIL {
		t.Errorf("Bind to foreign address = %v", err)
	}
	a, b := r.p.NewEndpoint(), r.p.NewEndpoint()
	if err := a.Bind(tcpip.FullAddr{Port: 99}); err != nil {
		t.Fatal(err)
	}
	if err := b.Bind(tcpip.FullAddr{Addr: addrA, Port: 99}); err != syscall.EADDRINUSE {
		t.Errorf("second Bind = %v, want EADDRINUSE", err)
	}
	a.Close()
	if err := b.Bind(tcpip.FullAddr{Addr: addrA, Port: 99}); err != nil {
		t.Errorf("Bind after Close = %v", err)
	}
	if err := e.Connect(bg, tcpip.FullAddr{Addr: tcpip.AddrFrom4(8, 8, 8, 8), Port: 1}); !errors.Is(err, syscall.ENETUNREACH) {
		t.Errorf("Connect with no route = %v", err)
	}
}

func TestSACK(t *testing.T) {
	r := newRawPeer(t, Options{})
	e := r.p.NewEndpoint()
	e.SetNonblocking(true)
	e.SetNoDelay(true)
	e.Connect(bg, tcpip.FullAddr{Addr: r.addr, Port: r.port})
	syn := r.expect("SYN")
	if !syn.sackOK {
		t.Fatal("SYN does not offer SACK")
	}
	o := outSegment{seq: r.iss, ack: syn.seq + 1, flags: flagSYN | flagACK, wnd: 0xffff, mss: 1000, wndScale: 0, sackOK: true}
	r.send(syn.srcPort, o, nil)
	r.recv()
	c := &conn{r: r, e: e, lport: syn.srcPort, seq: r.iss + 1, ack: syn.seq + 1}

	t.Run("receiver-reports-blocks", func(t *testing.T) {
		base := c.seq
		c.seq = base + 100
		c.seg(flagACK, make([]byte, 100)) // [base+100, base+200)
		a := r.expect("dup ACK")
		if a.ack != base || a.nsack != 1 || a.sack[0] != (seqRange{base + 100, base + 200}) {
			t.Fatalf("ACK %d with SACK %v, want ack %d and block [%d,%d)", a.ack, a.sack[:a.nsack], base, base+100, base+200)
		}
		c.seq = base + 300
		c.seg(flagACK, make([]byte, 100)) // [base+300, base+400)
		a = r.expect("dup ACK")
		// The newest block comes first (RFC 2018 section 4).
		if a.nsack != 2 || a.sack[0] != (seqRange{base + 300, base + 400}) || a.sack[1] != (seqRange{base + 100, base + 200}) {
			t.Fatalf("SACK %v", a.sack[:a.nsack])
		}
		c.seq = base
		c.seg(flagACK, make([]byte, 100))
		a = r.expect("ACK")
		if a.ack != base+200 || a.nsack != 1 {
			t.Fatalf("after first hole filled: ack %d SACK %v", a.ack, a.sack[:a.nsack])
		}
		c.seq = base + 200
		c.seg(flagACK, make([]byte, 100))
		if a = r.expect("ACK"); a.ack != base+400 || a.nsack != 0 {
			t.Fatalf("all filled: ack %d SACK %v", a.ack, a.sack[:a.nsack])
		}
		c.seq = base + 400
		e.Read(bg, make([]byte, 1000))
		r.recv()
	})

	t.Run("sender-retransmits-only-holes", func(t *testing.T) {
		e.Write(bg, make([]byte, 8000)) // 8 segments of 1000
		segs := r.recv()
		if len(segs) != 8 {
			t.Fatalf("sent %d segments", len(segs))
		}
		una := c.ack
		seg := func(i int) seqnum { return una.add(1000 * i) }
		// Segments 0 and 3 are lost; the peer SACKs the others as they come.
		sackACK := func(blocks ...seqRange) {
			o := outSegment{srcPort: r.port, dstPort: c.lport, seq: c.seq, ack: una, flags: flagACK, wnd: 0xffff, wndScale: -1, sack: blocks}
			var hb [maxHeaderLen]byte
			h := o.build(hb[:], r.addr, addrA, nil)
			r.p.HandlePacket(tcpip.PacketInfo{Src: r.addr, Dst: addrA}, append([]byte(nil), h...))
		}
		sackACK(seqRange{seg(1), seg(2)})
		sackACK(seqRange{seg(1), seg(3)})
		sackACK(seqRange{seg(4), seg(5)}, seqRange{seg(1), seg(3)})
		// Recovery starts with the first hole; the second follows once the
		// pipe has room (RFC 6675): more SACKs arrive.
		sackACK(seqRange{seg(4), seg(7)}, seqRange{seg(1), seg(3)})
		var rtx []seqnum
		for _, s := range r.recv() {
			if s.seq.lt(seg(8)) {
				rtx = append(rtx, s.seq)
			}
		}
		if len(rtx) != 2 || rtx[0] != seg(0) || rtx[1] != seg(3) {
			t.Fatalf("retransmitted %v, want the holes %d and %d", rtx, seg(0), seg(3))
		}
		if st := r.p.Stats(); st.FastRetrans != 1 || st.RetransSegs != 2 {
			t.Errorf("FastRetrans %d RetransSegs %d", st.FastRetrans, st.RetransSegs)
		}
	})
}

func TestReadiness(t *testing.T) {
	const (
		in    = 0x001
		out   = 0x004
		err   = 0x008
		hup   = 0x010
		rdhup = 0x2000
	)
	r := newRawPeer(t, Options{})
	c := r.established()
	var got []uint32
	e := c.e
	e.Queue().Register(&waiter.Entry{Mask: in | out | err | hup | rdhup, Callback: func(ev waiter.Events) { got = append(got, uint32(ev)) }})
	if ev := e.Readiness(); ev != out {
		t.Fatalf("idle connection readiness %#x, want EventOut", ev)
	}
	c.seg(flagACK|flagPSH, []byte("x"))
	if ev := e.Readiness(); ev != in|out {
		t.Fatalf("with data: %#x, want In|Out", ev)
	}
	if len(got) == 0 || got[len(got)-1]&in == 0 {
		t.Fatalf("no EventIn notification: %v", got)
	}
	e.Read(bg, make([]byte, 10))
	c.seg(flagACK|flagFIN, nil)
	if ev := e.Readiness(); ev != in|out|rdhup {
		t.Fatalf("after peer FIN: %#x, want In|Out|RdHup", ev)
	}
	e.Shutdown(ShutWr)
	if ev := e.Readiness(); ev&hup == 0 || ev&out != 0 {
		t.Fatalf("after both sides shut: %#x, want Hup and no Out", ev)
	}
	// A reset makes the error readable.
	r2 := newRawPeer(t, Options{})
	c2 := r2.established()
	r2.send(c2.lport, outSegment{seq: c2.seq, flags: flagRST}, nil)
	if ev := c2.e.Readiness(); ev&(err|hup|in) != err|hup|in {
		t.Fatalf("after RST: %#x, want Err|Hup|In", ev)
	}
	if c2.e.Error() != syscall.ECONNRESET {
		t.Fatal("Error() did not report ECONNRESET")
	}
}

func TestChallengeACKRateLimit(t *testing.T) {
	r := newRawPeer(t, Options{})
	c := r.established()
	for i := 0; i < 3*challengeLimit; i++ {
		r.send(c.lport, outSegment{seq: c.seq + 10, flags: flagRST}, nil)
	}
	if n := len(r.recv()); n != challengeLimit {
		t.Fatalf("%d challenge ACKs in one second, want the limit %d", n, challengeLimit)
	}
	r.advance(time.Second)
	r.send(c.lport, outSegment{seq: c.seq + 10, flags: flagRST}, nil)
	r.expect("challenge ACK in the next second")
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

func TestSynReopensTimeWait(t *testing.T) {
	r := newRawPeer(t, Options{})
	l := r.p.NewEndpoint()
	l.Bind(tcpip.FullAddr{Port: 80})
	l.Listen(4)
	l.SetNonblocking(true)
	// A connection to our port 80 that we close first: we end in TIME-WAIT.
	r.send(80, outSegment{seq: r.iss, flags: flagSYN, wnd: 1000, wndScale: -1}, nil)
	sa := r.expect("SYN-ACK")
	r.send(80, outSegment{seq: r.iss + 1, ack: sa.seq + 1, flags: flagACK, wnd: 1000}, nil)
	c, err := l.Accept(bg)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	fin := r.expect("FIN")
	r.send(80, outSegment{seq: r.iss + 1, ack: fin.seq + 1, flags: flagACK | flagFIN, wnd: 1000}, nil)
	r.recv()
	if c.State() != StateTimeWait {
		t.Fatalf("state %v", c.State())
	}
	// The peer reuses the port with a higher ISN: the listener answers.
	r.send(80, outSegment{seq: r.iss + 100000, flags: flagSYN, wnd: 1000, wndScale: -1}, nil)
	sa2 := r.expect("SYN-ACK to the new incarnation")
	if sa2.flags != flagSYN|flagACK || sa2.ack != r.iss+100001 {
		t.Fatalf("reply %+v", sa2)
	}
	// An old duplicate SYN (lower sequence) does not reopen; it is challenged.
	r2 := newRawPeer(t, Options{})
	c2 := r2.established()
	c2.e.Shutdown(ShutWr)
	fin2 := r2.expect("FIN")
	r2.send(c2.lport, outSegment{seq: c2.seq, ack: fin2.seq + 1, flags: flagACK | flagFIN, wnd: 100}, nil)
	r2.recv()
	r2.send(c2.lport, outSegment{seq: r2.iss, flags: flagSYN, wndScale: -1}, nil)
	if a := r2.expect("challenge"); a.flags != flagACK || c2.e.State() != StateTimeWait {
		t.Fatalf("old SYN in TIME-WAIT: reply %+v state %v", a, c2.e.State())
	}
}
