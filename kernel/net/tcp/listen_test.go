package tcp

import (
	"syscall"
	"testing"

	"scone/kernel/net/tcpip"
)

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

func TestAcceptQueueFull(t *testing.T) {
	r := newRawPeer(t, Options{})
	l := r.p.NewEndpoint()
	l.Bind(tcpip.FullAddr{Port: 80})
	l.Listen(1)
	handshake := func(port uint16) (segment, bool) {
		r.port = port
		r.send(80, outSegment{seq: r.iss, flags: flagSYN, wnd: 1000, wndScale: -1}, nil)
		segs := r.recv()
		if len(segs) != 1 {
			return segment{}, false
		}
		r.send(80, outSegment{seq: r.iss + 1, ack: segs[0].seq + 1, flags: flagACK, wnd: 1000}, nil)
		return segs[0], true
	}
	if _, ok := handshake(1000); !ok {
		t.Fatal("first SYN not answered")
	}
	// The queue (backlog 1) is full: a new SYN is dropped, not answered.
	if _, ok := handshake(1001); ok {
		t.Fatal("SYN answered while the accept queue is full")
	}
	if st := r.p.Stats(); st.ListenDrops != 1 {
		t.Errorf("ListenDrops %d", st.ListenDrops)
	}
	// Closing the listener resets the connection nobody accepted.
	l.Close()
	r.port = 1000
	if rst := r.expect("reset of the unaccepted connection"); rst.flags&flagRST == 0 {
		t.Fatalf("got %+v", rst)
	}
	if r.p.ConnCount() != 0 {
		t.Fatal("connections left after the listener closed")
	}
}

func TestCompletingACKDroppedWhenQueueFull(t *testing.T) {
	r := newRawPeer(t, Options{})
	l := r.p.NewEndpoint()
	l.Bind(tcpip.FullAddr{Port: 80})
	l.Listen(1)
	l.SetNonblocking(true)
	// Two SYNs are answered while the queue is empty...
	var sa [2]segment
	for i := range sa {
		r.port = uint16(1000 + i)
		r.send(80, outSegment{seq: r.iss, flags: flagSYN, wnd: 1000, wndScale: -1}, nil)
		sa[i] = r.expect("SYN-ACK")
	}
	// ...but only one handshake fits: the second ACK is dropped and the
	// connection stays half-open, to be completed by a retransmission.
	for i := range sa {
		r.port = uint16(1000 + i)
		r.send(80, outSegment{seq: r.iss + 1, ack: sa[i].seq + 1, flags: flagACK, wnd: 1000}, nil)
	}
	if st := r.p.Stats(); st.ListenOverflows != 1 {
		t.Fatalf("ListenOverflows %d, want 1", st.ListenOverflows)
	}
	if _, err := l.Accept(bg); err != nil {
		t.Fatal(err)
	}
	r.port = 1001
	r.send(80, outSegment{seq: r.iss + 1, ack: sa[1].seq + 1, flags: flagACK, wnd: 1000}, nil)
	if _, err := l.Accept(bg); err != nil {
		t.Fatalf("second connection after room was made: %v", err)
	}
}

