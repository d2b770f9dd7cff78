package tcp

import (
	"bytes"
	"io"
	"syscall"
	"testing"
	"time"

	"scone/kernel/net/tcpip"
	"scone/kernel/net/waiter"
)

// Tests for the defects of issue 7 that have no better home.

// TestResetJudgedBeforeTrim sends a RST that starts before RCV.NXT but
// whose payload reaches into the window. Trimming would move its sequence
// number onto RCV.NXT; RFC 5961 section 3.2 judges the number it carries:
// a challenge ACK, not a reset (defect 4).
func TestResetJudgedBeforeTrim(t *testing.T) {
	r := newRawPeer(t, Options{})
	c := r.established()
	r.send(c.lport, outSegment{seq: c.seq - 1000, ack: c.ack, flags: flagRST | flagACK}, make([]byte, 1460))
	if s := c.e.State(); s != StateEstablished {
		t.Fatalf("state %v after a RST 1000 bytes before RCV.NXT, want ESTABLISHED", s)
	}
	ack := r.expect("challenge ACK")
	if ack.flags != flagACK || ack.ack != c.seq {
		t.Errorf("reply %+v, want a challenge ACK of %d", ack, c.seq)
	}
	if n := c.e.rcv.len(); n != 0 {
		t.Errorf("%d bytes of the RST's payload queued", n)
	}
}

// TestUrgentOutOfWindowIgnored sends URG on segments the acceptability
// test rejects: no EventPri (defect 9). An acceptable one still raises it.
func TestUrgentOutOfWindowIgnored(t *testing.T) {
	r := newRawPeer(t, Options{})
	c := r.established()
	for _, seq := range []seqnum{c.seq + 1<<30, c.seq - 5000} {
		r.send(c.lport, outSegment{seq: seq, ack: c.ack, flags: flagACK | flagURG, up: 10, wnd: 0xffff}, make([]byte, 20))
		if ev := c.e.Readiness(); ev&waiter.EventPri != 0 {
			t.Fatalf("EventPri after an unacceptable URG segment at %d (RCV.NXT %d)", seq, c.seq)
		}
	}
	c.r.send(c.lport, outSegment{seq: c.seq, ack: c.ack, flags: flagACK | flagURG, up: 10, wnd: 0xffff}, make([]byte, 20))
	if ev := c.e.Readiness(); ev&waiter.EventPri == 0 {
		t.Fatal("no EventPri after an acceptable URG segment")
	}
}

