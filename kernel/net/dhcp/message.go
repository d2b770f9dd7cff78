// Package dhcp is Scone's DHCP client (RFC 2131, options from RFC 2132). It
// leases an IPv4 address for one interface: DISCOVER, OFFER, REQUEST, ACK,
// then RENEW at T1 and REBIND at T2 until the lease runs out.
//
// The client owns no socket and no goroutine. It sends through the small
// Conn interface, is handed received datagrams with Deliver, and keeps time
// with a clock.Clock, so the whole protocol runs on fake time in tests and
// over any UDP transport (the stack's, or a host socket) in real use.
package dhcp

import (
	"encoding/binary"
	"errors"
	"strconv"
	"time"

	"scone/kernel/net/tcpip"
)

// UDP ports of the protocol.
const (
	ServerPort = 67
	ClientPort = 68
)

// MessageType is the value of option 53.
type MessageType uint8

// Message types (RFC 2132 section 9.6).
const (
	Discover MessageType = 1
	Offer    MessageType = 2
	Request  MessageType = 3
	Decline  MessageType = 4
	Ack      MessageType = 5
	Nak      MessageType = 6
	Release  MessageType = 7
	Inform   MessageType = 8
)

var typeNames = [...]string{"", "DISCOVER", "OFFER", "REQUEST", "DECLINE", "ACK", "NAK", "RELEASE", "INFORM"}

