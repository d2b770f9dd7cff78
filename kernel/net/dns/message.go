// Package dns is Scone's stub resolver: it asks recursive servers (such as
// the one DHCP names) for A records, follows CNAME chains, caches answers
// for their TTL and consults a static hosts table first.
//
// Like the DHCP client it owns no socket: it sends through the small Conn
// interface, is handed replies with Deliver, and keeps time with a
// clock.Clock, so tests run it against a fake server on fake time.
package dns

import (
	"encoding/binary"
	"errors"

	"scone/kernel/net/tcpip"
)

// Port is the DNS server port.
const Port = 53

// Record types and the Internet class.
const (
	TypeA     uint16 = 1
	TypeNS    uint16 = 2
	TypeCNAME uint16 = 5
	TypeSOA   uint16 = 6
	TypeAAAA  uint16 = 28
	ClassINET uint16 = 1
)

// RCode is a response code.
type RCode uint8

// Response codes (RFC 1035 4.1.1).
const (
	RCodeSuccess  RCode = 0
	RCodeFormat   RCode = 1
	RCodeServFail RCode = 2
	RCodeNXDomain RCode = 3
	RCodeNotImpl  RCode = 4
	RCodeRefused  RCode = 5
)

// Header bits.
const (
	bitQR = 1 << 15
	bitAA = 1 << 10
	bitTC = 1 << 9
	bitRD = 1 << 8
	bitRA = 1 << 7
)

const headerLen = 12

// Header is the fixed part of a message.
type Header struct {
	ID                 uint16
	Response           bool
	Opcode             uint8
	Authoritative      bool
	Truncated          bool
	RecursionDesired   bool
	RecursionAvailable bool
	RCode              RCode
}

// Question is one entry of the question section.
type Question struct {
	Name        string
	Type, Class uint16
}

// Resource is one resource record. A is set for A records and Target for
// CNAME records; Data holds the raw RDATA of every other type.
type Resource struct {
	Name        string
	Type, Class uint16
	TTL         uint32
	A           tcpip.Addr
	Target      string
	Data        []byte
}

// Message is a whole DNS message.
type Message struct {
	Header
	Questions   []Question
	Answers     []Resource
	Authorities []Resource
	Additionals []Resource
}

// Decoding errors (name errors are in name.go).
var (
	ErrShort  = errors.New("dns: message truncated")
	ErrRecord = errors.New("dns: malformed resource record")
)

// Parse decodes msg, checking every length and offset against the buffer.
func Parse(msg []byte) (*Message, error) {
	if len(msg) < headerLen {
		return nil, ErrShort
	}
	flags := binary.BigEndian.Uint16(msg[2:])
	m := &Message{Header: Header{
		ID:                 binary.BigEndian.Uint16(msg),
		Response:           flags&bitQR != 0,
		Opcode:             uint8(flags>>11) & 0xf,
		Authoritative:      flags&bitAA != 0,
		Truncated:          flags&bitTC != 0,
		RecursionDesired:   flags&bitRD != 0,
		RecursionAvailable: flags&bitRA != 0,
		RCode:              RCode(flags & 0xf),
	}}
	counts := [4]int{}
	for i := range counts {
		counts[i] = int(binary.BigEndian.Uint16(msg[4+2*i:]))
	}
	off := headerLen
	// Each question takes at least 5 bytes and each record 11, so the
	// counts cannot make us allocate more than the message justifies.
	if counts[0]*5+(counts[1]+counts[2]+counts[3])*11 > len(msg)-off {
		return nil, ErrShort
	}
	for i := 0; i < counts[0]; i++ {
		name, n, err := readName(msg, off)
		if err != nil {
			return nil, err
		}
		if n+4 > len(msg) {
			return nil, ErrShort
		}
		m.Questions = append(m.Questions, Question{
			Name:  name,
			Type:  binary.BigEndian.Uint16(msg[n:]),
			Class: binary.BigEndian.Uint16(msg[n+2:]),
		})
		off = n + 4
	}
	sections := []*[]Resource{&m.Answers, &m.Authorities, &m.Additionals}
	for s, sec := range sections {
		for i := 0; i < counts[s+1]; i++ {
			r, n, err := readResource(msg, off)
			if err != nil {
				return nil, err
			}
			*sec = append(*sec, r)
			off = n
		}
	}
	return m, nil
}

