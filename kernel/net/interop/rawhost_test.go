package interop

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"scone/kernel/net/clock"
	"scone/kernel/net/dhcp"
	"scone/kernel/net/dns"
	"scone/kernel/net/tcpip"
)

// rawHost is a minimal IPv4/UDP host built from gopacket, used to test the
// DHCP client and the DNS resolver against dnsmasq on their own, apart from
// Scone's stack: a failure here is in the protocol code, not the stack. It
// answers ARP for its address and hands UDP datagrams to per-port handlers.
type rawHost struct {
	t        *testing.T
	e        *env
	mu       sync.Mutex
	addr     tcpip.Addr
	handlers map[uint16]func(src tcpip.FullAddr, b []byte)
}

func newRawHost(t *testing.T, e *env) *rawHost {
	h := &rawHost{t: t, e: e, handlers: map[uint16]func(tcpip.FullAddr, []byte){}}
	e.tap.Attach(h)
	return h
}

func (h *rawHost) handle(port uint16, f func(tcpip.FullAddr, []byte)) {
	h.mu.Lock()
	h.handlers[port] = f
	h.mu.Unlock()
}

func (h *rawHost) setAddr(a tcpip.Addr) {
	h.mu.Lock()
	h.addr = a
	h.mu.Unlock()
}

// DeliverFrame implements link.Dispatcher.
func (h *rawHost) DeliverFrame(frame []byte) {
	p := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.NoCopy)
	h.mu.Lock()
	addr := h.addr
	h.mu.Unlock()
	if arp, ok := p.Layer(layers.LayerTypeARP).(*layers.ARP); ok {
		if arp.Operation == layers.ARPRequest && tcpip.Addr(arp.DstProtAddress) == addr && !addr.IsUnspecified() {
			h.sendARPReply(arp)
		}
		return
	}
	ip, ok := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	udp, ok2 := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
	if !ok || !ok2 {
		return
	}
	dst := tcpip.Addr(ip.DstIP.To4())
	if dst != addr && dst != tcpip.BroadcastAddr {
		return
	}
	h.mu.Lock()
	f := h.handlers[uint16(udp.DstPort)]
	h.mu.Unlock()
	if f != nil {
		f(tcpip.FullAddr{Addr: tcpip.Addr(ip.SrcIP.To4()), Port: uint16(udp.SrcPort)}, udp.Payload)
	}
}

func (h *rawHost) sendARPReply(req *layers.ARP) {
	eth := &layers.Ethernet{SrcMAC: stackMAC[:], DstMAC: req.SourceHwAddress, EthernetType: layers.EthernetTypeARP}
	arp := &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: layers.ARPReply, SourceHwAddress: stackMAC[:], SourceProtAddress: req.DstProtAddress,
		DstHwAddress: req.SourceHwAddress, DstProtAddress: req.SourceProtAddress}
	h.write(eth, arp)
}

// sendUDP sends one datagram; anything not broadcast goes to Linux's MAC.
func (h *rawHost) sendUDP(src, dst tcpip.FullAddr, payload []byte) error {
	dmac := h.e.linuxMAC[:]
	if dst.Addr == tcpip.BroadcastAddr {
		dmac = tcpip.BroadcastMAC[:]
	}
	eth := &layers.Ethernet{SrcMAC: stackMAC[:], DstMAC: dmac, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP,
		SrcIP: net.IP(src.Addr[:]), DstIP: net.IP(dst.Addr[:])}
	udp := &layers.UDP{SrcPort: layers.UDPPort(src.Port), DstPort: layers.UDPPort(dst.Port)}
	udp.SetNetworkLayerForChecksum(ip)
	return h.write(eth, ip, udp, gopacket.Payload(payload))
}

func (h *rawHost) write(ls ...gopacket.SerializableLayer) error {
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		h.t.Errorf("serialize: %v", err)
		return err
	}
	return h.e.tap.WriteFrame(buf.Bytes())
}

// rawDHCPConn and rawDNSConn adapt rawHost to the clients' Conn interfaces.
type rawDHCPConn struct{ h *rawHost }

func (c rawDHCPConn) Send(src, dst tcpip.Addr, b []byte) error {
	return c.h.sendUDP(tcpip.FullAddr{Addr: src, Port: dhcp.ClientPort}, tcpip.FullAddr{Addr: dst, Port: dhcp.ServerPort}, b)
}

type rawDNSConn struct{ h *rawHost }

const rawDNSPort = 40053

func (c rawDNSConn) Send(dst tcpip.FullAddr, b []byte) error {
	c.h.mu.Lock()
	src := c.h.addr
	c.h.mu.Unlock()
	return c.h.sendUDP(tcpip.FullAddr{Addr: src, Port: rawDNSPort}, dst, b)
}

// TestProtocolsAgainstDnsmasq leases an address from dnsmasq with the DHCP
// client and resolves names through it, over gopacket-built frames.
func TestProtocolsAgainstDnsmasq(t *testing.T) {
	e := newEnv(t)
	h := newRawHost(t, e)

	bound := make(chan dhcp.Lease, 4)
	c := dhcp.NewClient(dhcp.Config{
		MAC: stackMAC, Conn: rawDHCPConn{h}, Clock: clock.Real{}, Hostname: "scone",
		OnBound: func(l dhcp.Lease) { bound <- l },
	})
	h.handle(dhcp.ClientPort, c.Deliver)
	start := time.Now()
	c.Start()
	defer c.Stop()
	var l dhcp.Lease
	select {
	case l = <-bound:
	case <-time.After(30 * time.Second):
		t.Fatalf("no lease from dnsmasq in 30s; client stats %+v\n%s", c.Stats(), e.dnsmasq)
	}
	t.Logf("lease %v/%d router %v dns %v for %v in %v", l.Addr, l.Subnet.Bits, l.Router, l.DNS, l.Duration, time.Since(start))
	e.checkLease(t, l)
	h.setAddr(l.Addr)

	r := dns.New(dns.Config{Servers: l.DNS, Conn: rawDNSConn{h}, Clock: clock.Real{}, Timeout: time.Second, Attempts: 3})
	h.handle(rawDNSPort, r.Deliver)
	checkLookups(t, r)
}
