package tcp

import (
	"context"
	"syscall"
	"testing"
	"time"

	"scone/kernel/net/tcpip"
)

// rawPeer plays the remote side by hand: it builds segments and feeds them
// to the protocol under test, and captures what the protocol sends back.
type rawPeer struct {
	t    testing.TB
	n    *simNet
	p    *Protocol // the TCP under test, at addrA
	addr tcpip.Addr
	port uint16
	out  *[][]byte
	iss  seqnum // the peer's initial sequence number
}

var addrR = tcpip.AddrFrom4(10, 0, 0, 9)

func newRawPeer(t testing.TB, opts Options) *rawPeer {
	n := newSimNet(1)
	r := &rawPeer{t: t, n: n, addr: addrR, port: 1000, iss: 5000}
	r.out = n.addRaw(addrR)
	r.p = n.addHost(addrA, opts)
	return r
}

// send delivers a segment from the peer to local port lport.
func (r *rawPeer) send(lport uint16, o outSegment, data []byte) bool {
	o.srcPort, o.dstPort = r.port, lport
	if o.wndScale == 0 && o.flags&flagSYN == 0 {
		o.wndScale = -1
	}
	var hb [maxHeaderLen]byte
	h := o.build(hb[:], r.addr, addrA, data)
	b := append(append([]byte(nil), h...), data...)
	checkWire(r.addr, addrA, b)
	return r.p.HandlePacket(tcpip.PacketInfo{Src: r.addr, Dst: addrA, TTL: 64}, b)
}

// recv returns and forgets the segments the protocol has sent to the peer.
func (r *rawPeer) recv() []segment {
	r.n.mu.Lock()
	bufs := *r.out
	*r.out = nil
	r.n.mu.Unlock()
	var segs []segment
	for _, b := range bufs {
		var s segment
		if err := s.parse(b); err != nil {
			r.t.Fatalf("protocol sent a malformed segment: %v", err)
		}
		if !checksumOK(addrA, r.addr, b) {
			r.t.Fatal("protocol sent a segment with a bad checksum")
		}
		segs = append(segs, s)
	}
	return segs
}

// expect returns the single segment sent since the last recv.
func (r *rawPeer) expect(what string) segment {
	r.t.Helper()
	segs := r.recv()
	if len(segs) != 1 {
		r.t.Fatalf("%s: protocol sent %d segments, want 1: %+v", what, len(segs), segs)
	}
	return segs[0]
}

// expectNone fails if the protocol sent anything.
func (r *rawPeer) expectNone(what string) {
	r.t.Helper()
	if segs := r.recv(); len(segs) != 0 {
		r.t.Fatalf("%s: protocol sent %d segments, want none: %+v", what, len(segs), segs)
	}
}

// advance moves fake time forward by d, firing timers.
func (r *rawPeer) advance(d time.Duration) { r.n.clk.Advance(d) }

// connect makes an active open from the protocol to the peer and completes
// the handshake with a SYN-ACK carrying the given window and options.
func (r *rawPeer) connect(wnd uint16, mss uint16, ws int) (*Endpoint, segment) {
	r.t.Helper()
	e := r.p.NewEndpoint()
	e.SetNonblocking(true)
	if err := e.Connect(context.Background(), tcpip.FullAddr{Addr: r.addr, Port: r.port}); err != syscall.EINPROGRESS {
		r.t.Fatalf("Connect = %v", err)
	}
	syn := r.expect("SYN")
	if syn.flags != flagSYN {
		r.t.Fatalf("first segment flags %#x, want SYN", syn.flags)
	}
	r.send(syn.srcPort, outSegment{seq: r.iss, ack: syn.seq + 1, flags: flagSYN | flagACK, wnd: wnd, mss: mss, wndScale: ws}, nil)
	ack := r.expect("ACK of SYN-ACK")
	if ack.flags != flagACK || ack.ack != r.iss+1 || ack.seq != syn.seq+1 {
		r.t.Fatalf("handshake ACK = %+v", ack)
	}
	if e.State() != StateEstablished {
		r.t.Fatalf("state %v after handshake", e.State())
	}
	return e, syn
}

// conn is an established connection between the protocol and the peer,
// with the sequence numbers each side will use next.
type conn struct {
	r        *rawPeer
	e        *Endpoint
	lport    uint16
	seq, ack seqnum // the peer's next sequence number, and what it acknowledges
}

func (r *rawPeer) established() *conn {
	e, syn := r.connect(0xffff, 1460, -1)
	return &conn{r: r, e: e, lport: syn.srcPort, seq: r.iss + 1, ack: syn.seq + 1}
}

// seg sends a segment on the connection with the current numbers.
func (c *conn) seg(flags uint8, data []byte) {
	c.r.send(c.lport, outSegment{seq: c.seq, ack: c.ack, flags: flags, wnd: 0xffff}, data)
	c.seq = c.seq.add(len(data))
	if flags&flagFIN != 0 {
		c.seq++
	}
}

// origHeader is the start of a TCP header from lport to rport with
// sequence number seq, as an ICMP error quotes it.
func origHeader(lport, rport uint16, seq seqnum) []byte {
	return []byte{byte(lport >> 8), byte(lport), byte(rport >> 8), byte(rport),
		byte(seq >> 24), byte(seq >> 16), byte(seq >> 8), byte(seq)}
}