// TestSynAckDataTrimmed sends 10,000 bytes on a SYN-ACK to a connection
// with a 4 KiB receive buffer: only what fits the window is taken and
// acknowledged (defect 3: the data was queued untrimmed past the limit).
func TestSynAckDataTrimmed(t *testing.T) {
	r := newRawPeer(t, Options{ReceiveBuffer: 4096})
	e := r.p.NewEndpoint()
	e.SetNonblocking(true)
	if err := e.Connect(bg, tcpip.FullAddr{Addr: r.addr, Port: r.port}); err != syscall.EINPROGRESS {
		t.Fatal(err)
	}
	syn := r.expect("SYN")
	data := make([]byte, 10000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	r.send(syn.srcPort, outSegment{seq: r.iss, ack: syn.seq + 1, flags: flagSYN | flagACK, wnd: 0xffff, mss: 1460, wndScale: -1}, data)
	ack := r.expect("ACK of the SYN-ACK")
	if ack.ack != r.iss+1+4096 {
		t.Errorf("ACK %d, want %d (the window's worth)", ack.ack, r.iss+1+4096)
	}
	got := make([]byte, len(data))
	n, err := e.Read(bg, got)
	if err != nil || n != 4096 || !bytes.Equal(got[:n], data[:n]) {
		t.Fatalf("Read = %d, %v; want the first 4096 bytes", n, err)
	}
}

// TestConnectAgainAfterFailure retries connect on the endpoint of a
// failed attempt: the second attempt makes all its SYN retransmissions
// from the initial RTO, and a third that succeeds reports no stale error
// (defect 8: retries, backoff and the error survived the failure).
func TestConnectAgainAfterFailure(t *testing.T) {
	const synRetries = 2
	r := newRawPeer(t, Options{SynRetries: synRetries, InitialRTO: time.Second})
	e := r.p.NewEndpoint()
	e.SetNonblocking(true)
	to := tcpip.FullAddr{Addr: r.addr, Port: r.port}
	for attempt := range 2 {
		if err := e.Connect(bg, to); err != syscall.EINPROGRESS {
			t.Fatalf("attempt %d: Connect = %v", attempt, err)
		}
		syns := len(r.recv())
		// Backoff doubles from 1 s: the SYNs go at 0, 1 and 3 s; the
		// attempt fails at 7 s.
		for _, d := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
			r.advance(d)
			syns += len(r.recv())
		}
		if syns != synRetries+1 || e.State() != StateClosed {
			t.Fatalf("attempt %d: %d SYNs, state %v; want %d SYNs, then CLOSED", attempt, syns, e.State(), synRetries+1)
		}
		if attempt == 0 {
			// As Linux: the next connect reports how the attempt ended.
			if err := e.Connect(bg, to); err != syscall.ETIMEDOUT {
				t.Fatalf("Connect after the failure = %v, want ETIMEDOUT", err)
			}
		}
	}
	// The second failure is left unreported: a new attempt would see
	// it first (ETIMEDOUT), then start afresh without it.
	if err := e.Connect(bg, to); err != syscall.ETIMEDOUT {
		t.Fatalf("Connect after the second failure = %v, want ETIMEDOUT", err)
	}
	if err := e.Connect(bg, to); err != syscall.EINPROGRESS {
		t.Fatalf("third Connect = %v", err)
	}
	syn := r.expect("SYN of the third attempt")
	r.send(syn.srcPort, outSegment{seq: r.iss, ack: syn.seq + 1, flags: flagSYN | flagACK, wnd: 0xffff, mss: 1460, wndScale: -1}, nil)
	if e.State() != StateEstablished {
		t.Fatalf("state %v after SYN-ACK", e.State())
	}
	if err := e.Error(); err != nil {
		t.Errorf("Error() = %v after a successful connect, want nil", err)
	}
	if err := e.Connect(bg, to); err != nil {
		t.Errorf("Connect reporting the success = %v, want nil", err)
	}
	if err := e.Connect(bg, to); err != syscall.EISCONN {
		t.Errorf("Connect once connected = %v, want EISCONN", err)
	}
}

// TestSmallReceiveBufferLargeMSS moves 1 MiB over a loopback-sized MTU
// (MSS 65,495) into a 32 KiB receive buffer. The receive-side thresholds
// (window update after a read, ACK every second segment) must count in
// segments that fit the buffer; otherwise every window waits for the
// delayed-ACK timer (defect 7).
func TestSmallReceiveBufferLargeMSS(t *testing.T) {
	n := newSimNet(13)
	n.mtu = 65535 - 20
	pr := newPair(t, n, Options{ReceiveBuffer: 32 << 10})
	start := n.clk.Now()
	sent, got := pump(t, n, pr.client, pr.server, 1<<20, time.Hour)
	if sent != got {
		t.Fatal("data differs")
	}
	elapsed := n.clk.Now().Sub(start)
	delacks := pr.pa.Stats().DelayedACKs + pr.pb.Stats().DelayedACKs
	t.Logf("1 MiB in %v of simulated time (%.1f MB/s), %d delayed ACKs", elapsed, float64(1<<20)/elapsed.Seconds()/1e6, delacks)
	if delacks > 4 || elapsed > 500*time.Millisecond {
		t.Errorf("1 MiB took %v with %d delayed ACKs: windows wait for the delayed-ACK timer", elapsed, delacks)
	}
}