func (t MessageType) String() string {
	if int(t) < len(typeNames) && t != 0 {
		return typeNames[t]
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// BOOTP operation codes.
const (
	opRequest = 1
	opReply   = 2
)

// Option codes the client reads or writes (RFC 2132).
const (
	optPad         = 0
	optSubnetMask  = 1
	optRouter      = 3
	optDNS         = 6
	optHostname    = 12
	optDomainName  = 15
	optRequestedIP = 50
	optLeaseTime   = 51
	optOverload    = 52
	optMessageType = 53
	optServerID    = 54
	optParamList   = 55
	optMessage     = 56
	optMaxSize     = 57
	optRenewalT1   = 58
	optRebindT2    = 59
	optClientID    = 61
	optEnd         = 255
)

// flagBroadcast asks the server to broadcast its replies: until it has an
// address the client's stack may not accept unicast to an unknown address.
const flagBroadcast = 0x8000

// Layout of the fixed BOOTP header.
const (
	fixedLen    = 236
	offSname    = 44
	offFile     = 108
	sizeSname   = 64
	sizeFile    = 128
	magicCookie = 0x63825363
	// MinSize is the smallest message the client sends: RFC 1542 relays
	// may drop BOOTP messages shorter than 300 bytes.
	MinSize = 300
	// maxAddrs bounds the router and DNS lists kept from one message.
	maxAddrs = 8
)

// Message is a decoded DHCP message: the BOOTP header plus the options the
// client cares about. A zero duration or address means "option absent".
type Message struct {
	Op     uint8
	XID    uint32
	Secs   uint16
	Flags  uint16
	CIAddr tcpip.Addr // client's current address (RENEWING, REBINDING)
	YIAddr tcpip.Addr // "your" address: the one offered or acknowledged
	SIAddr tcpip.Addr // next server (boot), unused here
	GIAddr tcpip.Addr // relay agent
	CHAddr tcpip.MAC

	Type        MessageType
	ServerID    tcpip.Addr
	RequestedIP tcpip.Addr
	SubnetMask  tcpip.Addr
	Routers     []tcpip.Addr
	DNS         []tcpip.Addr
	LeaseTime   time.Duration
	T1, T2      time.Duration
	Hostname    string
	DomainName  string
	Text        string // option 56, the server's explanation (usually in a NAK)
	ParamList   []byte
	ClientID    []byte
	MaxSize     uint16
}

// Errors from Parse.
var (
	ErrShort     = errors.New("dhcp: message too short")
	ErrCookie    = errors.New("dhcp: bad magic cookie")
	ErrHardware  = errors.New("dhcp: not an Ethernet message")
	ErrOption    = errors.New("dhcp: malformed option")
	ErrNoType    = errors.New("dhcp: no message type option")
	ErrOperation = errors.New("dhcp: bad BOOTP op code")
)

// Parse decodes b. Every length is checked against the buffer; anything
// malformed yields an error, never a panic. Options split over several
// instances are concatenated (RFC 3396), and the sname and file fields are
// read for options when option 52 says they are overloaded.
func Parse(b []byte) (*Message, error) {
	if len(b) < fixedLen+4 {
		return nil, ErrShort
	}
	if b[0] != opRequest && b[0] != opReply {
		return nil, ErrOperation
	}
	if b[1] != 1 || b[2] != 6 {
		return nil, ErrHardware
	}
	if binary.BigEndian.Uint32(b[fixedLen:]) != magicCookie {
		return nil, ErrCookie
	}
	m := &Message{
		Op:    b[0],
		XID:   binary.BigEndian.Uint32(b[4:]),
		Secs:  binary.BigEndian.Uint16(b[8:]),
		Flags: binary.BigEndian.Uint16(b[10:]),
	}
	copy(m.CIAddr[:], b[12:16])
	copy(m.YIAddr[:], b[16:20])
	copy(m.SIAddr[:], b[20:24])
	copy(m.GIAddr[:], b[24:28])
	copy(m.CHAddr[:], b[28:34])

	opts := make(map[uint8][]byte)
	if err := collectOptions(b[fixedLen+4:], opts); err != nil {
		return nil, err
	}
	if ov, ok := opts[optOverload]; ok {
		if len(ov) != 1 || ov[0] < 1 || ov[0] > 3 {
			return nil, ErrOption
		}
		delete(opts, optOverload) // the areas below may not overload again
		if ov[0]&1 != 0 {
			if err := collectOptions(b[offFile:offFile+sizeFile], opts); err != nil {
				return nil, err
			}
		}
		if ov[0]&2 != 0 {
			if err := collectOptions(b[offSname:offSname+sizeSname], opts); err != nil {
				return nil, err
			}
		}
	}
	if err := m.decodeOptions(opts); err != nil {
		return nil, err
	}
	return m, nil
}

// collectOptions walks one options area, appending each option's data to
// opts[code]. The area must end with the End option.
func collectOptions(b []byte, opts map[uint8][]byte) error {
	for i := 0; i < len(b); {
		code := b[i]
		switch code {
		case optPad:
			i++
			continue
		case optEnd:
			return nil
		}
		if i+2 > len(b) {
			return ErrOption
		}
		n := int(b[i+1])
		if i+2+n > len(b) {
			return ErrOption
		}
		opts[code] = append(opts[code], b[i+2:i+2+n]...)
		i += 2 + n
	}
	return ErrOption // no End option
}

// decodeOptions fills m's option fields, checking each length.
func (m *Message) decodeOptions(opts map[uint8][]byte) error {
	t, ok := opts[optMessageType]
	if !ok {
		return ErrNoType
	}
	if len(t) != 1 || t[0] < byte(Discover) || t[0] > byte(Inform) {
		return ErrOption
	}
	m.Type = MessageType(t[0])
	var err error
	addr := func(code uint8, dst *tcpip.Addr) {
		if v, ok := opts[code]; ok && err == nil {
			if len(v) != 4 {
				err = ErrOption
				return
			}
			copy(dst[:], v)
		}
	}
	addrs := func(code uint8) []tcpip.Addr {
		v, ok := opts[code]
		if !ok || err != nil {
			return nil
		}
		if len(v) == 0 || len(v)%4 != 0 {
			err = ErrOption
			return nil
		}
		var out []tcpip.Addr
		for ; len(v) >= 4 && len(out) < maxAddrs; v = v[4:] {
			out = append(out, tcpip.Addr(v[:4]))
		}
		return out
	}
	seconds := func(code uint8) time.Duration {
		v, ok := opts[code]
		if !ok || err != nil {
			return 0
		}
		if len(v) != 4 {
			err = ErrOption
			return 0
		}
		s := binary.BigEndian.Uint32(v)
		if s == 0xffffffff {
			return Infinite
		}
		return time.Duration(s) * time.Second
	}
	addr(optServerID, &m.ServerID)
	addr(optRequestedIP, &m.RequestedIP)
	addr(optSubnetMask, &m.SubnetMask)
	m.Routers = addrs(optRouter)
	m.DNS = addrs(optDNS)
	m.LeaseTime = seconds(optLeaseTime)
	m.T1 = seconds(optRenewalT1)
	m.T2 = seconds(optRebindT2)
	if v, ok := opts[optMaxSize]; ok {
		if len(v) != 2 {
			return ErrOption
		}
		m.MaxSize = binary.BigEndian.Uint16(v)
	}
	m.Hostname = string(opts[optHostname])
	m.DomainName = string(opts[optDomainName])
	m.Text = string(opts[optMessage])
	m.ParamList = opts[optParamList]
	m.ClientID = opts[optClientID]
	return err
}

// Infinite is the lease time 0xffffffff seconds: a lease that never expires.
const Infinite = time.Duration(1<<63 - 1)

// Marshal encodes m, padded to MinSize. Long options are split into several
// instances (RFC 3396); the options never overload sname or file.
func (m *Message) Marshal() []byte {
	b := make([]byte, fixedLen+4, MinSize)
	b[0] = m.Op
	b[1], b[2] = 1, 6 // Ethernet, 6-byte addresses
	binary.BigEndian.PutUint32(b[4:], m.XID)
	binary.BigEndian.PutUint16(b[8:], m.Secs)
	binary.BigEndian.PutUint16(b[10:], m.Flags)
	copy(b[12:], m.CIAddr[:])
	copy(b[16:], m.YIAddr[:])
	copy(b[20:], m.SIAddr[:])
	copy(b[24:], m.GIAddr[:])
	copy(b[28:], m.CHAddr[:])
	binary.BigEndian.PutUint32(b[fixedLen:], magicCookie)

	b = appendOption(b, optMessageType, []byte{byte(m.Type)})
	b = appendAddr(b, optServerID, m.ServerID)
	b = appendAddr(b, optRequestedIP, m.RequestedIP)
	b = appendAddr(b, optSubnetMask, m.SubnetMask)
	b = appendAddrs(b, optRouter, m.Routers)
	b = appendAddrs(b, optDNS, m.DNS)
	b = appendSeconds(b, optLeaseTime, m.LeaseTime)
	b = appendSeconds(b, optRenewalT1, m.T1)
	b = appendSeconds(b, optRebindT2, m.T2)
	if m.MaxSize != 0 {
		b = appendOption(b, optMaxSize, binary.BigEndian.AppendUint16(nil, m.MaxSize))
	}
	b = appendOption(b, optHostname, []byte(m.Hostname))
	b = appendOption(b, optDomainName, []byte(m.DomainName))
	b = appendOption(b, optMessage, []byte(m.Text))
	b = appendOption(b, optParamList, m.ParamList)
	b = appendOption(b, optClientID, m.ClientID)
	b = append(b, optEnd)
	for len(b) < MinSize {
		b = append(b, optPad)
	}
	return b
}

// appendOption appends code with data, split into 255-byte pieces; empty
// data means "absent" and appends nothing.
func appendOption(b []byte, code uint8, data []byte) []byte {
	for len(data) > 0 {
		n := min(len(data), 255)
		b = append(b, code, byte(n))
		b = append(b, data[:n]...)
		data = data[n:]
	}
	return b
}

func appendAddr(b []byte, code uint8, a tcpip.Addr) []byte {
	if a.IsUnspecified() {
		return b
	}
	return appendOption(b, code, a[:])
}

func appendAddrs(b []byte, code uint8, as []tcpip.Addr) []byte {
	var data []byte
	for _, a := range as {
		data = append(data, a[:]...)
	}
	return appendOption(b, code, data)
}

func appendSeconds(b []byte, code uint8, d time.Duration) []byte {
	if d == 0 {
		return b
	}
	s := uint32(0xffffffff)
	if d != Infinite {
		s = uint32(min(d/time.Second, 0xfffffffe))
	}
	return appendOption(b, code, binary.BigEndian.AppendUint32(nil, s))
}
