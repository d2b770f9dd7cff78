package stack_test

import (
	"syscall"
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

// host is a stack on a Manual device: tests inject frames and inspect the
// frames it sends, on one goroutine and fake time.
type host struct {
	s   *stack.Stack
	dev *link.Manual
	nic int
	clk *clock.Fake
	udp *udp.Protocol
}

func newHost(t *testing.T) *host {
	clk := clock.NewFake()
	s := stack.New(stack.Options{Clock: clk, NoLoopback: true})
	dev := link.NewManual(fuzzMAC, 1500, 100)
	nic, _ := s.AddNIC("eth0", dev)
	s.SetAddress(nic, fuzzAddr, 24)
	dev.Take() // the gratuitous ARP
	return &host{s, dev, nic, clk, addUDP(s)}
}

func arpFrame(op uint16, dst tcpip.MAC, sender tcpip.MAC, senderIP, target tcpip.Addr) []byte {
	f := make([]byte, ethernet.HeaderLen+arp.PacketLen)
	ethernet.Encode(f, ethernet.Header{Dst: dst, Src: sender, Type: ethernet.TypeARP})
	arp.Encode(f[ethernet.HeaderLen:], arp.Packet{Op: op, SenderMAC: sender, SenderIP: senderIP, TargetIP: target})
	return f
}

func TestARPRules(t *testing.T) {
	h := newHost(t)
	// A request for us is answered, and teaches us the asker.
	h.dev.Inject(arpFrame(arp.OpRequest, tcpip.BroadcastMAC, peerMAC, peerAddr, fuzzAddr))
	out := h.dev.Take()
	if len(out) != 1 {
		t.Fatalf("sent %d frames, want 1 reply", len(out))
	}
	eh, body, _ := ethernet.Parse(out[0])
	rep, err := arp.Parse(body)
	if err != nil || eh.Dst != peerMAC || rep.Op != arp.OpReply || rep.SenderIP != fuzzAddr ||
		rep.SenderMAC != fuzzMAC || rep.TargetIP != peerAddr || rep.TargetMAC != peerMAC {
		t.Fatalf("reply %+v to %v, %v", rep, eh.Dst, err)
	}
	if e := h.s.ARPEntries(h.nic); len(e) != 1 || e[0].MAC != peerMAC {
		t.Fatalf("cache %+v", e)
	}
	// A request for another host is not answered and adds no entry.
	other := tcpip.AddrFrom4(10, 0, 0, 3)
	h.dev.Inject(arpFrame(arp.OpRequest, tcpip.BroadcastMAC, tcpip.MAC{2, 9, 9, 9, 9, 9}, other, peerAddr))
	if len(h.dev.Take()) != 0 || len(h.s.ARPEntries(h.nic)) != 1 {
		t.Fatal("answered or learnt from a request for someone else")
	}
	// A gratuitous ARP moves an address we know to a new MAC.
	moved := tcpip.MAC{2, 7, 7, 7, 7, 7}
	h.dev.Inject(arpFrame(arp.OpRequest, tcpip.BroadcastMAC, moved, peerAddr, peerAddr))
	if e := h.s.ARPEntries(h.nic); len(e) != 1 || e[0].MAC != moved {
		t.Fatalf("after gratuitous ARP: %+v", e)
	}
	// Someone claiming our address is counted, not believed.
	h.dev.Inject(arpFrame(arp.OpReply, fuzzMAC, moved, fuzzAddr, fuzzAddr))
	if h.s.Stats.ARP.Conflicts.Value() != 1 {
		t.Fatal("address conflict not counted")
	}
}

func udpTo(dst tcpip.Addr, port uint16, payload []byte) []byte {
	u := make([]byte, udp.HeaderLen+len(payload))
	udp.Encode(u, tcpip.FullAddr{Addr: peerAddr, Port: 5000}, tcpip.FullAddr{Addr: dst, Port: port}, payload)
	copy(u[udp.HeaderLen:], payload)
	return u
}

func TestIPv4Input(t *testing.T) {
	h := newHost(t)
	h.dev.Inject(arpFrame(arp.OpReply, fuzzMAC, peerMAC, peerAddr, fuzzAddr)) // so answers need no ARP
	ep := h.udp.NewEndpoint()
	defer ep.Close()
	ep.Bind(tcpip.FullAddr{Port: 7})
	base := ipv4.Header{Src: peerAddr, Dst: fuzzAddr, Protocol: tcpip.ProtoUDP}
	delivered := func() int {
		n := 0
		for {
			if _, _, err := ep.RecvFrom(make([]byte, 100)); err != nil {
				return n
			}
			n++
		}
	}

	// Options are skipped: build a header with a NOP and a 4-byte option.
	withOpts := ipFrame(base, udpTo(fuzzAddr, 7, []byte("opt")))
	opt := append([]byte(nil), withOpts[:ethernet.HeaderLen+ipv4.HeaderLen]...)
	opt = append(opt, 1, 0x44, 3, 5) // NOP, then an option of length 3... padded
	opt[ethernet.HeaderLen] = 0x46
	opt = append(opt, withOpts[ethernet.HeaderLen+ipv4.HeaderLen:]...)
	ip := opt[ethernet.HeaderLen:]
	ip[2], ip[3] = byte(len(ip)>>8), byte(len(ip))
	ip[10], ip[11] = 0, 0
	c := ^tcpip.Checksum(ip[:24], 0)
	ip[10], ip[11] = byte(c>>8), byte(c)
	h.dev.Inject(opt)
	if delivered() != 1 {
		t.Fatal("datagram with IP options not delivered")
	}

	bad := ipFrame(base, udpTo(fuzzAddr, 7, []byte("x")))
	bad[ethernet.HeaderLen+10] ^= 1
	h.dev.Inject(bad)
	notUs := base
	notUs.Dst = tcpip.AddrFrom4(10, 0, 0, 9)
	h.dev.Inject(ipFrame(notUs, udpTo(notUs.Dst, 7, []byte("x"))))
	if delivered() != 0 || h.s.Stats.IP.InHdrErrors.Value() != 1 || h.s.Stats.IP.InAddrErrors.Value() != 1 {
		t.Fatalf("bad checksum / not for us: hdr errors %d, addr errors %d",
			h.s.Stats.IP.InHdrErrors.Value(), h.s.Stats.IP.InAddrErrors.Value())
	}

	// Broadcasts (limited and directed) reach a wildcard socket; one to a
	// closed port draws no ICMP error.
	for _, dst := range []tcpip.Addr{tcpip.BroadcastAddr, tcpip.AddrFrom4(10, 0, 0, 255)} {
		b := base
		b.Dst = dst
		f := ipFrame(b, udpTo(dst, 7, []byte("all")))
		copy(f[0:6], tcpip.BroadcastMAC[:])
		h.dev.Inject(f)
		f = ipFrame(b, udpTo(dst, 8, []byte("none")))
		copy(f[0:6], tcpip.BroadcastMAC[:])
		h.dev.Inject(f)
	}
	if delivered() != 2 || len(h.dev.Take()) != 0 {
		t.Fatal("broadcasts mishandled")
	}

	// Unicast to a closed port draws port unreachable quoting the datagram.
	h.dev.Inject(ipFrame(base, udpTo(fuzzAddr, 9, []byte("closed"))))
	out := h.dev.Take()
	if len(out) != 1 {
		t.Fatalf("sent %d frames, want port unreachable", len(out))
	}
	_, ipb, _ := ethernet.Parse(out[0])
	ih, body, err := ipv4.Parse(ipb)
	if err != nil || ih.Protocol != tcpip.ProtoICMP || ih.Dst != peerAddr {
		t.Fatalf("answer %+v %v", ih, err)
	}
	m, quote, err := icmp.Parse(body)
	if err != nil || m.Type != icmp.TypeDestUnreach || m.Code != icmp.CodePortUnreach || len(quote) < ipv4.HeaderLen+8 {
		t.Fatalf("ICMP %+v, quote %d bytes, %v", m, len(quote), err)
	}

	// A fragment whose partner never comes is dropped after 30 s.
	f1 := base
	f1.Flags, f1.ID = ipv4.FlagMF, 77
	h.dev.Inject(ipFrame(f1, make([]byte, 16)))
	if d, _ := h.s.Reassembly().Pending(); d != 1 {
		t.Fatal("fragment not held")
	}
	h.clk.Advance(31 * time.Second)
	if d, _ := h.s.Reassembly().Pending(); d != 0 || h.s.Reassembly().Stats.Timeouts.Value() != 1 {
		t.Fatal("fragment not timed out")
	}
	// Its first fragment came, so the sender hears time exceeded (code 1),
	// quoting that fragment's header and first 8 bytes.
	out = ipOnly(h.dev.Take()) // the stale ARP entry is re-probed too
	if len(out) != 1 {
		t.Fatalf("sent %d datagrams after the timeout, want 1 time exceeded", len(out))
	}
	_, ipb, _ = ethernet.Parse(out[0])
	ih, body, _ = ipv4.Parse(ipb)
	m, quote, err = icmp.Parse(body)
	if err != nil || ih.Dst != peerAddr || m.Type != icmp.TypeTimeExceeded || m.Code != icmp.CodeReassemblyTimeout || len(quote) != ipv4.HeaderLen+8 {
		t.Fatalf("ICMP %+v to %v, quote %d bytes, %v", m, ih.Dst, len(quote), err)
	}
	if id := int(quote[4])<<8 | int(quote[5]); id != 77 || quote[9] != tcpip.ProtoUDP {
		t.Fatalf("quoted header % x: id %d", quote[:ipv4.HeaderLen], id)
	}
	// A lone later fragment times out silently.
	f2 := base
	f2.FragOffset, f2.ID = 8, 78
	h.dev.Inject(ipFrame(f2, make([]byte, 16)))
	h.clk.Advance(31 * time.Second)
	if n := len(ipOnly(h.dev.Take())); n != 0 {
		t.Fatalf("sent %d datagrams for a datagram without its first fragment", n)
	}
}

// ipOnly keeps the IPv4 frames of frames.
func ipOnly(frames [][]byte) [][]byte {
	var out [][]byte
	for _, f := range frames {
		if h, _, err := ethernet.Parse(f); err == nil && h.Type == ethernet.TypeIPv4 {
			out = append(out, f)
		}
	}
	return out
}

// TestARPQueueThenSend: a packet to an unresolved neighbour waits for the
// ARP reply and then leaves with the right MAC.
func TestARPQueueThenSend(t *testing.T) {
	h := newHost(t)
	ep := h.udp.NewEndpoint()
	defer ep.Close()
	to := tcpip.FullAddr{Addr: peerAddr, Port: 53}
	ep.SendTo([]byte("q"), &to)
	out := h.dev.Take()
	if len(out) != 1 || out[0][12] != 0x08 || out[0][13] != 0x06 {
		t.Fatalf("want one ARP request, got %d frames", len(out))
	}
	h.dev.Inject(arpFrame(arp.OpReply, fuzzMAC, peerMAC, peerAddr, fuzzAddr))
	out = h.dev.Take()
	if len(out) != 1 {
		t.Fatalf("queued datagram not sent: %d frames", len(out))
	}
	eh, _, _ := ethernet.Parse(out[0])
	if eh.Dst != peerMAC || eh.Type != ethernet.TypeIPv4 {
		t.Fatalf("sent to %v type %#x", eh.Dst, eh.Type)
	}
}

// TestSYNAnswered: a SYN injected from the wire reaches a registered TCP
// listener and the SYN-ACK leaves with our addresses.
func TestSYNAnswered(t *testing.T) {
	h := newHost(t)
	h.dev.Inject(arpFrame(arp.OpReply, fuzzMAC, peerMAC, peerAddr, fuzzAddr))
	tp := tcp.NewProtocol(h.s, h.clk, tcp.Options{})
	h.s.RegisterTransport(tcpip.ProtoTCP, tp)
	l := tp.NewEndpoint()
	l.Bind(tcpip.FullAddr{Port: 80})
	l.Listen(1)
	defer l.Close()
	h.dev.Inject(ipFrame(ipv4.Header{Src: peerAddr, Dst: fuzzAddr, Protocol: tcpip.ProtoTCP}, synTo(80)))
	out := h.dev.Take()
	if len(out) != 1 {
		t.Fatalf("sent %d frames, want a SYN-ACK", len(out))
	}
	_, ipb, _ := ethernet.Parse(out[0])
	ih, seg, err := ipv4.Parse(ipb)
	if err != nil || ih.Protocol != tcpip.ProtoTCP || ih.Src != fuzzAddr || ih.Dst != peerAddr || len(seg) < 20 || seg[13] != 0x12 {
		t.Fatalf("answer %+v flags %#x, %v", ih, seg[13], err)
	}
}

// TestNeighbourUnreachable: when ARP gives up on a neighbour, the socket
// that sent to it learns EHOSTUNREACH (Linux does the same through a
// locally generated ICMP host unreachable).
func TestNeighbourUnreachable(t *testing.T) {
	h := newHost(t)
	ep := h.udp.NewEndpoint()
	defer ep.Close()
	if err := ep.Connect(tcpip.FullAddr{Addr: peerAddr, Port: 53}); err != nil {
		t.Fatal(err)
	}
	if _, err := ep.SendTo([]byte("anyone?"), nil); err != nil {
		t.Fatal(err)
	}
	h.clk.Advance(4 * time.Second) // three unanswered requests
	if n := len(h.dev.Take()); n != 3 {
		t.Fatalf("sent %d frames, want 3 ARP requests", n)
	}
	if _, _, err := ep.RecvFrom(make([]byte, 10)); err != syscall.EHOSTUNREACH {
		t.Fatalf("RecvFrom after ARP failure: %v, want EHOSTUNREACH", err)
	}
}

// TestBroadcastSkipsUnicastBound: a socket bound to a unicast address does
// not receive broadcasts; a wildcard one on the same port does.
func TestBroadcastSkipsUnicastBound(t *testing.T) {
	h := newHost(t)
	specific := h.udp.NewEndpoint()
	defer specific.Close()
	specific.Bind(tcpip.FullAddr{Addr: fuzzAddr, Port: 67})
	wild := h.udp.NewEndpoint()
	defer wild.Close()
	if err := wild.Bind(tcpip.FullAddr{Addr: tcpip.BroadcastAddr, Port: 67}); err != nil {
		t.Fatal(err)
	}
	b := ipv4.Header{Src: peerAddr, Dst: tcpip.BroadcastAddr, Protocol: tcpip.ProtoUDP}
	f := ipFrame(b, udpTo(tcpip.BroadcastAddr, 67, []byte("to all")))
	copy(f[0:6], tcpip.BroadcastMAC[:])
	h.dev.Inject(f)
	buf := make([]byte, 10)
	if _, _, err := specific.RecvFrom(buf); err != syscall.EAGAIN {
		t.Errorf("unicast-bound socket: %v, want EAGAIN", err)
	}
	if n, _, err := wild.RecvFrom(buf); err != nil || string(buf[:n]) != "to all" {
		t.Errorf("broadcast-bound socket: %q, %v", buf[:n], err)
	}
}

// TestCheckedFrames: a frame whose transport checksum the device vouched
// for (link.CheckedDispatcher) skips the stack's check, for UDP and TCP;
// the same frames through DeliverFrame are dropped as corrupt; and a
// reassembled datagram is checked whatever its last fragment's device said.
func TestCheckedFrames(t *testing.T) {
	h := newHost(t)
	h.dev.Inject(arpFrame(arp.OpReply, fuzzMAC, peerMAC, peerAddr, fuzzAddr))
	ep := h.udp.NewEndpoint()
	defer ep.Close()
	ep.Bind(tcpip.FullAddr{Port: 7})
	got := func() int {
		n := 0
		for ; ; n++ {
			if _, _, err := ep.RecvFrom(make([]byte, 100)); err != nil {
				return n
			}
		}
	}
	u := udpTo(fuzzAddr, 7, []byte("partial"))
	u[6], u[7] = 0x12, 0x34 // only a pseudo-header sum, as NEEDS_CSUM leaves it
	frame := ipFrame(ipv4.Header{Src: peerAddr, Dst: fuzzAddr, Protocol: tcpip.ProtoUDP}, u)
	h.dev.Inject(frame)
	if got() != 0 || h.udp.Stats.InCsumErrors.Value() != 1 {
		t.Fatalf("UDP with a bad checksum through DeliverFrame: csum errors %d", h.udp.Stats.InCsumErrors.Value())
	}
	h.dev.InjectChecked(frame)
	if got() != 1 || h.udp.Stats.InCsumErrors.Value() != 1 {
		t.Fatalf("UDP vouched for by the device was not delivered")
	}

	tp := tcp.NewProtocol(h.s, h.clk, tcp.Options{})
	h.s.RegisterTransport(tcpip.ProtoTCP, tp)
	l := tp.NewEndpoint()
	l.Bind(tcpip.FullAddr{Port: 80})
	l.Listen(1)
	defer l.Close()
	syn := synTo(80)
	syn[16] ^= 0xff // the checksum
	sf := ipFrame(ipv4.Header{Src: peerAddr, Dst: fuzzAddr, Protocol: tcpip.ProtoTCP}, syn)
	h.dev.Inject(sf)
	if out := h.dev.Take(); len(out) != 0 {
		t.Fatalf("a SYN with a bad checksum was answered")
	}
	h.dev.InjectChecked(sf)
	if out := h.dev.Take(); len(out) != 1 {
		t.Fatalf("a SYN vouched for by the device: %d frames sent, want a SYN-ACK", len(out))
	}

	// Fragments: the device cannot have checked the whole datagram.
	whole := udpTo(fuzzAddr, 7, make([]byte, 40))
	whole[6] ^= 0xff
	first := ipFrame(ipv4.Header{Src: peerAddr, Dst: fuzzAddr, Protocol: tcpip.ProtoUDP, ID: 9, Flags: ipv4.FlagMF}, whole[:24])
	second := ipFrame(ipv4.Header{Src: peerAddr, Dst: fuzzAddr, Protocol: tcpip.ProtoUDP, ID: 9, FragOffset: 24}, whole[24:])
	h.dev.InjectChecked(first)
	h.dev.InjectChecked(second)
	if got() != 0 || h.udp.Stats.InCsumErrors.Value() != 2 {
		t.Fatalf("a reassembled datagram skipped its check: csum errors %d", h.udp.Stats.InCsumErrors.Value())
	}
}