// TestPersistBounded fills a zero window and checks how long the probes
// go on (defect 2: they never stopped, so a silent peer pinned an orphan
// for ever): an orphan gives up after OrphanRetries unanswered probes, an
// attached socket after MaxRetries with ETIMEDOUT, and an attached socket
// whose peer answers every probe keeps probing (RFC 1122 4.2.2.17), while
// an orphan stops once the probes have backed off to MaxRTO.
func TestPersistBounded(t *testing.T) {
	for _, tc := range []struct {
		name       string
		orphan     bool
		answer     bool // the peer acknowledges each probe, window still zero
		wantProbes int  // probes sent before the connection closes; 0: still open after 100
	}{
		{"orphan-silent", true, false, 8},
		{"attached-silent", false, false, 15},
		{"attached-answering", false, true, 0},
		{"orphan-answering", true, true, 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRawPeer(t, Options{})
			e, syn := r.connect(0, 1460, -1)
			seq := r.iss + 1
			if n, err := e.Write(bg, make([]byte, 1000)); n != 1000 || err != nil {
				t.Fatalf("Write = %d, %v", n, err)
			}
			r.expectNone("data into a zero window")
			if tc.orphan {
				e.Close()
				if e.State() != StateFinWait1 {
					t.Fatalf("state %v after Close", e.State())
				}
			}
			probes := 0
			for range 100 {
				r.advance(time.Minute) // MaxRTO: at least one probe each time
				for _, s := range r.recv() {
					if s.flags&flagRST != 0 {
						continue
					}
					probes++
					if tc.answer {
						r.send(syn.srcPort, outSegment{seq: seq, ack: syn.seq + 1, flags: flagACK, wnd: 0}, nil)
					}
				}
				if e.State() == StateClosed {
					break
				}
			}
			switch {
			case tc.wantProbes == 0 && e.State() == StateClosed:
				t.Fatalf("closed after %d answered probes", probes)
			case tc.wantProbes == 0:
				if probes < 100 {
					t.Errorf("%d probes in 100 minutes", probes)
				}
			case e.State() != StateClosed:
				t.Fatalf("still %v after %d probes, want closed after %d", e.State(), probes, tc.wantProbes)
			case probes != tc.wantProbes:
				t.Errorf("%d probes before giving up, want %d", probes, tc.wantProbes)
			}
			if tc.wantProbes != 0 && !tc.orphan {
				if err := e.Error(); err != syscall.ETIMEDOUT {
					t.Errorf("Error() = %v, want ETIMEDOUT", err)
				}
			}
			if tc.wantProbes != 0 && r.p.ConnCount() != 0 {
				t.Errorf("%d connections left in the table", r.p.ConnCount())
			}
		})
	}
}

// TestScaledWindowEdgeNeverMovesBack receives segments of a size that is
// not a multiple of the window scaling unit without reading them: the
// right edge each ACK advertises (ACK + window << scale) never moves
// back (RFC 9293 section 3.8.6.2.2). Rounding the scaled window down
// moved it back by up to one unit.
func TestScaledWindowEdgeNeverMovesBack(t *testing.T) {
	r := newRawPeer(t, Options{ReceiveBuffer: 1 << 20})
	e, syn := r.connect(0xffff, 1460, 7)
	shift := e.rcvShift
	if shift == 0 {
		t.Fatal("no window scaling")
	}
	seq := r.iss + 1
	var last seqnum
	acks := 0
	for i := range 400 {
		r.send(syn.srcPort, outSegment{seq: seq, ack: syn.seq + 1, flags: flagACK, wnd: 0xffff}, make([]byte, 1000))
		seq = seq.add(1000)
		for _, s := range r.recv() {
			edge := s.ack.add(int(s.wnd) << shift)
			if acks > 0 && edge.lt(last) {
				t.Fatalf("segment %d: right edge %d moved back from %d", i, edge, last)
			}
			last = edge
			acks++
		}
	}
	if acks < 100 {
		t.Fatalf("only %d ACKs", acks)
	}
	// Everything sent up to the promised edge is taken.
	if got := e.rcv.len(); got != 400*1000 {
		t.Errorf("%d bytes queued, want %d", got, 400*1000)
	}
}

