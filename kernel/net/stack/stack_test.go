package stack_test

import (
	"bytes"
	"context"
	"syscall"
	"testing"
	"time"

	"scone/kernel/net/link"
	"scone/kernel/net/nettest"
	"scone/kernel/net/tcpip"
	"scone/kernel/net/udp"
	"scone/kernel/net/waiter"
)

const timeout = 10 * time.Second

// recv waits for one datagram on e.
func recv(t *testing.T, e *udp.Endpoint) ([]byte, tcpip.FullAddr) {
	t.Helper()
	nettest.WaitReady(t, e.Waiter, waiter.EventIn, e.Readiness, timeout)
	buf := make([]byte, 70000)
	n, from, err := e.RecvFrom(buf)
	if err != nil {
		t.Fatalf("RecvFrom: %v", err)
	}
	return buf[:n], from
}

func bound(t *testing.T, p *udp.Protocol, addr tcpip.FullAddr) *udp.Endpoint {
	t.Helper()
	e := p.NewEndpoint()
	if err := e.Bind(addr); err != nil {
		t.Fatalf("Bind(%v): %v", addr, err)
	}
	t.Cleanup(e.Close)
	return e
}

func TestUDPAcrossLink(t *testing.T) {
	for _, size := range []int{0, 1, 1472, 1473, 9000, udp.MaxPayload} {
		p := nettest.NewPair(t, nettest.PairOptions{})
		srv := bound(t, p.UDPB, tcpip.FullAddr{Port: 7})
		cli := bound(t, p.UDPA, tcpip.FullAddr{})
		msg := make([]byte, size)
		for i := range msg {
			msg[i] = byte(i % 251)
		}
		to := tcpip.FullAddr{Addr: nettest.AddrB, Port: 7}
		if _, err := cli.SendTo(msg, &to); err != nil {
			t.Fatalf("size %d: SendTo: %v", size, err)
		}
		got, from := recv(t, srv)
		if !bytes.Equal(got, msg) || from != cli.LocalAddr() && from.Addr != nettest.AddrA {
			t.Fatalf("size %d: got %d bytes from %v", size, len(got), from)
		}
		// And back, to the address it came from.
		if _, err := srv.SendTo(got, &from); err != nil {
			t.Fatal(err)
		}
		if back, _ := recv(t, cli); !bytes.Equal(back, msg) {
			t.Fatalf("size %d: echo differs", size)
		}
		if size > 1472 && p.A.Stats.IP.FragCreates.Value() == 0 {
			t.Errorf("size %d: no fragments sent", size)
		}
	}
}

func TestUDPFragmentsOverReorderingLink(t *testing.T) {
	imp := link.Impairments{Reorder: 0.3, Duplicate: 0.1}
	p := nettest.NewPair(t, nettest.PairOptions{Link: link.PipeConfig{AToB: imp, BToA: imp, Seed: 7}})
	srv := bound(t, p.UDPB, tcpip.FullAddr{Port: 9})
	cli := bound(t, p.UDPA, tcpip.FullAddr{})
	to := tcpip.FullAddr{Addr: nettest.AddrB, Port: 9}
	for i := 0; i < 10; i++ {
		msg := bytes.Repeat([]byte{byte(i)}, 6000+i)
		if _, err := cli.SendTo(msg, &to); err != nil {
			t.Fatal(err)
		}
		// Duplicated fragments may complete a datagram twice, once per
		// copy of the set; take datagrams until this one shows up.
		for {
			got, _ := recv(t, srv)
			if bytes.Equal(got, msg) {
				break
			}
			if len(got) != 6000+i-1 {
				t.Fatalf("datagram %d: got %d bytes", i, len(got))
			}
		}
	}
}

