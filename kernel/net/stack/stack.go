// Package stack ties Scone's network stack together: interfaces (NICs)
// with their ARP caches and addresses, the IPv4 input and output paths,
// the route table, loopback, and the transport protocols. A Stack is the
// tcpip.NetworkLayer that UDP, TCP and ICMP send through, and the
// link.Dispatcher that every device delivers frames to.
//
// The stack owns ICMP, which RFC 792 makes an integral part of IP (it
// sends port unreachable and time exceeded itself), but imports no
// transport: UDP and TCP are built over the stack's tcpip.NetworkLayer and
// registered with RegisterTransport, and the stack reaches them only
// through tcpip.TransportHandler and tcpip.Reporter.
//
// A packet's path in: device -> nic.DeliverFrame (Ethernet) -> ARP or
// Stack.receiveIPv4 (header check, destination check, reassembly) ->
// the transport's HandlePacket. Out: transport -> Route -> WritePacket
// (IPv4 header, fragmentation) -> ARP resolution -> device.WriteFrame.
package stack

import (
	"sync"
	"sync/atomic"
	"syscall"

	"scone/kernel/net/arp"
	"scone/kernel/net/clock"
	"scone/kernel/net/icmp"
	"scone/kernel/net/ipv4"
	"scone/kernel/net/link"
	"scone/kernel/net/loopback"
	"scone/kernel/net/tcpip"
)

// Options configure a Stack. Zero values take defaults.
type Options struct {
	Clock      clock.Clock // the real clock if nil
	ARP        arp.Config
	Reassembly ipv4.ReassemblyConfig
	TTL        uint8 // for datagrams this host sends (64)
	// NoLoopback leaves out the loopback device (NIC 0 is then the
	// first added device); tests of one path use it.
	NoLoopback bool
}

// LoopbackNIC is the index of the loopback device.
const LoopbackNIC = 0

// Stack is one host's network stack. It is safe for concurrent use.
type Stack struct {
	clock clock.Clock
	opts  Options
	reasm *ipv4.Reassembler
	icmp  *icmp.Protocol
	ipID  atomic.Uint32
	Stats Stats

	routes     ipv4.RouteTable
	transports [256]atomic.Pointer[transportSlot]

	mu   sync.Mutex             // serialises configuration changes
	nics atomic.Pointer[[]*nic] // read without a lock on every packet
}

type transportSlot struct{ h tcpip.TransportHandler }

// New returns a stack with ICMP registered and, unless
// opts.NoLoopback, the loopback device up as NIC 0 with 127.0.0.1/8.
func New(opts Options) *Stack {
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.TTL == 0 {
		opts.TTL = ipv4.DefaultTTL
	}
	s := &Stack{clock: opts.Clock, opts: opts}
	if opts.Reassembly.OnTimeout == nil {
		opts.Reassembly.OnTimeout = s.reassemblyTimeout
	}
	s.reasm = ipv4.NewReassembler(opts.Reassembly, opts.Clock)
	s.icmp = icmp.New(s, opts.Clock, s.Transport)
	s.RegisterTransport(tcpip.ProtoICMP, s.icmp)
	empty := []*nic{}
	s.nics.Store(&empty)
	if !opts.NoLoopback {
		id, _ := s.AddNIC("lo", loopback.New(0))
		s.SetAddress(id, tcpip.LoopbackAddr, 8)
	}
	return s
}

// Clock returns the stack's clock (TCP and DHCP run their timers on it).
func (s *Stack) Clock() clock.Clock { return s.clock }

// ICMP returns the stack's ICMP protocol (for Ping).
func (s *Stack) ICMP() *icmp.Protocol { return s.icmp }

// RegisterTransport makes h the handler of IP protocol proto:
// s.RegisterTransport(tcpip.ProtoUDP, udp.New(s)), and TCP likewise.
func (s *Stack) RegisterTransport(proto uint8, h tcpip.TransportHandler) {
	s.transports[proto].Store(&transportSlot{h})
}

// Transport returns the handler registered for proto, or nil. It is read
// without a lock on every packet.
func (s *Stack) Transport(proto uint8) tcpip.TransportHandler {
	if t := s.transports[proto].Load(); t != nil {
		return t.h
	}
	return nil
}

