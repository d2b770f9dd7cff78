package tcpip

import "syscall"

// IP protocol numbers (the IPv4 header's Protocol field).
const (
	ProtoICMP uint8 = 1
	ProtoTCP  uint8 = 6
	ProtoUDP  uint8 = 17
)

// Route says how the stack reaches a destination: which local address to
// send from, the next hop on the link, and how large a transport packet may be
// before IPv4 must fragment it.
type Route struct {
	Src     Addr  // local address to use as the source
	Dst     Addr  // final destination
	NextHop Addr  // Dst itself on a local subnet, else the gateway
	NIC     int   // index of the interface the packet leaves by
	MTU     int   // largest transport packet (header + data) sent unfragmented
	TTL     uint8 // time to live of the datagrams sent (IP_TTL); 0 for the stack's default
	TOS     uint8 // type of service byte of the datagrams sent (IP_TOS)
	// ChecksumOffload says the device fills in TCP and UDP checksums:
	// a transport packet of at most MTU bytes may carry just the
	// pseudo-header's sum (PartialChecksum).
	ChecksumOffload bool
	// GSO is TCP segmentation offload on the route's device.
	GSO GSO
}

// SendOptions are what sendmsg's control messages ask of one datagram
// (Linux's ipcm_cookie, filled by ip_cmsg_send); nil or the zero value
// asks nothing.
type SendOptions struct {
	TTL    uint8 // IP_TTL, 1-255; 0 keeps the socket's
	TOS    uint8 // IP_TOS, if HasTOS
	HasTOS bool
	// PktInfo says IP_PKTINFO came: its ipi_spec_dst replaces the
	// socket's source address (0.0.0.0: routing's choice) and a non-zero
	// ipi_ifindex (Linux's numbering: NIC id + 1) picks the interface.
	PktInfo bool
	Src     Addr
	IfIndex int
}

// GSO describes TCP segmentation offload (Linux's generic segmentation
// offload, done by the device). The network layer sets MaxSize in the
// routes it hands out; TCP sets MSS in the route it sends a packet
// larger than MTU with, which the network layer then gives the device
// whole, to be cut into segments of MSS bytes of payload.
type GSO struct {
	MaxSize int // largest TCP packet (header + data) the device segments; 0 for none
	MSS     int // payload bytes per segment, for a packet larger than MTU
}

// PartialChecksum is what a packet whose checksum the device completes
// carries in its checksum field: the folded, uncomplemented sum of the
// pseudo-header, never 0 (which in UDP means "no checksum").
func PartialChecksum(src, dst Addr, proto uint8, length int) uint16 {
	sum := PseudoHeaderSum(src, dst, proto, length)
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	if sum == 0 {
		sum = 0xffff
	}
	return uint16(sum)
}

// NetworkLayer is all a transport protocol sees of IPv4. Implementations are
// safe for concurrent use.
type NetworkLayer interface {
	// Route picks the route to dst. It fails with ENETUNREACH when there is
	// none. A non-zero src pins the source address (a bound socket).
	Route(src, dst Addr) (Route, error)

	// WritePacket sends one transport packet, hdr followed by payload, as an
	// IPv4 datagram along r, fragmenting it if it exceeds the link MTU. The
	// network layer copies what it needs: the caller may reuse hdr and
	// payload as soon as WritePacket returns.
	WritePacket(r Route, proto uint8, hdr, payload []byte) error

	// IsLocal reports whether a is one of this host's addresses, including
	// loopback; bind uses it to refuse foreign addresses (EADDRNOTAVAIL).
	IsLocal(a Addr) bool
}

// PacketInfo describes a received IPv4 datagram to a transport protocol.
type PacketInfo struct {
	Src, Dst  Addr
	TTL       uint8
	Broadcast bool // sent to a broadcast address (limited or directed)
	NIC       int  // interface it arrived on
	// ChecksumOK says the device vouched for the TCP or UDP checksum (see
	// link.CheckedDispatcher): the transport skips its own check.
	ChecksumOK bool
}

// ControlMessage is an ICMP error about a packet this host sent, already
// translated into what it means for a socket.
type ControlMessage struct {
	Type, Code uint8         // the ICMP type and code, for counters and logs
	Err        syscall.Errno // ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EMSGSIZE, ...
	MTU        int           // next-hop MTU, for "fragmentation needed"
}

// TransportHandler is a transport protocol as IPv4 sees it. Buffers passed to
// it are valid only for the duration of the call: keep a copy of anything
// needed later.
type TransportHandler interface {
	// HandlePacket delivers a datagram's payload (transport header and data;
	// IP header removed, fragments reassembled). It reports whether an
	// endpoint accepted it; for UDP, false makes the network layer answer
	// with ICMP port unreachable.
	HandlePacket(info PacketInfo, b []byte) bool

	// HandleControl delivers an ICMP error. src and dst are the addresses of
	// the offending datagram this host sent; orig is its transport header
	// (at least the first 8 bytes, so ports can be matched).
	HandleControl(msg ControlMessage, src, dst Addr, orig []byte)
}

// NICRouter is implemented by network layers that can send out of a chosen
// interface, whatever the route table says (Linux's SO_BINDTODEVICE). A DHCP
// client needs it to broadcast from 0.0.0.0 before its interface has an
// address.
type NICRouter interface {
	RouteNIC(nic int, src, dst Addr) (Route, error)
}

// Reporter is implemented by protocols whose counters `netstat -s` shows:
// Netstat returns the section's name ("Udp") and a struct (or pointer to
// one) whose Counter and integer fields are the counters. The stack asks
// every registered transport for it, so it need not know any of them.
type Reporter interface {
	Netstat() (name string, counters any)
}
