package icmp

import (
	"bytes"
	"syscall"
	"testing"

	"scone/kernel/net/clock"
	"scone/kernel/net/ipv4"
	"scone/kernel/net/tcpip"
)

var (
	us   = tcpip.AddrFrom4(10, 0, 0, 1)
	them = tcpip.AddrFrom4(10, 0, 0, 2)
)

// fakeNet records what ICMP sends.
type fakeNet struct{ sent [][]byte }

func (n *fakeNet) Route(src, dst tcpip.Addr) (tcpip.Route, error) {
	return tcpip.Route{Src: us, Dst: dst, NextHop: dst, MTU: 1480}, nil
}
func (n *fakeNet) WritePacket(r tcpip.Route, proto uint8, hdr, payload []byte) error {
	n.sent = append(n.sent, append(bytes.Clone(hdr), payload...))
	return nil
}
func (n *fakeNet) IsLocal(a tcpip.Addr) bool { return a == us }

type fakeTransport struct {
	msgs []tcpip.ControlMessage
	orig [][]byte
}

func (t *fakeTransport) HandlePacket(tcpip.PacketInfo, []byte) bool { return true }
func (t *fakeTransport) HandleControl(m tcpip.ControlMessage, src, dst tcpip.Addr, orig []byte) {
	t.msgs = append(t.msgs, m)
	t.orig = append(t.orig, bytes.Clone(orig))
}

func message(h Header, body []byte) []byte {
	b := make([]byte, HeaderLen+len(body))
	Encode(b, h, body)
	copy(b[HeaderLen:], body)
	return b
}

func TestEchoReply(t *testing.T) {
	n := &fakeNet{}
	p := New(n, clock.NewFake(), func(uint8) tcpip.TransportHandler { return nil })
	req := message(Header{Type: TypeEchoRequest, Rest: [4]byte{0, 7, 0, 1}}, []byte("ping data"))
	p.HandlePacket(tcpip.PacketInfo{Src: them, Dst: us}, req)
	if len(n.sent) != 1 {
		t.Fatalf("sent %d messages", len(n.sent))
	}
	h, body, err := Parse(n.sent[0])
	if err != nil || h.Type != TypeEchoReply || h.ID() != 7 || h.Seq() != 1 || string(body) != "ping data" {
		t.Fatalf("reply %+v %q %v", h, body, err)
	}
	// Broadcast pings and corrupted ones are not answered.
	p.HandlePacket(tcpip.PacketInfo{Src: them, Dst: tcpip.BroadcastAddr, Broadcast: true}, req)
	bad := bytes.Clone(req)
	bad[10] ^= 1
	p.HandlePacket(tcpip.PacketInfo{Src: them, Dst: us}, bad)
	if len(n.sent) != 1 || p.Stats.InCsumErrors.Value() != 1 {
		t.Fatalf("sent %d, InCsumErrors %d", len(n.sent), p.Stats.InCsumErrors.Value())
	}
}

// offending builds the IP datagram we "sent" that an error quotes.
func offending(proto uint8, transport []byte) []byte {
	b := make([]byte, ipv4.HeaderLen+len(transport))
	ipv4.Encode(b, &ipv4.Header{TotalLen: len(b), TTL: 64, Protocol: proto, Src: us, Dst: them})
	copy(b[ipv4.HeaderLen:], transport)
	return b
}

