package tcp

import (
	"runtime"
	"testing"
	"time"

	"scone/kernel/net/tcpip"
)

// TestSynFlood sends SYNs from many spoofed sources that never complete
// the handshake, and checks that the listener holds at most MaxSynBacklog
// half-open connections, that memory stays bounded, and that a real client
// gets through: during the flood with SYN cookies, after it without.
func TestSynFlood(t *testing.T) {
	const (
		synQueue = 64
		syns     = 20000
	)
	for _, cookies := range []bool{true, false} {
		name := "cookies"
		if !cookies {
			name = "no-cookies"
		}
		t.Run(name, func(t *testing.T) {
			n := newSimNet(3)
			opts := Options{MaxSynBacklog: synQueue, SynRetries: 2, DisableSynCookies: !cookies}
			pb := n.addHost(addrB, opts)
			spoofed := n.addRaw(addrR) // SYN-ACKs to the spoofed sources vanish here
			l := pb.NewEndpoint()
			l.Bind(tcpip.FullAddr{Port: 80})
			l.Listen(16)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			var hb [maxHeaderLen]byte
			for i := 0; i < syns; i++ {
				src := tcpip.AddrFrom4(172, 16+byte(i>>16), byte(i>>8), byte(i))
				n.mu.Lock()
				n.raw[src] = spoofed
				n.mu.Unlock()
				o := outSegment{srcPort: uint16(1024 + i%60000), dstPort: 80, seq: seqnum(i * 7919), flags: flagSYN, wnd: 1000, mss: 1460, wndScale: -1}
				h := o.build(hb[:], src, addrB, nil)
				pb.HandlePacket(tcpip.PacketInfo{Src: src, Dst: addrB}, h)
				if c := pb.ConnCount(); c > synQueue {
					t.Fatalf("after %d SYNs: %d half-open connections, limit %d", i+1, c, synQueue)
				}
			}
			n.mu.Lock()
			*spoofed = nil // drop the captured SYN-ACKs before measuring
			n.mu.Unlock()
			runtime.GC()
			runtime.ReadMemStats(&after)
			grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
			if grown > 4<<20 {
				t.Errorf("heap grew by %d bytes under a SYN flood", grown)
			}
			st := pb.Stats()
			if cookies && st.SynCookiesSent != syns-synQueue || !cookies && st.ListenDrops != syns-synQueue {
				t.Errorf("cookies sent %d, SYNs dropped %d; want %d of one", st.SynCookiesSent, st.ListenDrops, syns-synQueue)
			}
			t.Logf("%d SYNs: %d half-open kept, heap grew %d KiB", syns, pb.ConnCount(), grown>>10)

			if !cookies {
				// The half-open connections give up (SYN-ACK retries), freeing the queue.
				n.clk.Advance(time.Hour)
				if k := pb.ConnCount(); k != 0 {
					t.Fatalf("%d half-open connections after their SYN-ACKs timed out", k)
				}
			}
			// With cookies the SYN queue is still full, yet the client gets in at once.
			pa := n.addHost(addrA, opts)
			c := pa.NewEndpoint()
			c.SetNonblocking(true)
			c.Connect(bg, tcpip.FullAddr{Addr: addrB, Port: 80})
			l.SetNonblocking(true)
			var s *Endpoint
			if !n.runUntil(time.Second, func() bool {
				if s == nil {
					s, _ = l.Accept(bg)
				}
				return s != nil && c.State() == StateEstablished
			}) {
				t.Fatalf("legitimate client: %v %v; accepted %v", c.State(), c.Error(), s != nil)
			}
			if cookies && pb.Stats().SynCookiesRecv != 1 {
				t.Error("SynCookiesRecv not counted")
			}
		})
	}
}

func TestSynCookie(t *testing.T) {
	r := newRawPeer(t, Options{MaxSynBacklog: 1})
	l := r.p.NewEndpoint()
	l.Bind(tcpip.FullAddr{Port: 80})
	l.Listen(4)
	l.SetNonblocking(true)
	// Fill the SYN queue from another port.
	r.port = 999
	r.send(80, outSegment{seq: 1, flags: flagSYN, wnd: 1000, wndScale: -1}, nil)
	r.recv()
	r.port = 1000
	r.send(80, outSegment{seq: r.iss, flags: flagSYN, wnd: 1000, mss: 1300, wndScale: 6, sackOK: true}, nil)
	sa := r.expect("cookie SYN-ACK")
	if sa.flags != flagSYN|flagACK || sa.ack != r.iss+1 || !sa.sackOK || sa.wndScale != 5 {
		t.Fatalf("cookie SYN-ACK %+v", sa)
	}
	if r.p.ConnCount() != 1 {
		t.Fatal("a cookie SYN-ACK kept state")
	}
	// A forged cookie is refused with a reset.
	r.send(80, outSegment{seq: r.iss + 1, ack: sa.seq + 2, flags: flagACK, wnd: 100}, []byte("x"))
	if rst := r.expect("reset of a bad cookie"); rst.flags != flagRST {
		t.Fatalf("reply %+v", rst)
	}
	// The right one makes an established connection with the options.
	r.send(80, outSegment{seq: r.iss + 1, ack: sa.seq + 1, flags: flagACK, wnd: 100}, []byte("hello"))
	c, err := l.Accept(bg)
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	c.mu.Lock()
	mss, shift, sack, wnd := c.sndMSS, c.sndShift, c.sackOK, c.sndWnd
	c.mu.Unlock()
	if mss != 1220 || shift != 6 || !sack || wnd != 100<<6 {
		t.Errorf("restored MSS %d shift %d SACK %v window %d; want 1220 6 true %d", mss, shift, sack, wnd, 100<<6)
	}
	buf := make([]byte, 10)
	if n, _ := c.Read(bg, buf); string(buf[:n]) != "hello" {
		t.Fatalf("data on the cookie ACK: %q", buf[:n])
	}
	// Cookies expire.
	r.advance(cookieTicks * cookieTick)
	r.port = 998 // the first filler has given up by now: fill the queue again
	r.send(80, outSegment{seq: 1, flags: flagSYN, wnd: 1000, wndScale: -1}, nil)
	r.recv()
	r.port = 1001
	r.send(80, outSegment{seq: r.iss, flags: flagSYN, wnd: 1000, wndScale: -1}, nil)
	sa = r.expect("cookie SYN-ACK")
	r.advance(cookieTicks*cookieTick + time.Second)
	r.send(80, outSegment{seq: r.iss + 1, ack: sa.seq + 1, flags: flagACK, wnd: 100}, nil)
	var replies []segment
	for _, s := range r.recv() {
		if s.dstPort == 1001 { // not the filler's SYN-ACK retransmissions
			replies = append(replies, s)
		}
	}
	if len(replies) != 1 || replies[0].flags != flagRST {
		t.Fatalf("stale cookie replies %+v, want one reset", replies)
	}
}
