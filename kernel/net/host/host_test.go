package host

import (
	"context"
	"sync"
	"testing"
	"time"

	"scone/kernel/net/arp"
	"scone/kernel/net/dhcp"
	"scone/kernel/net/ethernet"
	"scone/kernel/net/link"
	"scone/kernel/net/tcpip"
)

var (
	addrA = tcpip.MustParseAddr("10.1.0.1")
	addrB = tcpip.MustParseAddr("10.1.0.2")
)

// TestDHCPOverStack leases A's address from a small DHCP server on B,
// through both stacks' UDP, and checks that the lease configures A's
// interface, that A announces it with a gratuitous ARP, and that A can
// then use it.
func TestDHCPOverStack(t *testing.T) {
	var mu sync.Mutex
	var gratuitous []tcpip.Addr // sender IPs of ARP requests for themselves
	cfg := link.PipeConfig{Observe: func(_ *link.PipeEnd, f []byte) {
		eh, rest, err := ethernet.Parse(f)
		if err != nil || eh.Type != ethernet.TypeARP {
			return
		}
		if p, err := arp.Parse(rest); err == nil && p.SenderIP == p.TargetIP {
			mu.Lock()
			gratuitous = append(gratuitous, p.SenderIP)
			mu.Unlock()
		}
	}}
	ea, eb := link.NewPipe(cfg, tcpip.MAC{2, 0, 0, 0, 0, 1}, tcpip.MAC{2, 0, 0, 0, 0, 2})
	a, err := New(ea, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(eb, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	t.Cleanup(b.Close)
	b.Configure(addrB, 24, tcpip.Addr{}, nil)

	var srv *UDPConn
	srv, err = ListenUDP(b.UDP, tcpip.FullAddr{Port: dhcp.ServerPort}, -1, func(src tcpip.FullAddr, q []byte) {
		m, err := dhcp.Parse(q)
		if err != nil {
			return
		}
		r := &dhcp.Message{Op: 2, XID: m.XID, CHAddr: m.CHAddr, YIAddr: addrA, ServerID: addrB,
			SubnetMask: tcpip.MustParseAddr("255.255.255.0"), Routers: []tcpip.Addr{addrB},
			DNS: []tcpip.Addr{addrB}, LeaseTime: time.Hour}
		switch m.Type {
		case dhcp.Discover:
			r.Type = dhcp.Offer
		case dhcp.Request:
			r.Type = dhcp.Ack
		default:
			return
		}
		srv.SendTo(tcpip.FullAddr{Addr: tcpip.BroadcastAddr, Port: dhcp.ClientPort}, r.Marshal())
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	if err := a.StartDHCP("a"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := a.WaitLease(ctx)
	if err != nil {
		t.Fatalf("no lease: %v; client %+v", err, a.DHCP().Stats())
	}
	info := a.Stack.NICs()[a.NIC]
	if l.Addr != addrA || info.Addr != addrA || info.Subnet != tcpip.SubnetOf(addrA, 24) {
		t.Fatalf("lease %v, interface %v %v", l.Addr, info.Addr, info.Subnet)
	}
	if r := a.Stack.Routes(); len(r) == 0 || r[len(r)-1].Gateway != addrB {
		t.Errorf("routes after the lease: %v, want a default route via %v", r, addrB)
	}
	if _, err := a.Ping(ctx, addrB, 1); err != nil {
		t.Fatalf("ping from the leased address: %v", err)
	}
	// The gratuitous ARP left before the ping's request did, and the
	// ping's answer came after both, so it has been observed by now.
	mu.Lock()
	defer mu.Unlock()
	found := false
	for _, g := range gratuitous {
		found = found || g == addrA
	}
	if !found {
		t.Errorf("no gratuitous ARP for the leased %v (saw %v)", addrA, gratuitous)
	}
}
