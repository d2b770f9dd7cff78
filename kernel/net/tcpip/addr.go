// Package tcpip holds the small vocabulary every layer of Scone's network
// stack shares: addresses, the Internet checksum, protocol numbers, and the
// interfaces between the network layer (IPv4) and the transport protocols
// (ICMP, UDP, TCP). It imports nothing but the standard library.
//
// The buffer rule holds across every interface of the stack: a buffer
// passed down (WritePacket, a device's WriteFrame) or up (a Dispatcher's
// DeliverFrame, HandlePacket, HandleControl) is borrowed for the call only.
// The callee copies what it keeps; the caller may reuse the buffer as soon
// as the call returns. That lets every layer use pooled or stack-allocated
// buffers and keeps the hot path free of allocation.
package tcpip

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Addr is an IPv4 address in network byte order.
type Addr [4]byte

// Well-known addresses.
var (
	AnyAddr       = Addr{}                   // 0.0.0.0: "unspecified" / any local address
	BroadcastAddr = Addr{255, 255, 255, 255} // limited broadcast
	LoopbackAddr  = Addr{127, 0, 0, 1}
)

// AddrFrom4 returns the address a.b.c.d.
func AddrFrom4(a, b, c, d byte) Addr { return Addr{a, b, c, d} }

// ParseAddr parses dotted-quad notation such as "10.0.2.15".
func ParseAddr(s string) (Addr, error) {
	var a Addr
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return Addr{}, fmt.Errorf("tcpip: bad IPv4 address %q", s)
	}
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 8)
		if err != nil || p == "" || (len(p) > 1 && p[0] == '0') {
			return Addr{}, fmt.Errorf("tcpip: bad IPv4 address %q", s)
		}
		a[i] = byte(n)
	}
	return a, nil
}

// MustParseAddr is ParseAddr for constants in code and tests; it panics on error.
func MustParseAddr(s string) Addr {
	a, err := ParseAddr(s)
	if err != nil {
		panic(err)
	}
	return a
}

// Uint32 returns the address as a host-order integer (for masks and arithmetic).
func (a Addr) Uint32() uint32 {
	return uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
}

// AddrFromUint32 is the inverse of Addr.Uint32.
func AddrFromUint32(v uint32) Addr {
	return Addr{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}

// IsUnspecified reports whether a is 0.0.0.0.
func (a Addr) IsUnspecified() bool { return a == AnyAddr }

// IsLoopback reports whether a is in 127.0.0.0/8.
func (a Addr) IsLoopback() bool { return a[0] == 127 }

// IsMulticast reports whether a is in 224.0.0.0/4.
func (a Addr) IsMulticast() bool { return a[0]&0xf0 == 0xe0 }

// String returns dotted-quad notation.
func (a Addr) String() string {
	var b [15]byte
	out := strconv.AppendUint(b[:0], uint64(a[0]), 10)
	for _, x := range a[1:] {
		out = append(out, '.')
		out = strconv.AppendUint(out, uint64(x), 10)
	}
	return string(out)
}

// Subnet is an IPv4 prefix such as 10.0.2.0/24.
type Subnet struct {
	Addr Addr // network address (host bits zero)
	Bits int  // prefix length, 0..32
}

// Mask returns the netmask of the subnet as an address (255.255.255.0 for /24).
func (s Subnet) Mask() Addr { return AddrFromUint32(maskBits(s.Bits)) }

// Contains reports whether a lies inside s.
func (s Subnet) Contains(a Addr) bool {
	m := maskBits(s.Bits)
	return a.Uint32()&m == s.Addr.Uint32()&m
}

// Broadcast returns the subnet's directed-broadcast address.
func (s Subnet) Broadcast() Addr { return AddrFromUint32(s.Addr.Uint32() | ^maskBits(s.Bits)) }

func (s Subnet) String() string { return s.Addr.String() + "/" + strconv.Itoa(s.Bits) }

// SubnetOf returns the subnet of a with the given prefix length.
func SubnetOf(a Addr, bits int) Subnet {
	return Subnet{Addr: AddrFromUint32(a.Uint32() & maskBits(bits)), Bits: bits}
}

// MaskLen returns the prefix length of a contiguous netmask, or an error.
func MaskLen(mask Addr) (int, error) {
	m := mask.Uint32()
	n := 0
	for n < 32 && m&(1<<(31-n)) != 0 {
		n++
	}
	if m != maskBits(n) {
		return 0, errors.New("tcpip: non-contiguous netmask " + mask.String())
	}
	return n, nil
}

func maskBits(bits int) uint32 {
	if bits <= 0 {
		return 0
	}
	if bits >= 32 {
		return 0xffffffff
	}
	return ^uint32(0) << (32 - bits)
}

// MAC is an Ethernet hardware address.
type MAC [6]byte

// BroadcastMAC is ff:ff:ff:ff:ff:ff.
var BroadcastMAC = MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

func (m MAC) String() string {
	const hex = "0123456789abcdef"
	b := make([]byte, 0, 17)
	for i, x := range m {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hex[x>>4], hex[x&0xf])
	}
	return string(b)
}

// ParseMAC parses "52:54:00:12:34:56".
func ParseMAC(s string) (MAC, error) {
	var m MAC
	parts := strings.Split(s, ":")
	if len(parts) != 6 {
		return MAC{}, fmt.Errorf("tcpip: bad MAC address %q", s)
	}
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 16, 8)
		if err != nil || len(p) != 2 {
			return MAC{}, fmt.Errorf("tcpip: bad MAC address %q", s)
		}
		m[i] = byte(n)
	}
	return m, nil
}

// FullAddr is an IPv4 address and a transport port (UDP or TCP).
type FullAddr struct {
	Addr Addr
	Port uint16
}

func (f FullAddr) String() string { return f.Addr.String() + ":" + strconv.Itoa(int(f.Port)) }
