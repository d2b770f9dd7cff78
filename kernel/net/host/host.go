// Package host assembles one Scone machine's network on a link device:
// the stack with UDP and TCP registered, one interface, a DNS resolver,
// and a DHCP client whose leases configure the interface, its default
// route and the resolver. It is the glue between the protocol packages
// that the kernel, the tapnet tool and the Linux interop tests share, so
// none of them writes it again.
package host

import (
	"context"
	"errors"
	"sync"
	"time"

	"scone/kernel/net/dhcp"
	"scone/kernel/net/dns"
	"scone/kernel/net/link"
	"scone/kernel/net/stack"
	"scone/kernel/net/tcp"
	"scone/kernel/net/tcpip"
	"scone/kernel/net/udp"
)

// Host is one machine: a stack with a single network interface.
type Host struct {
	Stack    *stack.Stack
	UDP      *udp.Protocol
	TCP      *tcp.Protocol
	NIC      int
	Resolver *dns.Resolver

	dnsConn *UDPConn

	mu       sync.Mutex
	dhcp     *dhcp.Client
	dhcpConn *UDPConn
	lease    dhcp.Lease
	leased   chan struct{} // closed at the first lease
	onLease  func(dhcp.Lease, bool)
}

// Options configure a Host.
type Options struct {
	Name  string      // interface name (default "eth0")
	TCP   tcp.Options // TCP tuning
	Hosts *dns.Hosts  // static names for the resolver; may be nil
	// OnLease, if set, is told of every lease change: bound true for a
	// new or renewed lease, false when one is lost.
	OnLease func(l dhcp.Lease, bound bool)
}

// New builds a host on dev. The interface has no address until
// Configure or StartDHCP gives it one.
func New(dev link.Endpoint, opts Options) (*Host, error) {
	if opts.Name == "" {
		opts.Name = "eth0"
	}
	s := stack.New(stack.Options{})
	u := udp.New(s)
	s.RegisterTransport(tcpip.ProtoUDP, u)
	t := tcp.NewProtocol(s, s.Clock(), opts.TCP)
	s.RegisterTransport(tcpip.ProtoTCP, t)
	nic, err := s.AddNIC(opts.Name, dev)
	if err != nil {
		return nil, err
	}
	n := &Host{Stack: s, UDP: u, TCP: t, NIC: nic, leased: make(chan struct{}), onLease: opts.OnLease}
	var resolver *dns.Resolver
	n.dnsConn, err = ListenUDP(u, tcpip.FullAddr{}, -1, func(src tcpip.FullAddr, b []byte) {
		resolver.Deliver(src, b)
	})
	if err != nil {
		return nil, err
	}
	resolver = dns.New(dns.Config{Conn: dnsConn{n.dnsConn}, Clock: s.Clock(), Hosts: opts.Hosts})
	n.Resolver = resolver
	return n, nil
}

// Configure sets a static address, prefix and gateway, and DNS servers.
func (n *Host) Configure(addr tcpip.Addr, prefixLen int, gateway tcpip.Addr, dnsServers []tcpip.Addr) error {
	if err := n.Stack.Configure(n.NIC, stack.Config{Addr: addr, PrefixLen: prefixLen, Gateway: gateway}); err != nil {
		return err
	}
	n.Resolver.SetServers(dnsServers)
	return nil
}

// StartDHCP starts the DHCP client on the interface. Every lease it binds
// configures the interface, its default route and the resolver's servers;
// a lost lease removes the address.
func (n *Host) StartDHCP(hostname string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.dhcp != nil {
		return errors.New("host: DHCP already started")
	}
	var c *dhcp.Client
	conn, err := ListenUDP(n.UDP, tcpip.FullAddr{Port: dhcp.ClientPort}, n.NIC,
		func(src tcpip.FullAddr, b []byte) { c.Deliver(src, b) })
	if err != nil {
		return err
	}
	c = dhcp.NewClient(dhcp.Config{
		MAC: n.Stack.NICs()[n.NIC].MAC, Conn: dhcpConn{conn}, Clock: n.Stack.Clock(),
		Hostname: hostname, OnBound: n.bound, OnLost: n.lost,
	})
	n.dhcp, n.dhcpConn = c, conn
	c.Start()
	return nil
}

func (n *Host) bound(l dhcp.Lease) {
	n.mu.Lock()
	old := n.lease
	n.lease = l
	n.mu.Unlock()
	// A renewal usually changes nothing; reconfiguring anyway would
	// briefly remove the routes under live connections.
	if l.Addr != old.Addr || l.Subnet != old.Subnet || l.Router != old.Router {
		n.Stack.Configure(n.NIC, stack.Config{Addr: l.Addr, PrefixLen: l.Subnet.Bits, Gateway: l.Router})
	}
	n.Resolver.SetServers(l.DNS)
	n.mu.Lock()
	select {
	case <-n.leased:
	default:
		close(n.leased)
	}
	f := n.onLease
	n.mu.Unlock()
	if f != nil {
		f(l, true)
	}
}

func (n *Host) lost(l dhcp.Lease) {
	n.Stack.RemoveAddress(n.NIC)
	n.mu.Lock()
	n.lease = dhcp.Lease{}
	f := n.onLease
	n.mu.Unlock()
	if f != nil {
		f(l, false)
	}
}

// WaitLease waits for the first DHCP lease, or ctx.
func (n *Host) WaitLease(ctx context.Context) (dhcp.Lease, error) {
	select {
	case <-n.leased:
		n.mu.Lock()
		defer n.mu.Unlock()
		return n.lease, nil
	case <-ctx.Done():
		return dhcp.Lease{}, ctx.Err()
	}
}

// DHCP returns the DHCP client, or nil before StartDHCP.
func (n *Host) DHCP() *dhcp.Client {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.dhcp
}

// Ping sends an echo request to dst and waits for the reply.
func (n *Host) Ping(ctx context.Context, dst tcpip.Addr, seq uint16) (time.Duration, error) {
	return n.Stack.ICMP().Ping(ctx, dst, seq, []byte("scone ping"))
}

// Close stops DHCP (releasing the lease) and the resolver's socket, and
// closes the stack's devices.
func (n *Host) Close() {
	n.mu.Lock()
	c, conn := n.dhcp, n.dhcpConn
	n.mu.Unlock()
	if c != nil {
		c.Release()
		conn.Close()
	}
	n.dnsConn.Close()
	n.Stack.Close()
}