// TestDuplicateSynNoRTTSample answers a duplicate SYN with a second
// SYN-ACK, then completes the handshake: the ACK cannot say which SYN-ACK
// it answers, so by Karn's rule it gives no RTT sample. Restarting the
// sample at the second SYN-ACK measured 10 ms where the path takes 300.
func TestDuplicateSynNoRTTSample(t *testing.T) {
	r := newRawPeer(t, Options{})
	l := r.p.NewEndpoint()
	l.Bind(tcpip.FullAddr{Port: 80})
	l.Listen(1)
	l.SetNonblocking(true)
	r.send(80, outSegment{seq: r.iss, flags: flagSYN, wnd: 5000, mss: 1200, wndScale: -1}, nil)
	sa := r.expect("SYN-ACK")
	r.advance(290 * time.Millisecond)
	r.send(80, outSegment{seq: r.iss, flags: flagSYN, wnd: 5000, mss: 1200, wndScale: -1}, nil)
	r.expect("SYN-ACK again")
	r.advance(10 * time.Millisecond)
	r.send(80, outSegment{seq: r.iss + 1, ack: sa.seq + 1, flags: flagACK, wnd: 5000}, nil)
	c, err := l.Accept(bg)
	if err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	srtt, rto := c.srtt, c.rto
	c.mu.Unlock()
	if srtt != 0 || rto != time.Second {
		t.Errorf("SRTT %v RTO %v after an ambiguous handshake, want no sample (0, the initial 1s)", srtt, rto)
	}
}

// TestTimeoutInRecoveryKeepsSsthresh enters NewReno fast recovery (ten
// segments out, three duplicate ACKs), takes a partial ACK, then lets the
// RTO fire: ssthresh stays what recovery set (half of ten segments), not
// halved again from the smaller flight.
func TestTimeoutInRecoveryKeepsSsthresh(t *testing.T) {
	r := newRawPeer(t, Options{})
	c := r.established()
	const mss = 1460
	c.e.Write(bg, make([]byte, 10*mss))
	if n := len(r.recv()); n != 10 {
		t.Fatalf("%d segments in the initial window, want 10", n)
	}
	for range 3 {
		c.seg(flagACK, nil)
	}
	c.e.mu.Lock()
	inRec, ss := c.e.inRecovery, c.e.ssthresh
	c.e.mu.Unlock()
	if !inRec || ss != 5*mss {
		t.Fatalf("after 3 duplicate ACKs: recovery %v ssthresh %d, want true %d", inRec, ss, 5*mss)
	}
	c.ack = c.ack.add(4 * mss) // partial: segments 5-10 still out
	c.seg(flagACK, nil)
	r.recv()
	r.advance(time.Minute)
	c.e.mu.Lock()
	timeouts, ss := r.p.Stats().Timeouts, c.e.ssthresh
	c.e.mu.Unlock()
	if timeouts == 0 {
		t.Fatal("no retransmission timeout")
	}
	if ss != 5*mss {
		t.Errorf("ssthresh %d after a timeout in recovery, want %d (one reduction per episode)", ss, 5*mss)
	}
}