// AddNIC attaches a device and returns its index. Devices whose MAC is all
// zeros are treated as loopback: no ARP, every frame is for us.
func (s *Stack) AddNIC(name string, ep link.Endpoint) (int, error) {
	if ep.MTU() < 68 { // RFC 791: every link carries 68-byte datagrams
		return 0, syscall.EINVAL
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.nics.Load()
	n := &nic{s: s, id: len(old), name: name, ep: ep, mac: ep.MAC()}
	n.mtu.Store(int32(ep.MTU()))
	n.loopback = n.mac == tcpip.MAC{}
	if o, ok := ep.(link.ChecksumOffloader); ok && !n.loopback {
		n.offload = o.TxChecksumOffload()
	}
	// Segmentation offload needs the device to checksum each segment.
	if g, ok := ep.(link.GSOEndpoint); ok && n.offload {
		n.gso = min(g.GSOMaxSize(), ipv4.MaxTotalLen) - ipv4.HeaderLen
		if n.gso <= ep.MTU()-ipv4.HeaderLen {
			n.gso = 0
		}
	}
	if !n.loopback {
		n.arp = arp.NewCache(s.opts.ARP, s.clock, n)
	}
	list := append(append([]*nic(nil), old...), n)
	s.nics.Store(&list)
	ep.Attach(n)
	return n.id, nil
}

func (s *Stack) nic(id int) *nic {
	list := *s.nics.Load()
	if id < 0 || id >= len(list) {
		return nil
	}
	return list[id]
}

// NICInfo describes an interface (what `ifconfig` prints).
type NICInfo struct {
	ID       int
	Name     string
	MAC      tcpip.MAC
	MTU      int
	Loopback bool
	Up       bool       // IFF_UP: not taken down with SetUp
	Addr     tcpip.Addr // unspecified if none
	Subnet   tcpip.Subnet
	// Counters since the interface was added.
	RxPackets, RxBytes, TxPackets, TxBytes, TxErrors uint64
}

// NICs returns every interface.
func (s *Stack) NICs() []NICInfo {
	var out []NICInfo
	for _, n := range *s.nics.Load() {
		st := &n.stats
		info := NICInfo{
			ID: n.id, Name: n.name, MAC: n.mac, MTU: n.MTU(), Loopback: n.loopback, Up: !n.down.Load(),
			RxPackets: st.RxPackets.Value(), RxBytes: st.RxBytes.Value(),
			TxPackets: st.TxPackets.Value(), TxBytes: st.TxBytes.Value(), TxErrors: st.TxErrors.Value(),
		}
		if a := n.addr.Load(); a != nil {
			info.Addr, info.Subnet = a.addr, a.subnet
		}
		out = append(out, info)
	}
	return out
}

// NICByName returns the index of the named interface.
func (s *Stack) NICByName(name string) (int, bool) {
	for _, n := range *s.nics.Load() {
		if n.name == name {
			return n.id, true
		}
	}
	return 0, false
}

// SetAddress gives NIC id the address addr in a subnet of prefixLen bits,
// replacing its previous address, adds the on-link route for the subnet
// and announces the address with a gratuitous ARP.
func (s *Stack) SetAddress(id int, addr tcpip.Addr, prefixLen int) error {
	n := s.nic(id)
	if n == nil || prefixLen < 0 || prefixLen > 32 {
		return syscall.EINVAL
	}
	s.mu.Lock()
	if old := n.addr.Load(); old != nil {
		s.routes.Remove(old.subnet, id)
	}
	sub := tcpip.SubnetOf(addr, prefixLen)
	n.addr.Store(&ifaddr{addr: addr, subnet: sub})
	if !n.down.Load() { // as Linux's fib_add_ifaddr: a down interface gets its subnet route when it comes up
		s.routes.Add(ipv4.RouteEntry{Dest: sub, NIC: id})
	}
	s.mu.Unlock()
	if n.arp != nil {
		n.arp.Remove(addr)
		n.sendARP(arp.OpRequest, tcpip.BroadcastMAC, tcpip.MAC{}, addr) // gratuitous
	}
	return nil
}

// SetMTU sets NIC id's MTU (SIOCSIFMTU), between IPv4's 68 bytes and
// what the device carries (EINVAL otherwise, as Linux's dev_set_mtu).
// Packets sent from then on are fragmented to it, and routes looked up
// carry it, so TCP sizes its segments by it (MTU).
func (s *Stack) SetMTU(id, mtu int) error {
	n := s.nic(id)
	if n == nil {
		return syscall.ENODEV
	}
	if mtu < 68 || mtu > n.ep.MTU() {
		return syscall.EINVAL
	}
	n.mtu.Store(int32(mtu))
	return nil
}

// MTU returns NIC id's MTU, or 0 if there is no such interface. TCP
// checks the MTU of a connection's interface before it sends, as
// Linux's tcp_current_mss follows the route's MTU.
func (s *Stack) MTU(id int) int {
	if n := s.nic(id); n != nil {
		return n.MTU()
	}
	return 0
}

// SetUp brings NIC id up or takes it down (SIOCSIFFLAGS with or without
// IFF_UP). As on Linux, a down interface sends and receives nothing, its
// ARP cache is flushed and every route through it is removed (sockets
// then get ENETUNREACH); it keeps its address, and bringing it up again
// restores the route to its subnet, but not a default route or others
// added by hand.
func (s *Stack) SetUp(id int, up bool) error {
	n := s.nic(id)
	if n == nil {
		return syscall.ENODEV
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if up == !n.down.Load() {
		return nil
	}
	n.down.Store(!up)
	if !up {
		s.routes.RemoveNIC(id)
		if n.arp != nil {
			n.arp.Flush()
		}
		return nil
	}
	if ia := n.addr.Load(); ia != nil {
		s.routes.Add(ipv4.RouteEntry{Dest: ia.subnet, NIC: id})
	}
	return nil
}

// RemoveAddress takes NIC id's address away, with its routes.
func (s *Stack) RemoveAddress(id int) error {
	n := s.nic(id)
	if n == nil {
		return syscall.EINVAL
	}
	s.mu.Lock()
	n.addr.Store(nil)
	s.routes.RemoveNIC(id)
	s.mu.Unlock()
	if n.arp != nil {
		n.arp.Flush()
	}
	return nil
}

// Config is an interface's configuration as DHCP delivers it.
type Config struct {
	Addr      tcpip.Addr
	PrefixLen int
	Gateway   tcpip.Addr // unspecified: no default route
}

// Configure sets NIC id's address, subnet route and default gateway at
// once, replacing what it had.
func (s *Stack) Configure(id int, c Config) error {
	if err := s.SetAddress(id, c.Addr, c.PrefixLen); err != nil {
		return err
	}
	s.routes.Remove(tcpip.Subnet{}, id)
	if !c.Gateway.IsUnspecified() {
		s.AddRoute(ipv4.RouteEntry{Dest: tcpip.Subnet{}, Gateway: c.Gateway, NIC: id})
	}
	return nil
}

// AddRoute adds a route (a default route has Dest 0.0.0.0/0).
func (s *Stack) AddRoute(e ipv4.RouteEntry) { s.routes.Add(e) }

// RemoveRoute deletes the route for dest through NIC id, reporting
// whether there was one.
func (s *Stack) RemoveRoute(dest tcpip.Subnet, id int) bool { return s.routes.Remove(dest, id) }

// Routes returns the route table, longest prefix first.
func (s *Stack) Routes() []ipv4.RouteEntry { return s.routes.Entries() }

// ARPEntries returns NIC id's ARP cache.
func (s *Stack) ARPEntries(id int) []arp.EntryInfo {
	if n := s.nic(id); n != nil && n.arp != nil {
		return n.arp.Entries()
	}
	return nil
}

// IsLocal reports whether a is an address of this host.
func (s *Stack) IsLocal(a tcpip.Addr) bool {
	if a.IsLoopback() {
		return !s.opts.NoLoopback
	}
	for _, n := range *s.nics.Load() {
		if ia := n.addr.Load(); ia != nil && ia.addr == a {
			return true
		}
	}
	return false
}

// IsBroadcast reports whether a is the limited broadcast address or the
// directed broadcast of a subnet this host has an address in (what
// Linux's routes mark RTCF_BROADCAST).
func (s *Stack) IsBroadcast(a tcpip.Addr) bool {
	if a == tcpip.BroadcastAddr {
		return true
	}
	for _, n := range *s.nics.Load() {
		if ia := n.addr.Load(); ia != nil && ia.subnet.Bits < 31 && ia.subnet.Broadcast() == a {
			return true
		}
	}
	return false
}

// Reassembly returns the fragment reassembler (for its statistics and
// memory bound).
func (s *Stack) Reassembly() *ipv4.Reassembler { return s.reasm }

// Close stops every device that can be stopped (those with a Close
// method, such as loopback and pipe ends). The stack must not be used
// afterwards.
func (s *Stack) Close() {
	for _, n := range *s.nics.Load() {
		if c, ok := n.ep.(interface{ Close() }); ok {
			c.Close()
		}
	}
}
