// Package arp implements the Address Resolution Protocol (RFC 826) for IPv4
// over Ethernet: the packet format, and a cache that resolves addresses,
// ages entries, retries requests and holds a bounded queue of packets
// waiting for an answer.
package arp

import (
	"encoding/binary"
	"errors"

	"scone/kernel/net/tcpip"
)

// PacketLen is the size of an ARP packet for IPv4 over Ethernet.
const PacketLen = 28

// Operations.
const (
	OpRequest uint16 = 1
	OpReply   uint16 = 2
)

const (
	hwEthernet = 1
	protoIPv4  = 0x0800
)

// Errors from Parse.
var (
	ErrTooShort    = errors.New("arp: packet too short")
	ErrUnsupported = errors.New("arp: not IPv4 over Ethernet")
	ErrBadOp       = errors.New("arp: unknown operation")
)

// Packet is an ARP request or reply.
type Packet struct {
	Op        uint16
	SenderMAC tcpip.MAC
	SenderIP  tcpip.Addr
	TargetMAC tcpip.MAC
	TargetIP  tcpip.Addr
}

// Parse decodes an ARP packet. Trailing bytes (Ethernet padding) are ignored.
func Parse(b []byte) (Packet, error) {
	if len(b) < PacketLen {
		return Packet{}, ErrTooShort
	}
	if binary.BigEndian.Uint16(b[0:2]) != hwEthernet ||
		binary.BigEndian.Uint16(b[2:4]) != protoIPv4 || b[4] != 6 || b[5] != 4 {
		return Packet{}, ErrUnsupported
	}
	var p Packet
	p.Op = binary.BigEndian.Uint16(b[6:8])
	if p.Op != OpRequest && p.Op != OpReply {
		return Packet{}, ErrBadOp
	}
	copy(p.SenderMAC[:], b[8:14])
	copy(p.SenderIP[:], b[14:18])
	copy(p.TargetMAC[:], b[18:24])
	copy(p.TargetIP[:], b[24:28])
	return p, nil
}

// Encode writes p into the first PacketLen bytes of b.
func Encode(b []byte, p Packet) {
	_ = b[PacketLen-1]
	binary.BigEndian.PutUint16(b[0:2], hwEthernet)
	binary.BigEndian.PutUint16(b[2:4], protoIPv4)
	b[4], b[5] = 6, 4
	binary.BigEndian.PutUint16(b[6:8], p.Op)
	copy(b[8:14], p.SenderMAC[:])
	copy(b[14:18], p.SenderIP[:])
	copy(b[18:24], p.TargetMAC[:])
	copy(b[24:28], p.TargetIP[:])
}
