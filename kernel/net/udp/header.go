// Package udp implements the User Datagram Protocol (RFC 768) over IPv4:
// endpoints that bind, connect, send to and receive from; demultiplexing of
// incoming datagrams; and the MIT lab's rule that a socket keeps at most 16
// undelivered datagrams, so a flood on one port never costs another port
// anything.
package udp

import (
	"encoding/binary"
	"errors"

	"scone/kernel/net/tcpip"
)

// HeaderLen is the size of a UDP header.
const HeaderLen = 8

// MaxPayload is the largest payload a UDP datagram over IPv4 can carry.
const MaxPayload = 65535 - 20 - HeaderLen

// Errors from Parse.
var (
	ErrTooShort = errors.New("udp: datagram too short")
	ErrLength   = errors.New("udp: bad length field")
	ErrChecksum = errors.New("udp: bad checksum")
)

// Header is a decoded UDP header.
type Header struct {
	SrcPort, DstPort uint16
	Length           int // header plus payload
	Checksum         uint16
}

// Parse decodes the header of b, a datagram received from src for dst,
// verifies its checksum (unless the sender left it zero, which RFC 768
// allows), and returns the payload.
func Parse(src, dst tcpip.Addr, b []byte) (Header, []byte, error) {
	return parse(src, dst, b, true)
}

// parse is Parse, with the checksum checked only if verify is set.
func parse(src, dst tcpip.Addr, b []byte, verify bool) (Header, []byte, error) {
	if len(b) < HeaderLen {
		return Header{}, nil, ErrTooShort
	}
	h := Header{
		SrcPort:  binary.BigEndian.Uint16(b[0:2]),
		DstPort:  binary.BigEndian.Uint16(b[2:4]),
		Length:   int(binary.BigEndian.Uint16(b[4:6])),
		Checksum: binary.BigEndian.Uint16(b[6:8]),
	}
	if h.Length < HeaderLen || h.Length > len(b) {
		return Header{}, nil, ErrLength
	}
	b = b[:h.Length]
	if verify && h.Checksum != 0 && tcpip.Checksum(b, tcpip.PseudoHeaderSum(src, dst, tcpip.ProtoUDP, h.Length)) != 0xffff {
		return Header{}, nil, ErrChecksum
	}
	return h, b[HeaderLen:], nil
}

// EncodePartial writes the header for a datagram of payloadLen bytes
// whose checksum the device completes (tcpip.Route.ChecksumOffload): the
// checksum field holds only the pseudo-header's sum.
func EncodePartial(b []byte, src, dst tcpip.FullAddr, payloadLen int) {
	_ = b[HeaderLen-1]
	n := HeaderLen + payloadLen
	binary.BigEndian.PutUint16(b[0:2], src.Port)
	binary.BigEndian.PutUint16(b[2:4], dst.Port)
	binary.BigEndian.PutUint16(b[4:6], uint16(n))
	binary.BigEndian.PutUint16(b[6:8], tcpip.PartialChecksum(src.Addr, dst.Addr, tcpip.ProtoUDP, n))
}

// Encode writes the header for a datagram carrying payload from src to dst
// into b[:HeaderLen], with its checksum.
func Encode(b []byte, src, dst tcpip.FullAddr, payload []byte) {
	_ = b[HeaderLen-1]
	n := HeaderLen + len(payload)
	binary.BigEndian.PutUint16(b[0:2], src.Port)
	binary.BigEndian.PutUint16(b[2:4], dst.Port)
	binary.BigEndian.PutUint16(b[4:6], uint16(n))
	b[6], b[7] = 0, 0
	sum := tcpip.Checksum(b[:HeaderLen], tcpip.PseudoHeaderSum(src.Addr, dst.Addr, tcpip.ProtoUDP, n))
	sum = ^tcpip.Checksum(payload, uint32(sum))
	if sum == 0 {
		sum = 0xffff // zero means "no checksum"; RFC 768 sends all ones instead
	}
	binary.BigEndian.PutUint16(b[6:8], sum)
}
