// Package ethernet encodes and decodes Ethernet II headers (IEEE 802.3
// with an EtherType rather than a length, as every IP host uses).
package ethernet

import (
	"encoding/binary"
	"errors"

	"scone/kernel/net/tcpip"
)

// HeaderLen is the length of an Ethernet II header.
const HeaderLen = 14

// EtherTypes this stack understands.
const (
	TypeIPv4 uint16 = 0x0800
	TypeARP  uint16 = 0x0806
)

// minEtherType is the smallest value that is a type rather than an 802.3
// length.
const minEtherType = 0x0600

// Errors from Parse.
var (
	ErrTooShort = errors.New("ethernet: frame shorter than header")
	ErrLength   = errors.New("ethernet: 802.3 length frame, not Ethernet II")
)

// Header is an Ethernet II header.
type Header struct {
	Dst, Src tcpip.MAC
	Type     uint16
}

// Parse decodes the header at the start of frame and returns it with the
// payload that follows. Frames padded to the 60-byte minimum keep their
// padding: the network layer trims it using its own length field.
func Parse(frame []byte) (Header, []byte, error) {
	if len(frame) < HeaderLen {
		return Header{}, nil, ErrTooShort
	}
	var h Header
	copy(h.Dst[:], frame[0:6])
	copy(h.Src[:], frame[6:12])
	h.Type = binary.BigEndian.Uint16(frame[12:14])
	if h.Type < minEtherType {
		return Header{}, nil, ErrLength
	}
	return h, frame[HeaderLen:], nil
}

// Encode writes h into the first HeaderLen bytes of b.
func Encode(b []byte, h Header) {
	_ = b[HeaderLen-1]
	copy(b[0:6], h.Dst[:])
	copy(b[6:12], h.Src[:])
	binary.BigEndian.PutUint16(b[12:14], h.Type)
}

// IsMulticast reports whether m is a group (multicast or broadcast) address.
func IsMulticast(m tcpip.MAC) bool { return m[0]&1 != 0 }
