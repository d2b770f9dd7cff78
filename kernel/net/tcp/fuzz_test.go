package tcp

import (
	"encoding/binary"
	"runtime/debug"
	"testing"
	"time"

	"scone/kernel/net/tcpip"
)

// FuzzParse checks that the segment parser never panics and that what it
// returns lies inside its input.
func FuzzParse(f *testing.F) {
	var hb [maxHeaderLen]byte
	o := outSegment{srcPort: 1, dstPort: 2, seq: 3, ack: 4, flags: flagSYN, wnd: 5, mss: 1460, wndScale: 7}
	f.Add(append([]byte(nil), o.build(hb[:], addrA, addrB, nil)...))
	f.Add([]byte{})
	f.Add(make([]byte, 20))
	f.Fuzz(func(t *testing.T, b []byte) {
		var s segment
		if err := s.parse(b); err != nil {
			return
		}
		if len(s.data) > len(b)-headerLen {
			t.Fatalf("data of %d bytes from a %d-byte segment", len(s.data), len(b))
		}
		if s.wndScale > maxWndScale {
			t.Fatalf("window scale %d", s.wndScale)
		}
	})
}

// FuzzSegments feeds arbitrary segments, with valid checksums, to a
// protocol that has a listener on port 80 (with a tiny SYN queue, so SYN
// cookies come into play), an established connection from port 1000 of
// the peer (segments to port 0 are steered to it) and a connection in
// SYN-SENT to port 1001 (steered there from port 1): whatever arrives,
// nothing panics and the connection's invariants hold.
func FuzzSegments(f *testing.F) {
	var hb [maxHeaderLen]byte
	seed := func(o outSegment, data []byte) {
		f.Add(append(append([]byte(nil), o.build(hb[:], addrR, addrA, data)...), data...), uint8(0))
	}
	seed(outSegment{srcPort: 1000, dstPort: 80, seq: 1, flags: flagSYN, wnd: 1000, mss: 1460, wndScale: 3}, nil)
	seed(outSegment{srcPort: 1000, seq: 5001, flags: flagACK, wnd: 1000, wndScale: -1}, []byte("data"))
	seed(outSegment{srcPort: 1000, seq: 5001, flags: flagACK | flagFIN, wnd: 0, wndScale: -1}, nil)
	seed(outSegment{srcPort: 1000, seq: 5001, flags: flagRST, wndScale: -1}, nil)
	f.Fuzz(func(t *testing.T, b []byte, steps uint8) {
		wd := time.AfterFunc(10*time.Second, func() { debug.SetTraceback("all"); panic("FuzzSegments: one input ran 10 s") })
		defer wd.Stop()
		r := newRawPeer(t, Options{MaxSynBacklog: 2}) // a third SYN gets a cookie
		l := r.p.NewEndpoint()
		l.Bind(tcpip.FullAddr{Port: 80})
		l.Listen(4)
		c := r.established()
		c.e.Write(bg, make([]byte, 3000))
		// And one connection left in SYN-SENT, to peer port 1001.
		r.port = 1001
		ss := r.p.NewEndpoint()
		ss.SetNonblocking(true)
		ss.Connect(bg, tcpip.FullAddr{Addr: r.addr, Port: 1001})
		ssPort := r.recv()[0].srcPort
		r.port = 1000
		// Split the input into segments at most 1600 bytes long; point
		// those addressed to port 0 at the connection, and fix checksums.
		for len(b) >= headerLen {
			n := min(len(b), 20+int(b[0])*8)
			seg := append([]byte(nil), b[:n]...)
			b = b[n:]
			switch binary.BigEndian.Uint16(seg[2:]) {
			case 0:
				binary.BigEndian.PutUint16(seg[0:], r.port)
				binary.BigEndian.PutUint16(seg[2:], c.lport)
			case 1:
				binary.BigEndian.PutUint16(seg[0:], 1001)
				binary.BigEndian.PutUint16(seg[2:], ssPort)
			}
			seg[16], seg[17] = 0, 0
			sum := tcpip.Checksum(seg, tcpip.PseudoHeaderSum(r.addr, addrA, tcpip.ProtoTCP, len(seg)))
			binary.BigEndian.PutUint16(seg[16:], ^sum)
			r.p.HandlePacket(tcpip.PacketInfo{Src: r.addr, Dst: addrA}, seg)
			r.recv()
		}
		for i := 0; i < int(steps%8); i++ {
			r.advance(time.Duration(steps) * 100 * time.Millisecond)
			r.recv()
		}
		c.e.Read(bg, make([]byte, 10000))
		e := c.e
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.sndNxt.lt(e.sndUna) || e.sndMax.lt(e.sndNxt) {
			t.Fatalf("send sequence out of order: una %d nxt %d max %d", e.sndUna, e.sndNxt, e.sndMax)
		}
		if e.rcv.len() > e.rcv.limit || e.snd.len() > e.snd.limit {
			t.Fatal("buffer over its limit")
		}
		if r.p.ConnCount() > 1+r.p.opts.MaxSynBacklog {
			t.Fatal("too many connections")
		}
	})
}