func TestErrorsReachTransport(t *testing.T) {
	ft := &fakeTransport{}
	p := New(&fakeNet{}, clock.NewFake(), func(proto uint8) tcpip.TransportHandler {
		if proto == tcpip.ProtoUDP {
			return ft
		}
		return nil
	})
	udpHdr := []byte{0x30, 0x39, 0, 53, 0, 8, 0, 0}
	var mtu [4]byte
	mtu[3] = 0xdc
	mtu[2] = 0x05
	for _, tc := range []struct {
		h    Header
		want syscall.Errno
	}{
		{Header{Type: TypeDestUnreach, Code: CodePortUnreach}, syscall.ECONNREFUSED},
		{Header{Type: TypeDestUnreach, Code: CodeHostUnreach}, syscall.EHOSTUNREACH},
		{Header{Type: TypeDestUnreach, Code: CodeNetUnreach}, syscall.ENETUNREACH},
		{Header{Type: TypeDestUnreach, Code: CodeFragNeeded, Rest: mtu}, syscall.EMSGSIZE},
		{Header{Type: TypeTimeExceeded}, syscall.EHOSTUNREACH},
	} {
		ft.msgs = nil
		p.HandlePacket(tcpip.PacketInfo{Src: them, Dst: us}, message(tc.h, offending(tcpip.ProtoUDP, udpHdr)))
		if len(ft.msgs) != 1 || ft.msgs[0].Err != tc.want || !bytes.Equal(ft.orig[len(ft.orig)-1], udpHdr) {
			t.Errorf("type %d code %d: delivered %+v", tc.h.Type, tc.h.Code, ft.msgs)
		}
		if tc.h.Code == CodeFragNeeded && ft.msgs[0].MTU != 1500 {
			t.Errorf("frag needed: MTU %d, want 1500", ft.msgs[0].MTU)
		}
	}
	// A quote too short to hold ports is refused.
	ft.msgs = nil
	p.HandlePacket(tcpip.PacketInfo{Src: them, Dst: us}, message(Header{Type: TypeDestUnreach}, offending(tcpip.ProtoUDP, udpHdr[:4])))
	if len(ft.msgs) != 0 {
		t.Error("short quote delivered")
	}
}

func TestSendErrorRules(t *testing.T) {
	orig := offending(tcpip.ProtoUDP, make([]byte, 1000))
	// offending() is from us to them; swap to make it a datagram we received.
	copy(orig[12:16], them[:])
	copy(orig[16:20], us[:])
	echoErr := offending(tcpip.ProtoICMP, message(Header{Type: TypeDestUnreach}, nil))
	frag := bytes.Clone(orig)
	frag[7] = 1 // fragment offset 8
	unicast := tcpip.PacketInfo{Src: them, Dst: us}
	for _, tc := range []struct {
		name string
		info tcpip.PacketInfo
		orig []byte
		sent bool
	}{
		{"unicast", unicast, orig, true},
		{"broadcast", tcpip.PacketInfo{Src: them, Dst: tcpip.BroadcastAddr, Broadcast: true}, orig, false},
		{"from 0.0.0.0", tcpip.PacketInfo{Dst: us}, orig, false},
		{"about an ICMP error", unicast, echoErr, false},
		{"later fragment", unicast, frag, false},
	} {
		n := &fakeNet{}
		p := New(n, clock.NewFake(), func(uint8) tcpip.TransportHandler { return nil })
		p.SendError(TypeDestUnreach, CodePortUnreach, tc.info, tc.orig)
		if (len(n.sent) == 1) != tc.sent {
			t.Errorf("%s: sent %d", tc.name, len(n.sent))
			continue
		}
		if tc.sent && len(n.sent[0]) > 576-20 {
			t.Errorf("%s: error of %d bytes exceeds 576 with its IP header", tc.name, len(n.sent[0]))
		}
	}
}

func TestErrorRateLimit(t *testing.T) {
	clk := clock.NewFake()
	n := &fakeNet{}
	p := New(n, clk, func(uint8) tcpip.TransportHandler { return nil })
	orig := offending(tcpip.ProtoUDP, make([]byte, 8))
	for i := 0; i < 1000; i++ {
		p.SendError(TypeDestUnreach, CodePortUnreach, tcpip.PacketInfo{Src: them, Dst: us}, orig)
	}
	if len(n.sent) != errorBurst {
		t.Fatalf("burst sent %d, want %d", len(n.sent), errorBurst)
	}
	clk.Advance(10 * errorInterval)
	p.SendError(TypeDestUnreach, CodePortUnreach, tcpip.PacketInfo{Src: them, Dst: us}, orig)
	if len(n.sent) != errorBurst+1 {
		t.Fatal("no token after refill")
	}
}

func FuzzHandlePacket(f *testing.F) {
	f.Add(message(Header{Type: TypeEchoRequest}, []byte("x")))
	f.Add(message(Header{Type: TypeDestUnreach, Code: 3}, offending(tcpip.ProtoUDP, make([]byte, 8))))
	f.Fuzz(func(t *testing.T, b []byte) {
		ft := &fakeTransport{}
		p := New(&fakeNet{}, clock.NewFake(), func(uint8) tcpip.TransportHandler { return ft })
		p.HandlePacket(tcpip.PacketInfo{Src: them, Dst: us}, b)
		for _, o := range ft.orig {
			if len(o) < 8 {
				t.Fatalf("transport got a %d-byte quote", len(o))
			}
		}
	})
}
