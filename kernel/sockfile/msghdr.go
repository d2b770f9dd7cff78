package sockfile

import (
	"encoding/binary"
	"syscall"
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