// TestTimeoutWithZeroWindowProbes shrinks the window to zero under data
// in flight: each retransmission timeout still sends the first segment,
// which probes the window; it used to count the timeout and send nothing.
func TestTimeoutWithZeroWindowProbes(t *testing.T) {
	r := newRawPeer(t, Options{})
	c := r.established()
	const mss = 1460
	c.e.Write(bg, make([]byte, 3*mss))
	if n := len(r.recv()); n != 3 {
		t.Fatalf("%d segments sent, want 3", n)
	}
	c.r.send(c.lport, outSegment{seq: c.seq, ack: c.ack.add(mss), flags: flagACK, wnd: 0}, nil)
	r.recv()
	for i := range 4 {
		timeouts := r.p.Stats().Timeouts
		r.advance(time.Duration(1<<i) * time.Second)
		probes := 0
		for _, s := range r.recv() {
			if s.seq == c.ack.add(mss) && len(s.data) > 0 {
				probes++
			}
		}
		if r.p.Stats().Timeouts > timeouts && probes == 0 {
			t.Fatalf("timeout %d (%d in all) sent nothing at SND.UNA", i, r.p.Stats().Timeouts)
		}
	}
	if r.p.Stats().Timeouts < 2 {
		t.Fatalf("%d timeouts, want several", r.p.Stats().Timeouts)
	}
}

// TestConnectAgainAfterSoftError fails a first attempt whose SYNs drew an
// ICMP host-unreachable (a soft error, reported when the attempt times
// out), then retries on the same endpoint against a silent peer: the
// second attempt must time out with ETIMEDOUT, not the first attempt's
// EHOSTUNREACH (defect 8: initConn kept the old soft error).
func TestConnectAgainAfterSoftError(t *testing.T) {
	r := newRawPeer(t, Options{SynRetries: 1, InitialRTO: time.Second})
	e := r.p.NewEndpoint()
	e.SetNonblocking(true)
	to := tcpip.FullAddr{Addr: r.addr, Port: r.port}
	for _, tc := range []struct {
		icmp bool
		want error
	}{
		{true, syscall.EHOSTUNREACH},
		{false, syscall.ETIMEDOUT},
	} {
		if err := e.Connect(bg, to); err != syscall.EINPROGRESS {
			t.Fatalf("Connect = %v, want EINPROGRESS", err)
		}
		syn := r.expect("SYN")
		if tc.icmp {
			orig := origHeader(syn.srcPort, r.port, syn.seq)
			r.p.HandleControl(tcpip.ControlMessage{Type: 3, Code: 1, Err: syscall.EHOSTUNREACH}, addrA, r.addr, orig)
		}
		for range 4 {
			r.advance(4 * time.Second)
			r.recv()
		}
		if e.State() != StateClosed {
			t.Fatalf("state %v after the SYN retries, want CLOSED", e.State())
		}
		if err := e.Connect(bg, to); err != tc.want {
			t.Errorf("attempt with ICMP %v: Connect after the failure = %v, want %v", tc.icmp, err, tc.want)
		}
	}
}

// TestZeroWindowRetransmissionsAnswered shrinks the window to zero under
// data in flight and answers every retransmission with an ACK that keeps
// it shut. As Linux's tcp_retransmit_timer ("receiver dastardly shrinks
// window"), those retransmissions are window probes: they do not count
// toward MaxRetries while the peer is heard, so a slow reader is not
// reset; a peer silent for MaxRTO still is.
func TestZeroWindowRetransmissionsAnswered(t *testing.T) {
	for _, answer := range []bool{true, false} {
		r := newRawPeer(t, Options{MaxRetries: 3})
		c := r.established()
		const mss = 1460
		c.e.Write(bg, make([]byte, 3*mss))
		if n := len(r.recv()); n != 3 {
			t.Fatalf("%d segments sent, want 3", n)
		}
		c.r.send(c.lport, outSegment{seq: c.seq, ack: c.ack.add(mss), flags: flagACK, wnd: 0}, nil)
		r.recv()
		for range 20 {
			r.advance(r.p.opts.MaxRTO)
			for range r.recv() {
				if answer {
					c.r.send(c.lport, outSegment{seq: c.seq, ack: c.ack.add(mss), flags: flagACK, wnd: 0}, nil)
				}
			}
			if c.e.State() == StateClosed {
				break
			}
		}
		timeouts := r.p.Stats().Timeouts
		switch {
		case answer && c.e.State() != StateEstablished:
			t.Errorf("answering peer: state %v after %d timeouts (MaxRetries 3), want ESTABLISHED", c.e.State(), timeouts)
		case answer && timeouts < 10:
			t.Errorf("answering peer: %d timeouts, want one a minute", timeouts)
		case !answer && c.e.State() != StateClosed:
			t.Errorf("silent peer: state %v after 20 minutes, want CLOSED", c.e.State())
		case !answer:
			if err := c.e.Error(); err != syscall.ETIMEDOUT {
				t.Errorf("silent peer: Error() = %v, want ETIMEDOUT", err)
			}
		}
	}
}

