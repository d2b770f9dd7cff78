package tcp

import (
	"context"
	"syscall"
	"testing"
	"time"

	"scone/kernel/net/tcpip"
)

// tsConn opens a connection from the protocol to the raw peer, the
// peer's SYN-ACK carrying a timestamps option with TSval peerTS when ts
// is set.
func tsConn(t *testing.T, r *rawPeer, ts bool, peerTS uint32) (*conn, segment) {
	t.Helper()
	e := r.p.NewEndpoint()
	e.SetNonblocking(true)
	if err := e.Connect(context.Background(), tcpip.FullAddr{Addr: r.addr, Port: r.port}); err != syscall.EINPROGRESS {
		t.Fatalf("Connect = %v", err)
	}
	syn := r.expect("SYN")
	r.send(syn.srcPort, outSegment{seq: r.iss, ack: syn.seq + 1, flags: flagSYN | flagACK, wnd: 0xffff, mss: 1460, wndScale: -1,
		ts: ts, tsVal: peerTS, tsEcr: syn.tsVal}, nil)
	r.expect("ACK of SYN-ACK")
	return &conn{r: r, e: e, lport: syn.srcPort, seq: r.iss + 1, ack: syn.seq + 1}, syn
}

// TestTimestampsNegotiated: a SYN offers timestamps (TSecr 0); a SYN-ACK
// that accepts makes every later segment carry one echoing the peer's
// latest in-sequence TSval, and the option costs the data its 12 bytes;
// a SYN-ACK without one, or DisableTimestamps, means none (RFC 7323
// section 3.2).
func TestTimestampsNegotiated(t *testing.T) {
	r := newRawPeer(t, Options{})
	c, syn := tsConn(t, r, true, 7000)
	if !syn.ts || syn.tsEcr != 0 {
		t.Errorf("SYN timestamps %v TSecr %d, want offered with TSecr 0", syn.ts, syn.tsEcr)
	}
	if !c.e.Info().Timestamps {
		t.Error("Info.Timestamps false after a SYN-ACK with timestamps")
	}
	r.advance(5 * time.Millisecond)
	c.e.Write(bg, make([]byte, 3000))
	segs := r.recv()
	if len(segs) != 2 { // and Nagle holds the last 104 bytes
		t.Fatalf("sent %d segments for 3000 bytes, want 2 full ones", len(segs))
	}
	for i, s := range segs {
		if !s.ts || s.tsEcr != 7000 || int32(s.tsVal-syn.tsVal) < 5 {
			t.Errorf("segment %d: ts %v TSval %d TSecr %d; want TSecr 7000 and TSval 5 ms past the SYN's %d", i, s.ts, s.tsVal, s.tsEcr, syn.tsVal)
		}
	}
	if len(segs[0].data) != 1460-tsOptLen {
		t.Errorf("full segment carries %d bytes, want the MSS less the option, %d", len(segs[0].data), 1460-tsOptLen)
	}
	// The peer's next in-sequence TSval is echoed from then on.
	r.send(c.lport, outSegment{seq: c.seq, ack: segs[1].seq.add(len(segs[1].data)), flags: flagACK, wnd: 0xffff, ts: true, tsVal: 7010}, []byte("x"))
	r.advance(time.Second)
	if ack := r.recv(); len(ack) == 0 || ack[len(ack)-1].tsEcr != 7010 {
		t.Errorf("after TSval 7010: %+v, want TSecr 7010", ack)
	}

	r2 := newRawPeer(t, Options{})
	c2, _ := tsConn(t, r2, false, 0)
	c2.e.Write(bg, []byte("hi"))
	if s := r2.expect("data"); s.ts {
		t.Error("timestamps sent although the SYN-ACK declined them")
	}
	r3 := newRawPeer(t, Options{DisableTimestamps: true})
	_, syn3 := tsConn(t, r3, true, 1)
	if syn3.ts {
		t.Error("SYN offered timestamps with DisableTimestamps")
	}
}

// TestTimestampsPassive: a SYN with timestamps gets a SYN-ACK echoing its
// TSval.
func TestTimestampsPassive(t *testing.T) {
	r := newRawPeer(t, Options{})
	l := r.p.NewEndpoint()
	l.Bind(tcpip.FullAddr{Port: 80})
	l.Listen(1)
	r.send(80, outSegment{seq: r.iss, flags: flagSYN, wnd: 0xffff, mss: 1460, wndScale: -1, ts: true, tsVal: 4242}, nil)
	sa := r.expect("SYN-ACK")
	if !sa.ts || sa.tsEcr != 4242 {
		t.Errorf("SYN-ACK timestamps %v TSecr %d, want the SYN's 4242 echoed", sa.ts, sa.tsEcr)
	}
}

// TestPAWS: with timestamps in use, a segment whose TSval is older than
// TS.Recent is dropped as an old duplicate and answered with an ACK
// (RFC 7323 section 5.3), while a RST is judged by its sequence number
// alone; an out-of-order segment does not move TS.Recent (section 4.3).
func TestPAWS(t *testing.T) {
	r := newRawPeer(t, Options{})
	c, _ := tsConn(t, r, true, 10000)
	seg := func(seq seqnum, flags uint8, ts uint32, data string) {
		r.send(c.lport, outSegment{seq: seq, ack: c.ack, flags: flags, wnd: 0xffff, ts: true, tsVal: ts}, []byte(data))
	}
	seg(c.seq, flagACK, 10005, "abc")
	c.seq += 3
	r.advance(time.Second)
	r.recv()
	// An out-of-order segment with a much newer TSval leaves TS.Recent.
	seg(c.seq+100, flagACK, 90000, "late")
	r.recv()
	// An in-window segment from before TS.Recent: dropped, answered.
	seg(c.seq, flagACK, 10000, "old")
	if ack := r.expect("ACK for a PAWS reject"); ack.ack != c.seq || ack.tsEcr != 10005 {
		t.Errorf("reply %+v, want an ACK of %d echoing 10005", ack, c.seq)
	}
	if n := c.e.Buffered(); n != 3 {
		t.Errorf("%d bytes queued, want the 3 before the old duplicate", n)
	}
	if st := r.p.Stats(); st.PAWSRejected != 1 {
		t.Errorf("PAWSRejected %d, want 1", st.PAWSRejected)
	}
	// Newer than TS.Recent (but not the 90000 of the out-of-order one): taken.
	seg(c.seq, flagACK, 10006, "new")
	c.seq += 3
	if n := c.e.Buffered(); n != 6 {
		t.Errorf("%d bytes queued, want 6", n)
	}
	// A RST with an old TSval still resets.
	seg(c.seq, flagRST, 1, "")
	if s := c.e.State(); s != StateClosed {
		t.Errorf("state %v after an in-sequence RST with an old TSval, want CLOSED", s)
	}
}