func TestEphemeralPorts(t *testing.T) {
	r := newRawPeer(t, Options{})
	seen := map[uint16]bool{}
	for i := 0; i < 100; i++ {
		e := r.p.NewEndpoint()
		e.SetNonblocking(true)
		if err := e.Connect(bg, tcpip.FullAddr{Addr: r.addr, Port: r.port}); err != syscall.EINPROGRESS {
			t.Fatal(err)
		}
		a, _ := e.LocalAddr()
		if a.Port < ephemeralFirst || a.Port > ephemeralLast || seen[a.Port] || a.Addr != addrA {
			t.Fatalf("connection %d bound to %v", i, a)
		}
		seen[a.Port] = true
	}
	// A listener's port is not handed to a connection, nor bound twice.
	l := r.p.NewEndpoint()
	l.Bind(tcpip.FullAddr{})
	la, _ := l.LocalAddr()
	if la.Port < ephemeralFirst || seen[la.Port] {
		t.Fatalf("Bind(port 0) gave %v", la)
	}
	l.Listen(1)
	b := r.p.NewEndpoint()
	if err := b.Bind(la); err != syscall.EADDRINUSE {
		t.Fatalf("Bind to a listening port = %v", err)
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

func TestCookieWithFullAcceptQueue(t *testing.T) {
	r := newRawPeer(t, Options{MaxSynBacklog: 1})
	l := r.p.NewEndpoint()
	l.Bind(tcpip.FullAddr{Port: 80})
	l.Listen(2)
	// One half-open connection fills the SYN queue; the next SYN gets a cookie.
	r.port = 999
	r.send(80, outSegment{seq: 1, flags: flagSYN, wnd: 1000, wndScale: -1}, nil)
	r.port = 1000
	r.send(80, outSegment{seq: r.iss, flags: flagSYN, wnd: 1000, wndScale: -1}, nil)
	segs := r.recv()
	cookie := segs[len(segs)-1]
	// Meanwhile the accept queue fills up.
	for i := 0; i < 2; i++ {
		r.port = uint16(2000 + i)
		r.send(80, outSegment{seq: r.iss, flags: flagSYN, wnd: 1000, wndScale: -1}, nil)
		for _, s := range r.recv() {
			if s.dstPort == r.port {
				r.send(80, outSegment{seq: r.iss + 1, ack: s.seq + 1, flags: flagACK, wnd: 1000}, nil)
			}
		}
	}
	before := r.p.ConnCount()
	r.port = 1000
	r.send(80, outSegment{seq: r.iss + 1, ack: cookie.seq + 1, flags: flagACK, wnd: 1000}, nil)
	if n := r.p.ConnCount(); n != before {
		t.Fatalf("a cookie ACK with the accept queue full left state behind: %d connections, was %d", n, before)
	}
}

// TestEphemeralPortsUnpredictable checks RFC 6056's aims: the ports of
// connections to different destinations do not follow one counter, two
// hosts (different secrets) do not start at the same port, and ports
// bound without a peer are spread over the range.
func TestEphemeralPortsUnpredictable(t *testing.T) {
	n := newSimNet(3)
	pa, pb := n.addHost(addrA, Options{}), n.addHost(addrB, Options{})
	n.addRaw(addrR)
	connectFrom := func(p *Protocol, port uint16) uint16 {
		e := p.NewEndpoint()
		e.SetNonblocking(true)
		if err := e.Connect(bg, tcpip.FullAddr{Addr: addrR, Port: port}); err != syscall.EINPROGRESS {
			t.Fatal(err)
		}
		a, _ := e.LocalAddr()
		return a.Port
	}
	sequential := 0
	prev := connectFrom(pa, 1)
	for i := range 50 {
		port := connectFrom(pa, uint16(100+i))
		if port == prev+1 {
			sequential++
		}
		prev = port
	}
	if sequential > 5 {
		t.Errorf("%d of 50 connections to different destinations took the next port", sequential)
	}
	// Same destination: the counter moves on, so ports do not repeat.
	a1, a2 := connectFrom(pa, 7), connectFrom(pa, 7)
	if a1 == a2 {
		t.Errorf("two connections to one destination share port %d", a1)
	}
	same := 0
	for i := range 20 {
		if connectFrom(pa, uint16(200+i)) == connectFrom(pb, uint16(200+i)) {
			same++
		}
	}
	if same > 2 {
		t.Errorf("two hosts chose the same port for %d of 20 destinations", same)
	}
	var lo, hi uint16 = 65535, 0
	for range 20 {
		e := pa.NewEndpoint()
		if err := e.Bind(tcpip.FullAddr{}); err != nil {
			t.Fatal(err)
		}
		a, _ := e.LocalAddr()
		lo, hi = min(lo, a.Port), max(hi, a.Port)
	}
	if hi-lo < (ephemeralLast-ephemeralFirst)/4 {
		t.Errorf("20 bound ports all within [%d, %d]", lo, hi)
	}
}