// TestReadinessAfterShutdownWrite checks poll's view once the sending side
// is shut, as Linux's tcp_poll: POLLOUT holds in every state after
// SHUT_WR (a write fails at once with EPIPE, so poll must not block),
// and a local SHUT_RD reads as POLLIN|POLLRDHUP.
func TestReadinessAfterShutdownWrite(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(c *conn)
		how   int
		state State
		want  waiter.Events
	}{
		{"fin-wait", func(*conn) {}, ShutWr, StateFinWait1, waiter.EventOut},
		{"last-ack", func(c *conn) { c.seg(flagACK|flagFIN, nil) }, ShutWr, StateLastAck,
			waiter.EventOut | waiter.EventIn | waiter.EventRdHup | waiter.EventHup},
		{"shut-rd", func(*conn) {}, ShutRd, StateEstablished, waiter.EventOut | waiter.EventIn | waiter.EventRdHup},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRawPeer(t, Options{})
			c := r.established()
			tc.setup(c)
			if err := c.e.Shutdown(tc.how); err != nil {
				t.Fatal(err)
			}
			if s := c.e.State(); s != tc.state {
				t.Fatalf("state %v, want %v", s, tc.state)
			}
			if ev := c.e.Readiness(); ev != tc.want {
				t.Errorf("readiness %#x, want %#x", ev, tc.want)
			}
		})
	}
}

// TestEphemeralPortsPerDestinationCounter checks the point of RFC 6056's
// algorithm 4 over algorithm 3: connections to other destinations do not
// move the counter one destination sees, so the ports it is given reveal
// nothing about the host's other traffic. (Random counters alone, or one
// counter shared by every destination, pass TestEphemeralPortsUnpredictable.)
func TestEphemeralPortsPerDestinationCounter(t *testing.T) {
	const others = 20
	n := newSimNet(5)
	p := n.addHost(addrA, Options{})
	n.addRaw(addrR)
	connect := func(port uint16) uint16 {
		e := p.NewEndpoint()
		e.SetNonblocking(true)
		if err := e.Connect(bg, tcpip.FullAddr{Addr: addrR, Port: port}); err != syscall.EINPROGRESS {
			t.Fatal(err)
		}
		a, _ := e.LocalAddr()
		return a.Port
	}
	first := connect(7)
	for i := range others {
		connect(uint16(1000 + i))
	}
	next := connect(7)
	const span = ephemeralLast - ephemeralFirst + 1
	gap := (int(next) - int(first) + span) % span
	// Another destination shares this one's counter only if it hashes to
	// the same one of 256 slots: a gap of a few at most.
	if gap == 0 || gap > 5 {
		t.Errorf("ports %d then %d to one destination with %d connections elsewhere between: gap %d, want 1 (own counter)", first, next, others, gap)
	}
}

