package stack_test

import (
	"bytes"
	"strings"
	"testing"

	"scone/kernel/net/link"
	"scone/kernel/net/nettest"
	"scone/kernel/net/stack"
	"scone/kernel/net/tcpip"
)

// TestUnconfiguredInterface walks the first steps of DHCP: a client with
// no address broadcasts from 0.0.0.0 through a chosen interface and hears
// the broadcast answer; Configure then gives it an address and a gateway.
func TestUnconfiguredInterface(t *testing.T) {
	check := nettest.NewChecker()
	endS, endC := link.NewPipe(link.PipeConfig{Observe: func(_ *link.PipeEnd, f []byte) { check.Check(f) }}, nettest.MACA, nettest.MACB)
	defer func() {
		if err := check.Err(); err != nil {
			t.Error(err)
		}
	}()
	srvStack, cliStack := stack.New(stack.Options{}), stack.New(stack.Options{})
	srvUDP, cliUDP := addUDP(srvStack), addUDP(cliStack)
	defer srvStack.Close()
	defer cliStack.Close()
	srvNIC, _ := srvStack.AddNIC("eth0", endS)
	cliNIC, _ := cliStack.AddNIC("eth0", endC)
	srvStack.SetAddress(srvNIC, nettest.AddrA, 24)

	srv := bound(t, srvUDP, tcpip.FullAddr{Port: 67})
	cli := bound(t, cliUDP, tcpip.FullAddr{Port: 68})
	cli.BindToNIC(cliNIC)
	bcast := tcpip.FullAddr{Addr: tcpip.BroadcastAddr, Port: 67}
	if _, err := cli.SendTo([]byte("DISCOVER"), &bcast); err != nil {
		t.Fatalf("broadcast from unconfigured interface: %v", err)
	}
	msg, from := recv(t, srv)
	if string(msg) != "DISCOVER" || from != (tcpip.FullAddr{Port: 68}) {
		t.Fatalf("server got %q from %v", msg, from)
	}
	bcast.Port = 68
	if _, err := srv.SendTo([]byte("OFFER"), &bcast); err != nil {
		t.Fatal(err)
	}
	if msg, _ := recv(t, cli); string(msg) != "OFFER" {
		t.Fatalf("client got %q", msg)
	}
	// Without an address, unicast from a normal socket has no source.
	e := cliUDP.NewEndpoint()
	defer e.Close()
	to := tcpip.FullAddr{Addr: nettest.AddrA, Port: 67}
	if _, err := e.SendTo([]byte("x"), &to); err == nil {
		t.Fatal("unicast without an address or route succeeded")
	}
	gw := tcpip.AddrFrom4(10, 0, 0, 254)
	if err := cliStack.Configure(cliNIC, stack.Config{Addr: nettest.AddrB, PrefixLen: 24, Gateway: gw}); err != nil {
		t.Fatal(err)
	}
	routes := cliStack.Routes()
	if len(routes) != 3 || routes[len(routes)-1].Gateway != gw {
		t.Fatalf("routes after Configure: %+v", routes)
	}
	if _, err := e.SendTo([]byte("REQUEST"), &to); err != nil {
		t.Fatal(err)
	}
	if msg, from := recv(t, srv); string(msg) != "REQUEST" || from.Addr != nettest.AddrB {
		t.Fatalf("server got %q from %v", msg, from)
	}
	// The server learnt the client's MAC from its ARP request.
	if len(srvStack.ARPEntries(srvNIC)) != 1 {
		t.Fatalf("server ARP cache: %+v", srvStack.ARPEntries(srvNIC))
	}
	// The REQUEST waited for the ARP reply and left from the client's
	// receive path, which counts a frame once the link has taken it; the
	// link may deliver it, and the server hand it to us, before that
	// goroutine gets to the count. Wait for it, as one reads a real
	// NIC's counters only after its transmit completes.
	nettest.Poll(t, timeout, "the REQUEST in the client's counters", func() bool {
		return cliStack.NICs()[1].TxPackets >= 4
	})
	info := cliStack.NICs()
	if len(info) != 2 || info[1].Addr != nettest.AddrB || info[1].Subnet.Bits != 24 || !info[0].Loopback {
		t.Fatalf("NICs: %+v", info)
	}
	// Out: DISCOVER, our gratuitous ARP, the ARP request, REQUEST. In: the
	// server's gratuitous ARP, OFFER, the ARP reply.
	if e := info[1]; e.TxPackets != 4 || e.RxPackets != 3 || e.TxBytes < 4*42 || e.RxBytes < 3*42 {
		t.Fatalf("counters: %+v", e)
	}
}

func TestProtocolUnreachableAndNetstat(t *testing.T) {
	p := nettest.NewPair(t, nettest.PairOptions{})
	r, err := p.A.Route(tcpip.AnyAddr, nettest.AddrB)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.A.WritePacket(r, 99, []byte("no such protocol"), nil); err != nil {
		t.Fatal(err)
	}
	nettest.Poll(t, timeout, "protocol unreachable", func() bool {
		return p.A.ICMP().Stats.InDestUnreachs.Value() == 1
	})
	if p.B.Stats.IP.InUnknownProtos.Value() != 1 {
		t.Fatalf("InUnknownProtos = %d", p.B.Stats.IP.InUnknownProtos.Value())
	}
	var out bytes.Buffer
	if err := p.B.WriteNetstat(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Ip:\n", "    InUnknownProtos: 1\n", "Icmp:\n", "    OutDestUnreachs: 1\n", "Udp:\n", "Tcp:\n", "    ActiveOpens: 0\n", "Arp eth0:\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("netstat output lacks %q:\n%s", want, out.String())
		}
	}
}
