package tcp

import (
	"errors"
	"syscall"
	"testing"
	"time"

	"scone/kernel/net/tcpip"
	"scone/kernel/net/waiter"
)

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
	if ev := e.Readiness(); ev&(hup|out) != hup|out {
		t.Fatalf("after both sides shut: %#x, want Hup|Out (as Linux: a write fails at once)", ev)
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

// TestChallengeACKPerConnection checks RFC 5961 section 7's limit as
// Linux applies it: per connection, one challenge ACK per
// InvalidRateLimit, with no shared count an attacker could read through
// another connection (issue 7, defect 5: one global count of 1,000/s).
func TestChallengeACKPerConnection(t *testing.T) {
	r := newRawPeer(t, Options{})
	c1, c2 := r.established(), r.established()
	for range 10 {
		r.send(c1.lport, outSegment{seq: c1.seq + 10, flags: flagRST}, nil)
	}
	r.expect("one challenge ACK for ten in-window RSTs")
	r.send(c2.lport, outSegment{seq: c2.seq + 10, flags: flagRST}, nil)
	r.expect("the other connection's own challenge ACK")
	r.advance(499 * time.Millisecond)
	r.send(c1.lport, outSegment{seq: c1.seq + 10, flags: flagSYN}, nil)
	r.expectNone("challenge within 500 ms of the last")
	r.advance(time.Millisecond)
	r.send(c1.lport, outSegment{seq: c1.seq + 10, flags: flagRST}, nil)
	r.expect("challenge ACK after 500 ms")
	if st := r.p.Stats(); st.ChallengeACKs != 3 || st.OOWRateLimited != 10 {
		t.Errorf("ChallengeACKs %d OOWRateLimited %d, want 3 and 10", st.ChallengeACKs, st.OOWRateLimited)
	}
}

// TestInvalidSegmentACKRateLimit checks that bare segments outside the
// window draw one ACK per InvalidRateLimit, while out-of-window data is
// always answered (Linux's tcp_oow_rate_limited).
func TestInvalidSegmentACKRateLimit(t *testing.T) {
	r := newRawPeer(t, Options{})
	c := r.established()
	for range 10 {
		r.send(c.lport, outSegment{seq: c.seq + 1<<30, ack: c.ack, flags: flagACK, wnd: 0xffff}, nil)
	}
	r.expect("one ACK for ten bare segments outside the window")
	for range 3 {
		r.send(c.lport, outSegment{seq: c.seq - 100, ack: c.ack, flags: flagACK, wnd: 0xffff}, make([]byte, 50))
	}
	if n := len(r.recv()); n != 3 {
		t.Errorf("%d ACKs for 3 old data segments, want 3", n)
	}
	r.advance(500 * time.Millisecond)
	r.send(c.lport, outSegment{seq: c.seq + 1<<30, ack: c.ack, flags: flagACK, wnd: 0xffff}, nil)
	r.expect("ACK after the rate limit's interval")
	// A bare FIN occupies sequence space: Linux answers every one (its
	// seq != end_seq), even within the interval.
	for range 3 {
		r.send(c.lport, outSegment{seq: c.seq + 1<<30, ack: c.ack, flags: flagACK | flagFIN, wnd: 0xffff}, nil)
	}
	if n := len(r.recv()); n != 3 {
		t.Errorf("%d ACKs for 3 out-of-window FINs, want 3", n)
	}
	if c.e.State() != StateEstablished {
		t.Errorf("state %v after out-of-window FINs", c.e.State())
	}
}

// TestOutOfWindowSynChallenged: a SYN outside the window draws a
// challenge ACK, counted as one, as in Linux's tcp_validate_incoming
// (syn_challenge), not a rate-limited ACK for an invalid segment.
func TestOutOfWindowSynChallenged(t *testing.T) {
	r := newRawPeer(t, Options{})
	c := r.established()
	r.send(c.lport, outSegment{seq: c.seq + 1<<30, flags: flagSYN, wndScale: -1}, nil)
	ack := r.expect("challenge ACK for an out-of-window SYN")
	if ack.flags != flagACK || ack.ack != c.seq {
		t.Errorf("reply %+v, want ACK of %d", ack, c.seq)
	}
	r.send(c.lport, outSegment{seq: c.seq - 1000, flags: flagSYN, wndScale: -1}, nil)
	r.expectNone("second challenge within the interval")
	if st := r.p.Stats(); st.ChallengeACKs != 1 || st.OOWRateLimited != 1 {
		t.Errorf("ChallengeACKs %d OOWRateLimited %d, want 1 and 1", st.ChallengeACKs, st.OOWRateLimited)
	}
}

// TestChallengeACKHostLimit sets a host-wide limit: each second allows a
// random count in [limit/2, 3*limit/2), as Linux's.
func TestChallengeACKHostLimit(t *testing.T) {
	const limit, conns = 20, 40
	r := newRawPeer(t, Options{ChallengeACKLimit: limit})
	var cs []*conn
	for range conns {
		cs = append(cs, r.established())
	}
	counts := map[int]bool{}
	for range 8 {
		for _, c := range cs {
			r.send(c.lport, outSegment{seq: c.seq + 10, flags: flagRST}, nil)
		}
		n := len(r.recv())
		if n < limit/2 || n >= limit/2+limit {
			t.Errorf("%d challenge ACKs in a second, want [%d, %d)", n, limit/2, limit/2+limit)
		}
		counts[n] = true
		r.advance(time.Second)
	}
	if len(counts) == 1 {
		t.Errorf("the same count every second: %v", counts)
	}
}

func TestInfoAndConnections(t *testing.T) {
	r := newRawPeer(t, Options{})
	l := r.p.NewEndpoint()
	l.Bind(tcpip.FullAddr{Port: 80})
	l.Listen(1)
	c := r.established()
	c.e.Write(bg, []byte("hello"))
	in := c.e.Info()
	if in.State != StateEstablished || in.InFlight != 5 || in.SendQueue != 5 || in.SendMSS != 1460 || in.Remote.Port != r.port {
		t.Errorf("Info %+v", in)
	}
	states := map[State]int{}
	for _, ci := range r.p.Connections() {
		states[ci.State]++
	}
	if states[StateListen] != 1 || states[StateEstablished] != 1 || len(states) != 2 {
		t.Errorf("Connections: %v", states)
	}
}

func TestKeepAlive(t *testing.T) {
	r := newRawPeer(t, Options{})
	c := r.established()
	c.e.SetKeepAliveParams(10*time.Second, time.Second, 3)
	c.e.SetKeepAlive(true)
	r.advance(9 * time.Second)
	r.expectNone("probe before the idle time")
	r.advance(time.Second)
	p := r.expect("keep-alive probe")
	if p.seq != c.ack-1 || p.ack != c.seq || len(p.data) != 0 {
		t.Fatalf("probe %+v, want SEQ=SND.NXT-1 ACK=RCV.NXT", p)
	}
	// The peer answers: the connection is idle again for 10 s.
	c.seg(flagACK, nil)
	r.advance(9 * time.Second)
	r.expectNone("probe after an answer")
	// Now the peer is gone: three probes a second apart, then ETIMEDOUT.
	r.advance(3 * time.Second)
	if n := len(r.recv()); n != 3 {
		t.Fatalf("%d probes, want 3", n)
	}
	r.advance(time.Second)
	if rst := r.expect("reset on giving up"); rst.flags&flagRST == 0 || c.e.State() != StateClosed {
		t.Fatalf("after unanswered probes: %+v, state %v", rst, c.e.State())
	}
	if err := c.e.Error(); err != syscall.ETIMEDOUT {
		t.Fatalf("error %v, want ETIMEDOUT", err)
	}
	if st := r.p.Stats(); st.KeepAliveProbes != 4 {
		t.Errorf("KeepAliveProbes %d", st.KeepAliveProbes)
	}
}

func TestUrgentInline(t *testing.T) {
	const pri = 0x002
	r := newRawPeer(t, Options{})
	c := r.established()
	c.seg(flagACK, []byte("ab"))
	// "xy!" is urgent: the pointer marks the byte after "!".
	r.send(c.lport, outSegment{seq: c.seq, ack: c.ack, flags: flagACK | flagURG, wnd: 100, up: 3}, []byte("xy!z"))
	if c.e.Readiness()&pri == 0 {
		t.Fatal("no EventPri after an urgent pointer")
	}
	buf := make([]byte, 4)
	if n, _ := c.e.Read(bg, buf); string(buf[:n]) != "abxy" {
		t.Fatalf("read %q", buf[:n])
	}
	if c.e.Readiness()&pri == 0 {
		t.Fatal("EventPri cleared before the mark was reached")
	}
	if n, _ := c.e.Read(bg, buf); string(buf[:n]) != "!z" {
		t.Fatalf("read %q", buf[:n])
	}
	if c.e.Readiness()&pri != 0 {
		t.Fatal("EventPri still set after reading past the mark")
	}
}
