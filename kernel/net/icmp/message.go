// Package icmp implements the Internet Control Message Protocol for IPv4
// (RFC 792, RFC 1122 section 3.2.2): answering echo requests, sending echo
// requests (ping), reporting errors such as port unreachable, and handing
// errors that arrive to the transport protocol they concern.
package icmp

import (
	"encoding/binary"
	"errors"
	"syscall"

	"scone/kernel/net/tcpip"
)

// HeaderLen is the size of the ICMP header: type, code, checksum and four
// bytes whose meaning depends on the type.
const HeaderLen = 8

// Message types.
const (
	TypeEchoReply      uint8 = 0
	TypeDestUnreach    uint8 = 3
	TypeSourceQuench   uint8 = 4
	TypeRedirect       uint8 = 5
	TypeEchoRequest    uint8 = 8
	TypeTimeExceeded   uint8 = 11
	TypeParamProblem   uint8 = 12
	TypeTimestamp      uint8 = 13
	TypeTimestampReply uint8 = 14
)

// Time-exceeded code for a datagram whose fragments did not all arrive.
const CodeReassemblyTimeout uint8 = 1

// Destination-unreachable codes.
const (
	CodeNetUnreach   uint8 = 0
	CodeHostUnreach  uint8 = 1
	CodeProtoUnreach uint8 = 2
	CodePortUnreach  uint8 = 3
	CodeFragNeeded   uint8 = 4
)

// Errors from Parse.
var (
	ErrTooShort = errors.New("icmp: message too short")
	ErrChecksum = errors.New("icmp: bad checksum")
)

// Header is a decoded ICMP header.
type Header struct {
	Type, Code uint8
	Rest       [4]byte // identifier and sequence for echo; next-hop MTU for frag-needed
}

// ID and Seq read the echo identifier and sequence number.
func (h *Header) ID() uint16  { return binary.BigEndian.Uint16(h.Rest[0:2]) }
func (h *Header) Seq() uint16 { return binary.BigEndian.Uint16(h.Rest[2:4]) }

// IsError reports whether the message is an error report, about which no
// ICMP error may ever be sent (RFC 1122 3.2.2).
func (h *Header) IsError() bool {
	switch h.Type {
	case TypeDestUnreach, TypeSourceQuench, TypeRedirect, TypeTimeExceeded, TypeParamProblem:
		return true
	}
	return false
}

// Parse verifies the checksum over the whole message and decodes its header.
func Parse(b []byte) (Header, []byte, error) {
	if len(b) < HeaderLen {
		return Header{}, nil, ErrTooShort
	}
	if tcpip.Checksum(b, 0) != 0xffff {
		return Header{}, nil, ErrChecksum
	}
	h := Header{Type: b[0], Code: b[1]}
	copy(h.Rest[:], b[4:8])
	return h, b[HeaderLen:], nil
}

// Encode writes h into b[:HeaderLen] with the checksum over b[:HeaderLen]
// followed by body.
func Encode(b []byte, h Header, body []byte) {
	_ = b[HeaderLen-1]
	b[0], b[1], b[2], b[3] = h.Type, h.Code, 0, 0
	copy(b[4:8], h.Rest[:])
	sum := tcpip.Checksum(body, uint32(tcpip.Checksum(b[:HeaderLen], 0)))
	binary.BigEndian.PutUint16(b[2:4], ^sum)
}

// ErrnoFor maps an ICMP error to the errno a socket reports, as Linux's
// icmp_err_convert table does; ok is false for messages that are not errors
// a socket should see.
func ErrnoFor(typ, code uint8) (errno syscall.Errno, ok bool) {
	switch typ {
	case TypeDestUnreach:
		switch code {
		case CodeNetUnreach, 6, 9: // net unreachable, unknown, prohibited
			return syscall.ENETUNREACH, true
		case CodeHostUnreach, 10, 13: // host unreachable, prohibited, filtered
			return syscall.EHOSTUNREACH, true
		case 7: // destination host unknown
			return syscall.EHOSTDOWN, true
		case CodeProtoUnreach:
			return syscall.ENOPROTOOPT, true
		case CodePortUnreach:
			return syscall.ECONNREFUSED, true
		case CodeFragNeeded:
			return syscall.EMSGSIZE, true
		case 5: // source route failed
			return syscall.EOPNOTSUPP, true
		}
		return syscall.EHOSTUNREACH, true
	case TypeTimeExceeded:
		return syscall.EHOSTUNREACH, true
	case TypeParamProblem:
		return syscall.EPROTO, true
	}
	return 0, false
}
