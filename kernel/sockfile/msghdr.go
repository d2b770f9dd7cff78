package sockfile

import (
	"encoding/binary"
	"syscall"

	"scone/kernel/net/socket"
)

// Sizes of the structures sendmsg and recvmsg read (x86-64).
const (
	MsghdrLen = 56   // struct msghdr
	IovMax    = 1024 // UIO_MAXIOV: a longer msg_iovlen is EMSGSIZE
)

// Msghdr is a decoded struct msghdr: user addresses and lengths, to be
// followed by the caller (the name and the iovec array are copied in
// separately).
type Msghdr struct {
	Name       uintptr // msg_name: the address, or 0
	NameLen    uint32  // msg_namelen
	Iov        uintptr // msg_iov: the iovec array
	IovLen     uint64  // msg_iovlen
	Control    uintptr // msg_control: ancillary data
	ControlLen uint64  // msg_controllen
	Flags      int32   // msg_flags: set on return by recvmsg
}

// ParseMsghdr decodes a struct msghdr (b holds at least MsghdrLen bytes):
//
//	void *msg_name; socklen_t msg_namelen; (4 bytes of padding)
//	struct iovec *msg_iov; size_t msg_iovlen;
//	void *msg_control; size_t msg_controllen; int msg_flags;
//
// A msg_iovlen above IovMax is EMSGSIZE, as Linux's.
func ParseMsghdr(b []byte) (Msghdr, error) {
	if len(b) < MsghdrLen {
		return Msghdr{}, syscall.EFAULT
	}
	le := binary.LittleEndian
	m := Msghdr{
		Name:       uintptr(le.Uint64(b[0:])),
		NameLen:    le.Uint32(b[8:]),
		Iov:        uintptr(le.Uint64(b[16:])),
		IovLen:     le.Uint64(b[24:]),
		Control:    uintptr(le.Uint64(b[32:])),
		ControlLen: le.Uint64(b[40:]),
		Flags:      int32(le.Uint32(b[48:])),
	}
	if m.IovLen > IovMax {
		return Msghdr{}, syscall.EMSGSIZE
	}
	return m, nil
}

// Offsets of the msghdr fields recvmsg writes back.
const (
	MsghdrNameLenOff    = 8
	MsghdrControlLenOff = 40
	MsghdrFlagsOff      = 48
)

// Flags: unknown ones are ignored, as Linux ignores them on these calls.

// RecvFlags keeps the recvmsg flags the socket layer acts on.
func RecvFlags(flags int) int {
	return flags & (syscall.MSG_PEEK | syscall.MSG_TRUNC | syscall.MSG_DONTWAIT | syscall.MSG_WAITALL | syscall.MSG_OOB)
}

// SendFlags keeps the sendmsg flags the socket layer acts on.
func SendFlags(flags int) int {
	return flags & (syscall.MSG_DONTWAIT | syscall.MSG_NOSIGNAL | syscall.MSG_OOB)
}

// Sizes of a control message's header (struct cmsghdr: size_t cmsg_len,
// int cmsg_level, int cmsg_type) and of an IP_TTL one's int of data.
const (
	cmsgHdrLen = 16
	cmsgTTLLen = cmsgHdrLen + 4 // CMSG_LEN(sizeof(int))
	cmsgAlign  = 8
)

// EncodeControl returns the ancillary data of ctl as recvmsg writes it
// into a msg_control buffer of room bytes, and whether it was cut short
// (MSG_CTRUNC). As Linux's put_cmsg: no room for a header writes
// nothing; room for less than the message writes what fits with
// cmsg_len cut to it; the length used is the message's aligned space
// (CMSG_SPACE), at most room.
func EncodeControl(ctl socket.Control, room uint64) (b []byte, ctrunc bool) {
	if !ctl.HasTTL {
		return nil, false
	}
	if room < cmsgHdrLen {
		return nil, true
	}
	full := make([]byte, (cmsgTTLLen+cmsgAlign-1)&^(cmsgAlign-1))
	le := binary.LittleEndian
	le.PutUint32(full[8:], syscall.IPPROTO_IP)
	le.PutUint32(full[12:], syscall.IP_TTL)
	le.PutUint32(full[16:], uint32(ctl.TTL))
	cmlen := uint64(cmsgTTLLen)
	if room < cmlen {
		cmlen, ctrunc = room, true
	}
	le.PutUint64(full, cmlen)
	return full[:min(uint64(len(full)), room)], ctrunc
}