// TestShutdownReadKeepsData checks shutdown(SHUT_RD) as Linux's: nothing
// is discarded. Queued data stays readable, a read of an empty queue
// returns the end of the stream at once, data arriving later is still
// acknowledged and readable, and once the write side is shut too, new
// data resets the connection (tcp_rcv_state_process in FIN-WAIT with
// RCV_SHUTDOWN).
func TestShutdownReadKeepsData(t *testing.T) {
	r := newRawPeer(t, Options{})
	c := r.established()
	c.seg(flagACK|flagPSH, []byte("abc"))
	r.advance(time.Second) // the delayed ACK
	r.recv()
	if err := c.e.Shutdown(ShutRd); err != nil {
		t.Fatal(err)
	}
	r.expectNone("SHUT_RD sends nothing")
	buf := make([]byte, 10)
	if n, err := c.e.Read(bg, buf); n != 3 || err != nil || string(buf[:n]) != "abc" {
		t.Fatalf("read after SHUT_RD = %d %q %v, want the queued abc", n, buf[:n], err)
	}
	if n, err := c.e.Read(bg, buf); n != 0 || err != io.EOF {
		t.Fatalf("read of an empty queue after SHUT_RD = %d %v, want EOF", n, err)
	}
	c.seg(flagACK|flagPSH, []byte("defg"))
	r.advance(time.Second)
	if segs := r.recv(); len(segs) == 0 || segs[len(segs)-1].ack != c.seq {
		t.Errorf("sent %+v, want an ACK of %d: data after SHUT_RD not acknowledged", segs, c.seq)
	}
	if n, err := c.e.Read(bg, buf); n != 4 || err != nil || string(buf[:n]) != "defg" {
		t.Fatalf("read of data arriving after SHUT_RD = %d %q %v, want defg", n, buf[:n], err)
	}
	if err := c.e.Shutdown(ShutWr); err != nil {
		t.Fatal(err)
	}
	segs := r.recv() // a window update for the read, then the FIN
	fin := segs[len(segs)-1]
	if fin.flags&flagFIN == 0 {
		t.Fatalf("sent %+v, want a FIN", segs)
	}
	c.r.send(c.lport, outSegment{seq: c.seq, ack: fin.seq + 1, flags: flagACK, wnd: 0xffff}, nil)
	if s := c.e.State(); s != StateFinWait2 {
		t.Fatalf("state %v, want FIN-WAIT-2", s)
	}
	c.ack = fin.seq + 1
	c.seg(flagACK|flagPSH, []byte("h"))
	if rst := r.expect("RST for data with both sides shut"); rst.flags&flagRST == 0 {
		t.Errorf("reply %+v, want RST", rst)
	}
	if s := c.e.State(); s != StateClosed {
		t.Errorf("state %v, want CLOSED", s)
	}
	if _, err := c.e.Read(bg, buf); err != syscall.ECONNRESET {
		t.Errorf("read = %v, want ECONNRESET", err)
	}
}

// TestRetransmitNotPastSent: a fast (here early) retransmission of the
// first segment resends what was sent and no more, even when more data
// waits unsent: bytes past SND.MAX sent as a retransmission would be
// acknowledged beyond what the sender counts as sent, and it would refuse
// those ACKs for ever. (With the MSS less the timestamps option, every
// full segment is shorter than the MSS, so this stalled transfers.)
func TestRetransmitNotPastSent(t *testing.T) {
	r := newRawPeer(t, Options{})
	e, syn := r.connect(1000, 1460, -1)
	lport, seq, una := syn.srcPort, r.iss+1, syn.seq+1
	e.Write(bg, make([]byte, 5000))
	if s := r.expect("window-limited segment"); len(s.data) != 1000 {
		t.Fatalf("sent %d bytes into a 1000-byte window", len(s.data))
	}
	// One duplicate ACK is enough with a single segment in flight (RFC 5827).
	r.send(lport, outSegment{seq: seq, ack: una, flags: flagACK, wnd: 1000}, nil)
	rtx := r.expect("early retransmission")
	if rtx.seq != una || len(rtx.data) != 1000 {
		t.Errorf("retransmitted %d bytes at %d, want the 1000 sent at %d", len(rtx.data), rtx.seq, una)
	}
}
