package sockfile

import (
	"encoding/binary"
	"syscall"

	"scone/kernel/net/tcpip"
)

// Control message types sendmsg may carry (Linux's values, x86-64).
const (
	scmRights         = 1
	scmCredentials    = 2
	soPriority        = 12
	soMark            = 36
	soTimestampingOld = 37
	soTimestampingNew = 65
	ipTOS             = 1
	ipTTL             = 2
	ipRetopts         = 7
	ipPktinfo         = 8
	ipProtocol        = 52
	inPktinfoLen      = 12 // struct in_pktinfo
	cmsgLenInt        = cmsgHdrLen + 4
	cmsgLenByte       = cmsgHdrLen + 1
)

// ParseSendControl checks sendmsg's ancillary data b as Linux does
// before it sends (sock_cmsg_send, and ip_cmsg_send for UDP and ping
// sockets, datagram true) and returns what its IP messages ask of the
// datagram (nil if nothing). Each message must fit in b (CMSG_OK: a
// cmsg_len of at least the header and no further than b's end), a
// SOL_SOCKET one must be a type sockets take (SO_MARK, SO_PRIORITY and
// SO_TIMESTAMPING with an int; SCM_RIGHTS and SCM_CREDENTIALS are
// passed over), and on a datagram socket an IPPROTO_IP one must be
// IP_TTL (an int, 1-255), IP_TOS (an int or a byte, 0-255), IP_PKTINFO
// (a struct in_pktinfo), IP_PROTOCOL (an int, 1-255) or IP_RETOPTS (not
// parsed); other levels are passed over. Anything else is EINVAL. Fewer
// bytes than a header hold no message. IP_TTL, IP_TOS and IP_PKTINFO
// are applied (a later one of a kind wins, as in Linux); the SOL_SOCKET
// ones, IP_PROTOCOL and IP_RETOPTS are not.
func ParseSendControl(b []byte, datagram bool) (*tcpip.SendOptions, error) {
	le := binary.LittleEndian
	var o tcpip.SendOptions
	for off := 0; off+cmsgHdrLen <= len(b); {
		n := le.Uint64(b[off:])
		if n < cmsgHdrLen || n > uint64(len(b)-off) {
			return nil, syscall.EINVAL
		}
		level, typ := int32(le.Uint32(b[off+8:])), int32(le.Uint32(b[off+12:]))
		data := b[off+cmsgHdrLen : off+int(n)]
		switch {
		case level == syscall.SOL_SOCKET:
			if err := checkSocketCmsg(typ, n); err != nil {
				return nil, err
			}
		case level == syscall.IPPROTO_IP && datagram:
			if err := ipCmsg(&o, typ, n, data); err != nil {
				return nil, err
			}
		}
		off += int((n + cmsgAlign - 1) &^ (cmsgAlign - 1))
		if off < 0 || off > len(b) {
			break
		}
	}
	if o == (tcpip.SendOptions{}) {
		return nil, nil
	}
	return &o, nil
}

// checkSocketCmsg is __sock_cmsg_send's checks for what Scone's
// sockets could be sent (no SO_TXTIME, so SCM_TXTIME is EINVAL too).
func checkSocketCmsg(typ int32, n uint64) error {
	switch typ {
	case soMark, soPriority, soTimestampingOld, soTimestampingNew:
		if n != cmsgLenInt {
			return syscall.EINVAL
		}
	case scmRights, scmCredentials:
	default:
		return syscall.EINVAL
	}
	return nil
}

// ipCmsg is ip_cmsg_send for one IPPROTO_IP message: it checks it and
// records in o what it asks for.
func ipCmsg(o *tcpip.SendOptions, typ int32, n uint64, data []byte) error {
	le := binary.LittleEndian
	switch typ {
	case ipTTL, ipProtocol:
		if n != cmsgLenInt {
			return syscall.EINVAL
		}
		v := int32(le.Uint32(data))
		if v < 1 || v > 255 {
			return syscall.EINVAL
		}
		if typ == ipTTL {
			o.TTL = uint8(v)
		}
	case ipTOS:
		var v int32
		switch n {
		case cmsgLenInt:
			v = int32(le.Uint32(data))
		case cmsgLenByte:
			v = int32(data[0])
		default:
			return syscall.EINVAL
		}
		if v < 0 || v > 255 {
			return syscall.EINVAL
		}
		o.TOS, o.HasTOS = uint8(v), true
	case ipPktinfo:
		if n != cmsgHdrLen+inPktinfoLen {
			return syscall.EINVAL
		}
		// struct in_pktinfo: ipi_ifindex, ipi_spec_dst, ipi_addr (unused).
		o.PktInfo = true
		o.IfIndex = int(int32(le.Uint32(data)))
		o.Src = tcpip.Addr(data[4:8])
	case ipRetopts: // the options are not parsed (Scone sends none)
	default:
		return syscall.EINVAL
	}
	return nil
}