// readResource decodes the record at msg[off:].
func readResource(msg []byte, off int) (Resource, int, error) {
	var r Resource
	name, off, err := readName(msg, off)
	if err != nil {
		return r, 0, err
	}
	if off+10 > len(msg) {
		return r, 0, ErrShort
	}
	r.Name = name
	r.Type = binary.BigEndian.Uint16(msg[off:])
	r.Class = binary.BigEndian.Uint16(msg[off+2:])
	r.TTL = binary.BigEndian.Uint32(msg[off+4:])
	if r.TTL > 1<<31-1 {
		r.TTL = 0 // RFC 2181 8: treat TTLs with the top bit set as zero
	}
	rdlen := int(binary.BigEndian.Uint16(msg[off+8:]))
	off += 10
	end := off + rdlen
	if end > len(msg) {
		return r, 0, ErrShort
	}
	switch {
	case r.Type == TypeA && r.Class == ClassINET:
		if rdlen != 4 {
			return r, 0, ErrRecord
		}
		r.A = tcpip.Addr(msg[off:end])
	case r.Type == TypeCNAME:
		target, n, err := readName(msg[:end], off)
		if err != nil {
			return r, 0, err
		}
		if n != end {
			return r, 0, ErrRecord
		}
		r.Target = target
	default:
		r.Data = append([]byte(nil), msg[off:end]...)
	}
	return r, end, nil
}

// Marshal encodes m with name compression.
func (m *Message) Marshal() ([]byte, error) {
	h := m.Header
	flags := uint16(h.Opcode&0xf)<<11 | uint16(h.RCode&0xf)
	for _, f := range []struct {
		set bool
		bit uint16
	}{{h.Response, bitQR}, {h.Authoritative, bitAA}, {h.Truncated, bitTC},
		{h.RecursionDesired, bitRD}, {h.RecursionAvailable, bitRA}} {
		if f.set {
			flags |= f.bit
		}
	}
	b := make([]byte, headerLen, 512)
	binary.BigEndian.PutUint16(b, h.ID)
	binary.BigEndian.PutUint16(b[2:], flags)
	counts := []int{len(m.Questions), len(m.Answers), len(m.Authorities), len(m.Additionals)}
	for i, n := range counts {
		if n > 0xffff {
			return nil, errors.New("dns: too many records")
		}
		binary.BigEndian.PutUint16(b[4+2*i:], uint16(n))
	}
	c := compressor{}
	var err error
	for _, q := range m.Questions {
		if b, err = appendName(b, q.Name, c); err != nil {
			return nil, err
		}
		b = binary.BigEndian.AppendUint16(b, q.Type)
		b = binary.BigEndian.AppendUint16(b, q.Class)
	}
	for _, sec := range [][]Resource{m.Answers, m.Authorities, m.Additionals} {
		for _, r := range sec {
			if b, err = appendResource(b, r, c); err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}

func appendResource(b []byte, r Resource, c compressor) ([]byte, error) {
	b, err := appendName(b, r.Name, c)
	if err != nil {
		return nil, err
	}
	b = binary.BigEndian.AppendUint16(b, r.Type)
	b = binary.BigEndian.AppendUint16(b, r.Class)
	b = binary.BigEndian.AppendUint32(b, r.TTL)
	lenAt := len(b)
	b = append(b, 0, 0)
	switch {
	case r.Type == TypeA && r.Class == ClassINET:
		b = append(b, r.A[:]...)
	case r.Type == TypeCNAME:
		if b, err = appendName(b, r.Target, c); err != nil {
			return nil, err
		}
	default:
		b = append(b, r.Data...)
	}
	n := len(b) - lenAt - 2
	if n > 0xffff {
		return nil, ErrRecord
	}
	binary.BigEndian.PutUint16(b[lenAt:], uint16(n))
	return b, nil
}
