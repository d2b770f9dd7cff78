package sockfile

import (
	"encoding/binary"
	"syscall"

	"scone/kernel/net/tcpip"
)

// Address sizes.
const (
	// SockaddrInLen is sizeof(struct sockaddr_in): family (2 bytes, host
	// order), port (2, network order), address (4), 8 bytes of padding.
	SockaddrInLen = 16
	// MaxAddrLen is sizeof(struct sockaddr_storage): an address length
	// above it is EINVAL before anything is read (move_addr_to_kernel).
	MaxAddrLen = 128
)

// Each call checks its address in its own order, as Linux's do.

// BindAddr decodes bind(2)'s address as inet_bind: shorter than a
// sockaddr_in is EINVAL; the family must be AF_INET, or AF_UNSPEC with
// INADDR_ANY (an old compatibility rule); otherwise EAFNOSUPPORT.
func BindAddr(b []byte) (tcpip.FullAddr, error) {
	if len(b) < SockaddrInLen {
		return tcpip.FullAddr{}, syscall.EINVAL
	}
	a := decode(b)
	switch fam := binary.LittleEndian.Uint16(b); {
	case fam == syscall.AF_INET:
	case fam == syscall.AF_UNSPEC && a.Addr.IsUnspecified():
	default:
		return tcpip.FullAddr{}, syscall.EAFNOSUPPORT
	}
	return a, nil
}

// ConnectAddr decodes connect(2)'s address: shorter than the family field
// is EINVAL; AF_UNSPEC asks to dissolve the association (disconnect);
// then shorter than a sockaddr_in is EINVAL and another family than
// AF_INET EAFNOSUPPORT.
func ConnectAddr(b []byte) (a tcpip.FullAddr, disconnect bool, err error) {
	if len(b) < 2 {
		return tcpip.FullAddr{}, false, syscall.EINVAL
	}
	fam := binary.LittleEndian.Uint16(b)
	switch {
	case fam == syscall.AF_UNSPEC:
		return tcpip.FullAddr{}, true, nil
	case len(b) < SockaddrInLen:
		return tcpip.FullAddr{}, false, syscall.EINVAL
	case fam != syscall.AF_INET:
		return tcpip.FullAddr{}, false, syscall.EAFNOSUPPORT
	}
	return decode(b), false, nil
}

// SendAddr decodes the destination of sendto(2) or sendmsg(2) on a
// datagram socket as udp_sendmsg: shorter than a sockaddr_in is EINVAL;
// AF_INET and AF_UNSPEC are both taken as AF_INET; others EAFNOSUPPORT.
func SendAddr(b []byte) (tcpip.FullAddr, error) {
	if len(b) < SockaddrInLen {
		return tcpip.FullAddr{}, syscall.EINVAL
	}
	if fam := binary.LittleEndian.Uint16(b); fam != syscall.AF_INET && fam != syscall.AF_UNSPEC {
		return tcpip.FullAddr{}, syscall.EAFNOSUPPORT
	}
	return decode(b), nil
}

func decode(b []byte) tcpip.FullAddr {
	var a tcpip.FullAddr
	a.Port = binary.BigEndian.Uint16(b[2:])
	copy(a.Addr[:], b[4:8])
	return a
}

// PutSockaddrIn encodes a as a sockaddr_in.
func PutSockaddrIn(a tcpip.FullAddr) [SockaddrInLen]byte {
	var b [SockaddrInLen]byte
	binary.LittleEndian.PutUint16(b[:], syscall.AF_INET)
	binary.BigEndian.PutUint16(b[2:], a.Port)
	copy(b[4:8], a.Addr[:])
	return b
}

// OutAddr is how accept, getsockname, getpeername and recvfrom return an
// address (move_addr_to_user): the caller's buffer holds bufLen bytes,
// the value its *addrlen held (negative is EINVAL); min(bufLen, 16) bytes
// of the address are copied and the full length, 16, is stored back in
// *addrlen, so a short buffer gets a cut address and learns the length.
func OutAddr(a tcpip.FullAddr, bufLen int32) (out []byte, fullLen uint32, err error) {
	if bufLen < 0 {
		return nil, 0, syscall.EINVAL
	}
	b := PutSockaddrIn(a)
	return b[:min(int(bufLen), SockaddrInLen)], SockaddrInLen, nil
}
