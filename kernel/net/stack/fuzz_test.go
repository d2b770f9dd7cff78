package stack_test

import (
	"encoding/binary"
	"testing"
	"time"

	"scone/kernel/net/arp"
	"scone/kernel/net/clock"
	"scone/kernel/net/ethernet"
	"scone/kernel/net/icmp"
	"scone/kernel/net/ipv4"
	"scone/kernel/net/link"
	"scone/kernel/net/stack"
	"scone/kernel/net/tcp"
	"scone/kernel/net/tcpip"
	"scone/kernel/net/udp"
)

var (
	fuzzMAC  = tcpip.MAC{2, 0, 0, 0, 0, 1}
	peerMAC  = tcpip.MAC{2, 0, 0, 0, 0, 2}
	fuzzAddr = tcpip.AddrFrom4(10, 0, 0, 1)
	peerAddr = tcpip.AddrFrom4(10, 0, 0, 2)
)

// ipFrame builds a valid frame from the peer carrying an IPv4 datagram.
func ipFrame(h ipv4.Header, payload []byte) []byte {
	f := make([]byte, ethernet.HeaderLen+ipv4.HeaderLen+len(payload))
	ethernet.Encode(f, ethernet.Header{Dst: fuzzMAC, Src: peerMAC, Type: ethernet.TypeIPv4})
	h.TotalLen = ipv4.HeaderLen + len(payload)
	if h.TTL == 0 {
		h.TTL = 64
	}
	ipv4.Encode(f[ethernet.HeaderLen:], &h)
	copy(f[ethernet.HeaderLen+ipv4.HeaderLen:], payload)
	return f
}

// synTo builds a TCP SYN from the peer to port with an MSS option.
func synTo(port uint16) []byte {
	seg := make([]byte, 24)
	binary.BigEndian.PutUint16(seg[0:2], 40000)
	binary.BigEndian.PutUint16(seg[2:4], port)
	binary.BigEndian.PutUint32(seg[4:8], 1000)
	seg[12] = 6 << 4 // data offset: 24 bytes
	seg[13] = 0x02   // SYN
	binary.BigEndian.PutUint16(seg[14:16], 65535)
	seg[20], seg[21], seg[22], seg[23] = 2, 4, 0x05, 0xb4 // MSS 1460
	c := ^tcpip.Checksum(seg, tcpip.PseudoHeaderSum(peerAddr, fuzzAddr, tcpip.ProtoTCP, len(seg)))
	binary.BigEndian.PutUint16(seg[16:18], c)
	return seg
}

// fuzzInput joins frames as the fuzz target splits them: two length bytes
// then the frame.
func fuzzInput(frames ...[]byte) []byte {
	var out []byte
	for _, f := range frames {
		out = append(out, byte(len(f)>>8), byte(len(f)))
		out = append(out, f...)
	}
	return out
}

// FuzzStackFrames feeds arbitrary frames to a whole stack: it must not
// panic, and its memory (reassembly, ARP cache, socket queues, frames sent
// in answer) must stay within its bounds.
func FuzzStackFrames(f *testing.F) {
	udpPayload := make([]byte, udp.HeaderLen+4)
	udp.Encode(udpPayload, tcpip.FullAddr{Addr: peerAddr, Port: 999}, tcpip.FullAddr{Addr: fuzzAddr, Port: 7}, udpPayload[udp.HeaderLen:])
	echo := make([]byte, icmp.HeaderLen+4)
	icmp.Encode(echo, icmp.Header{Type: icmp.TypeEchoRequest}, echo[icmp.HeaderLen:])
	arpReq := make([]byte, ethernet.HeaderLen+arp.PacketLen)
	ethernet.Encode(arpReq, ethernet.Header{Dst: tcpip.BroadcastMAC, Src: peerMAC, Type: ethernet.TypeARP})
	arp.Encode(arpReq[ethernet.HeaderLen:], arp.Packet{Op: arp.OpRequest, SenderMAC: peerMAC, SenderIP: peerAddr, TargetIP: fuzzAddr})
	base := ipv4.Header{Src: peerAddr, Dst: fuzzAddr}
	udpH, icmpH, frag1, frag2 := base, base, base, base
	udpH.Protocol, icmpH.Protocol = tcpip.ProtoUDP, tcpip.ProtoICMP
	frag1.Protocol, frag1.Flags, frag1.ID = tcpip.ProtoUDP, ipv4.FlagMF, 5
	frag2.Protocol, frag2.FragOffset, frag2.ID = tcpip.ProtoUDP, 8, 5
	f.Add(fuzzInput(arpReq, ipFrame(udpH, udpPayload), ipFrame(icmpH, echo)))
	f.Add(fuzzInput(ipFrame(frag1, udpPayload[:8]), ipFrame(frag2, udpPayload[8:])))
	closedPort := append([]byte(nil), udpPayload...)
	closedPort[3] = 8
	f.Add(fuzzInput(ipFrame(udpH, closedPort)))
	tcpH := base
	tcpH.Protocol = tcpip.ProtoTCP
	f.Add(fuzzInput(arpReq, ipFrame(tcpH, synTo(80)), ipFrame(tcpH, synTo(81))))

	f.Fuzz(func(t *testing.T, in []byte) {
		clk := clock.NewFake()
		s := stack.New(stack.Options{
			Clock:      clk,
			NoLoopback: true,
			ARP:        arp.Config{MaxEntries: 8},
			Reassembly: ipv4.ReassemblyConfig{MaxBytes: 64 << 10, MaxDatagrams: 4},
		})
		dev := link.NewManual(fuzzMAC, 1500, 1<<20)
		id, _ := s.AddNIC("eth0", dev)
		s.SetAddress(id, fuzzAddr, 24)
		ep := addUDP(s).NewEndpoint()
		ep.Bind(tcpip.FullAddr{Port: 7})
		defer ep.Close()
		// TCP too, with a listener, so frames reach a whole host.
		tp := tcp.NewProtocol(s, clk, tcp.Options{MaxSynBacklog: 4})
		s.RegisterTransport(tcpip.ProtoTCP, tp)
		l := tp.NewEndpoint()
		l.Bind(tcpip.FullAddr{Port: 80})
		l.Listen(4)
		defer l.Close()
		frames := 0
		for len(in) >= 2 && frames < 64 {
			n := int(in[0])<<8 | int(in[1])
			in = in[2:]
			n = min(n, len(in))
			dev.Inject(in[:n])
			in = in[n:]
			frames++
			if d, b := s.Reassembly().Pending(); d > 4 || b > 64<<10 {
				t.Fatalf("reassembly holds %d datagrams, %d bytes", d, b)
			}
			if len(s.ARPEntries(id)) > 8 {
				t.Fatal("ARP cache beyond its bound")
			}
			if c := tp.ConnCount(); c > 8 {
				t.Fatalf("%d TCP connections from %d frames with a backlog of 4", c, frames)
			}
		}
		clk.Advance(time.Minute) // every timer (ARP, reassembly) fires
		if d, b := s.Reassembly().Pending(); d != 0 || b != 0 {
			t.Fatalf("reassembly holds %d datagrams, %d bytes after its timeout", d, b)
		}
		for _, out := range dev.Take() {
			if len(out) > 1514 {
				t.Fatalf("sent a %d-byte frame", len(out))
			}
		}
	})
}