func TestPing(t *testing.T) {
	p := nettest.NewPair(t, nettest.PairOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for _, dst := range []tcpip.Addr{nettest.AddrB, tcpip.LoopbackAddr, nettest.AddrA} {
		if _, err := p.A.ICMP().Ping(ctx, dst, 1, []byte("hello")); err != nil {
			t.Errorf("ping %v: %v", dst, err)
		}
	}
	if p.B.ICMP().Stats.InEchos.Value() != 1 || p.B.ICMP().Stats.OutEchoReps.Value() != 1 {
		t.Errorf("B's ICMP stats: %+v", p.B.ICMP().Stats.InEchos.Value())
	}
	// A ping cancelled while waiting (no such host) reports EINTR.
	c2, cancel2 := context.WithCancel(context.Background())
	go cancel2()
	if _, err := p.A.ICMP().Ping(c2, tcpip.AddrFrom4(10, 0, 0, 99), 2, nil); err != syscall.EINTR {
		t.Errorf("cancelled ping: %v, want EINTR", err)
	}
}

func TestPortUnreachable(t *testing.T) {
	p := nettest.NewPair(t, nettest.PairOptions{})
	cli := bound(t, p.UDPA, tcpip.FullAddr{})
	if err := cli.Connect(tcpip.FullAddr{Addr: nettest.AddrB, Port: 4444}); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.SendTo([]byte("anyone?"), nil); err != nil {
		t.Fatal(err)
	}
	nettest.WaitReady(t, cli.Waiter, waiter.EventErr, cli.Readiness, timeout)
	if _, _, err := cli.RecvFrom(make([]byte, 10)); err != syscall.ECONNREFUSED {
		t.Fatalf("RecvFrom after port unreachable: %v, want ECONNREFUSED", err)
	}
	if p.UDPB.Stats.NoPorts.Value() != 1 || p.B.ICMP().Stats.OutDestUnreachs.Value() != 1 {
		t.Fatalf("B: NoPorts %d, OutDestUnreachs %d", p.UDPB.Stats.NoPorts.Value(), p.B.ICMP().Stats.OutDestUnreachs.Value())
	}
}

// TestUDPQueueBound checks the lab's rule: a port keeps 16 datagrams,
// the rest are dropped and counted, and another port is not affected.
func TestUDPQueueBound(t *testing.T) {
	p := nettest.NewPair(t, nettest.PairOptions{})
	flooded := bound(t, p.UDPB, tcpip.FullAddr{Port: 2000})
	quiet := bound(t, p.UDPB, tcpip.FullAddr{Port: 2001})
	cli := bound(t, p.UDPA, tcpip.FullAddr{})
	// Resolve B's MAC first: ARP's own bounded queue would drop most of a
	// flood sent before the answer.
	to := tcpip.FullAddr{Addr: nettest.AddrB, Port: 2001}
	cli.SendTo([]byte("warm-up"), &to)
	recv(t, quiet)
	to.Port = 2000
	const n = 100
	for i := 0; i < n; i++ {
		if _, err := cli.SendTo([]byte{byte(i)}, &to); err != nil {
			t.Fatal(err)
		}
	}
	to.Port = 2001
	cli.SendTo([]byte("still here"), &to)
	if got, _ := recv(t, quiet); string(got) != "still here" {
		t.Fatalf("quiet port got %q", got)
	}
	nettest.Poll(t, timeout, "flood to be delivered or dropped", func() bool {
		return p.UDPB.Stats.InDatagrams.Value()+p.UDPB.Stats.RcvbufErrors.Value() == n+2
	})
	if d := flooded.Drops.Value(); d != n-udp.QueueLen {
		t.Fatalf("flooded port dropped %d, want %d", d, n-udp.QueueLen)
	}
	for i := 0; i < udp.QueueLen; i++ {
		if got, _ := recv(t, flooded); got[0] != byte(i) {
			t.Fatalf("datagram %d is %d: queue must keep the oldest", i, got[0])
		}
	}
	if _, _, err := flooded.RecvFrom(make([]byte, 1)); err != syscall.EAGAIN {
		t.Fatalf("17th RecvFrom: %v, want EAGAIN", err)
	}
}

// TestCorruptionCaught flips one bit in every frame after ARP has
// resolved: every datagram must be refused by a checksum, none delivered.
func TestCorruptionCaught(t *testing.T) {
	p := nettest.NewPair(t, nettest.PairOptions{}) // the checker sees frames before corruption
	srv := bound(t, p.UDPB, tcpip.FullAddr{Port: 7})
	cli := bound(t, p.UDPA, tcpip.FullAddr{})
	to := tcpip.FullAddr{Addr: nettest.AddrB, Port: 7}
	cli.SendTo([]byte("clean"), &to)
	recv(t, srv)
	p.EndA.Out().SetImpairments(link.Impairments{Corrupt: 1})
	const n = 200
	for i := 0; i < n; i++ {
		cli.SendTo(bytes.Repeat([]byte{byte(i)}, 1+i*5), &to)
	}
	caught := func() uint64 {
		return p.B.Stats.IP.InHdrErrors.Value() + p.UDPB.Stats.InCsumErrors.Value() +
			p.B.Stats.IP.InAddrErrors.Value() + p.B.Stats.Link.InUnknownTypes.Value() +
			p.B.Stats.Link.InErrors.Value()
	}
	nettest.Poll(t, timeout, "corrupted frames to be counted", func() bool {
		// n, plus the gratuitous ARP, the ARP request and the clean datagram.
		return p.EndA.Out().Stats.Delivered.Value() == n+3
	})
	if srv.Readiness(waiter.EventIn) != 0 {
		t.Fatal("a corrupted datagram was delivered")
	}
	// A flipped protocol or address bit can also misdirect a datagram to
	// a closed port or unknown protocol; every frame is accounted for.
	if c := caught() + p.UDPB.Stats.NoPorts.Value() + p.B.Stats.IP.InUnknownProtos.Value() + p.UDPB.Stats.InErrors.Value() - p.UDPB.Stats.InCsumErrors.Value(); c < n {
		t.Fatalf("caught %d of %d corrupted frames", c, n)
	}
	if p.UDPB.Stats.InCsumErrors.Value() == 0 || p.B.Stats.IP.InHdrErrors.Value() == 0 {
		t.Fatalf("expected both IP header and UDP checksum failures")
	}
}

func TestLoopbackAndLocalAddress(t *testing.T) {
	p := nettest.NewPair(t, nettest.PairOptions{})
	srv := bound(t, p.UDPA, tcpip.FullAddr{Port: 53})
	cli := bound(t, p.UDPA, tcpip.FullAddr{})
	sent := p.EndA.Out().Stats.Sent.Value() // the gratuitous ARP
	for _, dst := range []tcpip.Addr{tcpip.LoopbackAddr, nettest.AddrA, tcpip.AnyAddr} {
		to := tcpip.FullAddr{Addr: dst, Port: 53}
		if _, err := cli.SendTo(bytes.Repeat([]byte("x"), 30000), &to); err != nil {
			t.Fatal(err)
		}
		want := dst
		if dst.IsUnspecified() {
			want = tcpip.LoopbackAddr // 0.0.0.0 means this host, as on Linux
		}
		if got, from := recv(t, srv); len(got) != 30000 || from.Addr != want {
			t.Fatalf("to %v: got %d bytes from %v", dst, len(got), from)
		}
	}
	to := tcpip.FullAddr{Addr: tcpip.AddrFrom4(224, 0, 0, 251), Port: 5353}
	if _, err := cli.SendTo([]byte("mdns?"), &to); err != syscall.ENETUNREACH {
		t.Fatalf("multicast send: %v, want ENETUNREACH", err)
	}
	if p.EndA.Out().Stats.Sent.Value() != sent {
		t.Fatal("local traffic went out on the wire")
	}
}

func TestBindRules(t *testing.T) {
	p := nettest.NewPair(t, nettest.PairOptions{})
	u := p.UDPA
	bound(t, u, tcpip.FullAddr{Addr: nettest.AddrA, Port: 100})
	for _, tc := range []struct {
		addr tcpip.FullAddr
		want error
	}{
		{tcpip.FullAddr{Addr: nettest.AddrA, Port: 100}, syscall.EADDRINUSE},
		{tcpip.FullAddr{Port: 100}, syscall.EADDRINUSE},
		{tcpip.FullAddr{Addr: tcpip.LoopbackAddr, Port: 100}, nil},
		{tcpip.FullAddr{Addr: nettest.AddrB, Port: 101}, syscall.EADDRNOTAVAIL},
	} {
		e := u.NewEndpoint()
		if err := e.Bind(tc.addr); err != tc.want {
			t.Errorf("Bind(%v) = %v, want %v", tc.addr, err, tc.want)
		}
		e.Close()
	}
	e := u.NewEndpoint()
	defer e.Close()
	if _, err := e.SendTo([]byte("x"), nil); err != syscall.EDESTADDRREQ {
		t.Errorf("SendTo unconnected without address: %v", err)
	}
	to := tcpip.FullAddr{Addr: tcpip.AddrFrom4(192, 168, 9, 9), Port: 1}
	if _, err := e.SendTo([]byte("x"), &to); err != syscall.ENETUNREACH {
		t.Errorf("SendTo off-link without gateway: %v", err)
	}
}

func TestGatewayAndGratuitousARP(t *testing.T) {
	p := nettest.NewPair(t, nettest.PairOptions{})
	// A reaches 192.168.1.0/24 through B as its gateway: frames go to B's MAC.
	if err := p.A.Configure(p.NICA, stackConfig(nettest.AddrA, 24, nettest.AddrB)); err != nil {
		t.Fatal(err)
	}
	e := bound(t, p.UDPA, tcpip.FullAddr{})
	to := tcpip.FullAddr{Addr: tcpip.AddrFrom4(192, 168, 1, 1), Port: 9}
	if _, err := e.SendTo([]byte("via gateway"), &to); err != nil {
		t.Fatal(err)
	}
	nettest.Poll(t, timeout, "B to see the datagram", func() bool { return p.B.Stats.IP.InAddrErrors.Value() == 1 })
	// B moves to a new address: its gratuitous ARP updates A's cache entry
	// for... the new address is unknown to A, so A's entry for the old
	// address stays, and B's announcement must reach A as an ARP packet.
	before := p.A.Stats.ARP.InPackets.Value()
	p.B.SetAddress(p.NICB, tcpip.AddrFrom4(10, 0, 0, 3), 24)
	nettest.Poll(t, timeout, "gratuitous ARP", func() bool { return p.A.Stats.ARP.InPackets.Value() > before })
}
