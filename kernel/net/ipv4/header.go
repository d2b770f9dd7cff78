// Package ipv4 holds IPv4 (RFC 791) as pure functions and data structures:
// the header, fragmentation on send, reassembly with bounded memory and a
// timeout, and the route table. The stack package drives them.
package ipv4

import (
	"encoding/binary"
	"errors"

	"scone/kernel/net/tcpip"
)

// Header sizes and limits.
const (
	HeaderLen    = 20    // header without options
	MaxHeaderLen = 60    // IHL is four bits of 32-bit words
	MaxTotalLen  = 65535 // the Total Length field is 16 bits
	DefaultTTL   = 64
)

// Flags in the header (the top three bits of the fragment field).
const (
	FlagDF = 0x2 // don't fragment
	FlagMF = 0x1 // more fragments
)

// Option kinds that need special handling when walking options.
const (
	optEnd = 0
	optNOP = 1
)

// Errors from Parse.
var (
	ErrTooShort    = errors.New("ipv4: packet shorter than header")
	ErrVersion     = errors.New("ipv4: not version 4")
	ErrHeaderLen   = errors.New("ipv4: bad header length")
	ErrTotalLen    = errors.New("ipv4: bad total length")
	ErrChecksum    = errors.New("ipv4: bad header checksum")
	ErrBadOptions  = errors.New("ipv4: malformed options")
	ErrFragTooLong = errors.New("ipv4: fragment ends beyond 65535 bytes")
)

// Header is a decoded IPv4 header.
type Header struct {
	HeaderLen  int // bytes, including options
	TOS        uint8
	TotalLen   int
	ID         uint16
	Flags      uint8
	FragOffset int // bytes
	TTL        uint8
	Protocol   uint8
	Src, Dst   tcpip.Addr
}

// MoreFragments reports whether the MF flag is set.
func (h *Header) MoreFragments() bool { return h.Flags&FlagMF != 0 }

// IsFragment reports whether the datagram is a fragment of a larger one.
func (h *Header) IsFragment() bool { return h.MoreFragments() || h.FragOffset != 0 }

// Parse decodes and validates the header at the start of b and returns the
// payload, trimmed to the header's total length (dropping link padding).
// Options are checked for well-formedness and otherwise ignored: this host
// neither routes nor records, so no option changes what it does.
func Parse(b []byte) (Header, []byte, error) {
	if len(b) < HeaderLen {
		return Header{}, nil, ErrTooShort
	}
	if b[0]>>4 != 4 {
		return Header{}, nil, ErrVersion
	}
	var h Header
	h.HeaderLen = int(b[0]&0xf) * 4
	if h.HeaderLen < HeaderLen || h.HeaderLen > len(b) {
		return Header{}, nil, ErrHeaderLen
	}
	h.TotalLen = int(binary.BigEndian.Uint16(b[2:4]))
	if h.TotalLen < h.HeaderLen || h.TotalLen > len(b) {
		return Header{}, nil, ErrTotalLen
	}
	if tcpip.Checksum(b[:h.HeaderLen], 0) != 0xffff {
		return Header{}, nil, ErrChecksum
	}
	if h.HeaderLen > HeaderLen && !optionsValid(b[HeaderLen:h.HeaderLen]) {
		return Header{}, nil, ErrBadOptions
	}
	h.TOS = b[1]
	h.ID = binary.BigEndian.Uint16(b[4:6])
	frag := binary.BigEndian.Uint16(b[6:8])
	h.Flags = uint8(frag >> 13)
	h.FragOffset = int(frag&0x1fff) * 8
	if h.FragOffset+h.TotalLen-h.HeaderLen > MaxTotalLen-HeaderLen {
		return Header{}, nil, ErrFragTooLong
	}
	h.TTL = b[8]
	h.Protocol = b[9]
	copy(h.Src[:], b[12:16])
	copy(h.Dst[:], b[16:20])
	return h, b[h.HeaderLen:h.TotalLen], nil
}

// optionsValid walks the options: each is End, NOP, or kind, length
// (at least 2) and data that fit in the header.
func optionsValid(o []byte) bool {
	for len(o) > 0 {
		switch o[0] {
		case optEnd:
			return true
		case optNOP:
			o = o[1:]
			continue
		}
		if len(o) < 2 || o[1] < 2 || int(o[1]) > len(o) {
			return false
		}
		o = o[o[1]:]
	}
	return true
}

// Encode writes a 20-byte header (no options) for h into b, computing the
// checksum. h.HeaderLen is ignored; h.TotalLen must be set.
func Encode(b []byte, h *Header) {
	_ = b[HeaderLen-1]
	b[0] = 0x45
	b[1] = h.TOS
	binary.BigEndian.PutUint16(b[2:4], uint16(h.TotalLen))
	binary.BigEndian.PutUint16(b[4:6], h.ID)
	binary.BigEndian.PutUint16(b[6:8], uint16(h.Flags)<<13|uint16(h.FragOffset/8))
	b[8] = h.TTL
	b[9] = h.Protocol
	b[10], b[11] = 0, 0
	copy(b[12:16], h.Src[:])
	copy(b[16:20], h.Dst[:])
	binary.BigEndian.PutUint16(b[10:12], ^tcpip.Checksum(b[:HeaderLen], 0))
}
