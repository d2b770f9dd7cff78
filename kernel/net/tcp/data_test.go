package tcp

import (
	"syscall"
	"testing"
	"time"

	"scone/kernel/net/tcpip"
)

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
	// A FIN needs no room: it is taken even into a zero window.
	r.recv()
	c.seq = r.iss + 1 + 8192
	c.seg(flagACK, make([]byte, 8192))
	r.send(c.lport, outSegment{seq: r.iss + 1 + 2*8192, ack: c.ack, flags: flagACK | flagFIN, wnd: 100}, nil)
	if e.State() != StateCloseWait {
		t.Fatalf("FIN into a zero window: state %v, want CLOSE-WAIT", e.State())
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

func TestSACK(t *testing.T) {
	c := sackConn(t, 0)
	r, e := c.r, c.e
	if !e.Info().SACK {
		t.Fatal("SACK not in use after both sides offered it")
	}

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
		// A duplicate is reported with a D-SACK block (RFC 2883).
		c.seq = base + 100
		c.seg(flagACK, make([]byte, 100))
		a = r.expect("ACK of a duplicate")
		if a.ack != base+400 || a.nsack != 1 || a.sack[0] != (seqRange{base + 100, base + 200}) {
			t.Fatalf("duplicate: ack %d SACK %v, want a D-SACK block [%d,%d)", a.ack, a.sack[:a.nsack], base+100, base+200)
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
		sackACK := func(blocks ...seqRange) { c.sackACK(una, blocks...) }
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

func TestICMP(t *testing.T) {
	t.Run("port-unreachable-in-syn-sent", func(t *testing.T) {
		r := newRawPeer(t, Options{})
		e := r.p.NewEndpoint()
		e.SetNonblocking(true)
		e.Connect(bg, tcpip.FullAddr{Addr: r.addr, Port: r.port})
		syn := r.recv()[0]
		orig := origHeader(syn.srcPort, r.port, syn.seq)
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
		orig := origHeader(c.lport, r.port, seg.seq)
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

// sackConn is an established connection with a peer that offered SACK and
// an MSS of 1000, with an RTT sample of rtt.
func sackConn(t *testing.T, rtt time.Duration) *conn {
	r := newRawPeer(t, Options{})
	e := r.p.NewEndpoint()
	e.SetNonblocking(true)
	e.SetNoDelay(true)
	e.Connect(bg, tcpip.FullAddr{Addr: r.addr, Port: r.port})
	syn := r.expect("SYN")
	r.advance(rtt)
	r.send(syn.srcPort, outSegment{seq: r.iss, ack: syn.seq + 1, flags: flagSYN | flagACK, wnd: 0xffff, mss: 1000, wndScale: 0, sackOK: true}, nil)
	r.recv()
	return &conn{r: r, e: e, lport: syn.srcPort, seq: r.iss + 1, ack: syn.seq + 1}
}

// sackACK sends an ACK of ack carrying SACK blocks.
func (c *conn) sackACK(ack seqnum, blocks ...seqRange) {
	r := c.r
	o := outSegment{srcPort: r.port, dstPort: c.lport, seq: c.seq, ack: ack, flags: flagACK, wnd: 0xffff, wndScale: -1, sack: blocks}
	var hb [maxHeaderLen]byte
	h := o.build(hb[:], r.addr, addrA, nil)
	r.p.HandlePacket(tcpip.PacketInfo{Src: r.addr, Dst: addrA}, append([]byte(nil), h...))
}

func TestTailLossProbe(t *testing.T) {
	c := sackConn(t, 10*time.Millisecond)
	r := c.r
	c.e.Write(bg, make([]byte, 3000))
	if n := len(r.recv()); n != 3 {
		t.Fatalf("sent %d segments", n)
	}
	// The whole tail is lost: no ACK comes. The probe goes out after
	// 2*SRTT (+ nothing for the delayed-ACK allowance: 3 segments in
	// flight), long before the 200 ms RTO.
	d, _ := r.n.clk.Next()
	if d != 20*time.Millisecond {
		t.Fatalf("loss timer in %v, want the probe timeout 2*SRTT = 20ms", d)
	}
	r.advance(d)
	p := r.expect("tail loss probe")
	if p.seq != c.ack+2000 || len(p.data) != 1000 {
		t.Fatalf("probe %+v, want the last segment again", p)
	}
	// Its SACK reveals the two holes; recovery repairs them without an RTO.
	c.sackACK(c.ack, seqRange{c.ack + 2000, c.ack + 3000})
	var rtx []seqnum
	for _, s := range r.recv() {
		rtx = append(rtx, s.seq)
	}
	if len(rtx) == 0 || rtx[0] != c.ack {
		t.Fatalf("after the probe's SACK retransmitted %v, want the first hole %d", rtx, c.ack)
	}
	if st := r.p.Stats(); st.TailLossProbes != 1 || st.Timeouts != 0 {
		t.Errorf("TailLossProbes %d Timeouts %d", st.TailLossProbes, st.Timeouts)
	}
}

func TestLostRetransmissionDetected(t *testing.T) {
	c := sackConn(t, 10*time.Millisecond)
	r := c.r
	c.e.Write(bg, make([]byte, 8000))
	r.recv()
	una := c.ack
	seg := func(i int) seqnum { return una.add(1000 * i) }
	// Segment 0 is lost; SACKs for 1..3 start recovery, which resends it.
	c.sackACK(una, seqRange{seg(1), seg(2)})
	c.sackACK(una, seqRange{seg(1), seg(3)})
	c.sackACK(una, seqRange{seg(1), seg(4)})
	if s := r.recv(); len(s) == 0 || s[0].seq != una {
		t.Fatalf("fast retransmit %+v", s)
	}
	// The retransmission is lost too. No more ACKs come; instead of the
	// 200 ms RTO, a timer a round trip and some after the retransmission
	// resends it.
	start := r.n.clk.Now()
	for i := 0; i < 10; i++ {
		d, _ := r.n.clk.Next()
		r.advance(d)
		if segs := r.recv(); len(segs) > 0 {
			if segs[0].seq != una {
				t.Fatalf("resent %d, want %d", segs[0].seq, una)
			}
			break
		}
	}
	if waited := r.n.clk.Now().Sub(start); waited >= 200*time.Millisecond {
		t.Fatalf("lost retransmission resent after %v, no sooner than the RTO", waited)
	}
	if st := r.p.Stats(); st.LostRetrans != 1 || st.Timeouts != 0 {
		t.Errorf("LostRetrans %d Timeouts %d", st.LostRetrans, st.Timeouts)
	}
}

func TestPathMTUDiscovery(t *testing.T) {
	r := newRawPeer(t, Options{})
	c := r.established()
	c.e.SetNoDelay(true)
	c.e.Write(bg, make([]byte, 3000))
	segs := r.recv()
	if len(segs[0].data) != 1460 {
		t.Fatalf("first segment %d bytes", len(segs[0].data))
	}
	s := segs[0].seq
	orig := origHeader(c.lport, r.port, s)
	r.p.HandleControl(tcpip.ControlMessage{Type: 3, Code: 4, Err: syscall.EMSGSIZE, MTU: 1000}, addrA, r.addr, orig)
	// The whole datagram fits the MTU: 20 bytes of IP header, 20 of TCP,
	// 960 of data (issue 7, defect 6: it was 980 bytes of data).
	segs = r.recv()
	if len(segs) == 0 || segs[0].seq != s || len(segs[0].data) != 1000-20-20 {
		t.Fatalf("after fragmentation-needed (MTU 1000): %+v, want a resend of 960 bytes from %d", segs, s)
	}
}
