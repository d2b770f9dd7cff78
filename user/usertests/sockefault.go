package main

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	register("sockefault", testSockEFault)
}

// A sockFault is one socket call with a bad pointer in one argument.
// setup makes what the call needs (a fresh socket, a pending connection,
// a datagram waiting) and returns the call's arguments; check, if not
// nil, looks afterwards at what the call must have left (bytes kept).
type sockFault struct {
	name  string
	nr    uintptr
	size  uintptr // the bytes the pointer is meant to point at
	setup func(s *sockEnv, bad uintptr) [6]uintptr
	want  outcome
	check func(s *sockEnv) error
}

// An outcome is a call's result: a value, or an error.
type outcome struct {
	n   uintptr
	err unix.Errno
}

var efault = fails(unix.EFAULT)

func fails(e unix.Errno) outcome { return outcome{err: e} }
func returns(n int) outcome      { return outcome{n: uintptr(n)} }

func (o outcome) String() string {
	if o.err != 0 {
		return unix.ErrnoName(o.err)
	}
	return fmt.Sprint(o.n)
}

// testSockEFault passes bad pointers to every socket call that takes
// one: 1 (unmapped), the kernel half, and an object that starts mapped
// but ends past the last mapped byte. Each gets EFAULT as on Linux, and
// where Linux reads no pointer (a zero length, an address TCP has no
// use for, a call that fails or returns first) it must not fault either.
func testSockEFault() error {
	s, err := newSockEnv()
	if err != nil {
		return err
	}
	defer s.close()
	var fails []string
	n := 0
	for _, c := range sockFaults {
		for _, bad := range []uintptr{1, 0xffff800000001000, s.edge(c.size)} {
			n++
			a := c.setup(s, bad)
			if s.err != nil {
				return fmt.Errorf("%s: setup: %v", c.name, s.err)
			}
			res := make(chan outcome, 1)
			go func() {
				r, _, e := unix.Syscall6(c.nr, a[0], a[1], a[2], a[3], a[4], a[5])
				if e != 0 {
					r = 0
				}
				res <- outcome{r, e}
			}()
			var got outcome
			select {
			case got = <-res:
			case <-time.After(5 * time.Second):
				return fmt.Errorf("%s(%#x) blocked for 5 s", c.name, bad)
			}
			if c.nr == unix.SYS_ACCEPT4 && got.err == 0 {
				unix.Close(int(got.n))
				got.n = 0
			}
			if got != c.want {
				fails = append(fails, fmt.Sprintf("%s(%#x): %v, want %v", c.name, bad, got, c.want))
			} else if c.check != nil {
				if err := c.check(s); err != nil {
					fails = append(fails, fmt.Sprintf("%s(%#x): %v", c.name, bad, err))
				}
			}
			if err := s.reset(); err != nil {
				return fmt.Errorf("%s(%#x): %v", c.name, bad, err)
			}
		}
	}
	if len(fails) > 0 {
		return fmt.Errorf("%d of %d calls:\n%s", len(fails), n, joinLines(fails))
	}
	fmt.Printf("%d socket calls with bad pointers gave what Linux gives\n", n)
	return nil
}

// Sizes of what the pointers point at (x86-64).
const (
	sizeSockaddr = unix.SizeofSockaddrInet4
	sizeMsghdr   = unix.SizeofMsghdr
	sizeIovec    = unix.SizeofIovec
	sizeInt      = 4
	sizeIfreq    = 40
)

var sockFaults = []sockFault{
	{"bind", unix.SYS_BIND, sizeSockaddr, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.socket(unix.SOCK_DGRAM), b, sizeSockaddr}
	}, efault, nil},
	// A zero length reads nothing: inet_bind finds it short.
	{"bind-len0", unix.SYS_BIND, 0, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.socket(unix.SOCK_DGRAM), b, 0}
	}, fails(unix.EINVAL), nil},
	{"bind-null-len0", unix.SYS_BIND, 0, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.socket(unix.SOCK_DGRAM), 0, 0}
	}, fails(unix.EINVAL), nil},
	{"connect-tcp", unix.SYS_CONNECT, sizeSockaddr, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.socket(unix.SOCK_STREAM), b, sizeSockaddr}
	}, efault, nil},
	{"connect-udp", unix.SYS_CONNECT, sizeSockaddr, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.socket(unix.SOCK_DGRAM), b, sizeSockaddr}
	}, efault, nil},
	{"connect-null-len0", unix.SYS_CONNECT, 0, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.socket(unix.SOCK_STREAM), 0, 0}
	}, fails(unix.EINVAL), nil},
	// accept4 takes the connection first and then stores its address:
	// the connection is lost with the EFAULT, as on Linux.
	{"accept4-addr", unix.SYS_ACCEPT4, sizeSockaddr, func(s *sockEnv, b uintptr) [6]uintptr {
		s.pending()
		return [6]uintptr{s.lfd, b, s.intPtr(sizeSockaddr), 0}
	}, efault, nil},
	{"accept4-addrlen", unix.SYS_ACCEPT4, sizeInt, func(s *sockEnv, b uintptr) [6]uintptr {
		s.pending()
		return [6]uintptr{s.lfd, s.buf(sizeSockaddr), b, 0}
	}, efault, nil},
	// With no address wanted the length is not read.
	{"accept4-null-addr", unix.SYS_ACCEPT4, sizeInt, func(s *sockEnv, b uintptr) [6]uintptr {
		s.pending()
		return [6]uintptr{s.lfd, 0, b, 0}
	}, returns(0), nil},
	// Nothing to accept: EAGAIN before any pointer is touched.
	{"accept4-empty-addrlen", unix.SYS_ACCEPT4, sizeInt, func(s *sockEnv, b uintptr) [6]uintptr {
		unix.SetNonblock(int(s.lfd), true) // until reset
		return [6]uintptr{s.lfd, s.buf(sizeSockaddr), b, 0}
	}, fails(unix.EAGAIN), nil},
	{"sendto-udp-buf", unix.SYS_SENDTO, 64, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.socket(unix.SOCK_DGRAM), b, 64, 0, s.udpAddr(), sizeSockaddr}
	}, efault, nil},
	{"sendto-udp-addr", unix.SYS_SENDTO, sizeSockaddr, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.socket(unix.SOCK_DGRAM), s.buf(8), 8, 0, b, sizeSockaddr}
	}, efault, nil},
	{"sendto-tcp-buf", unix.SYS_SENDTO, 64, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.cfd, b, 64, unix.MSG_DONTWAIT, 0, 0}
	}, efault, nil},
	// The address is copied in before the protocol ignores it.
	{"sendto-tcp-addr", unix.SYS_SENDTO, sizeSockaddr, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.cfd, s.buf(8), 8, unix.MSG_DONTWAIT, b, sizeSockaddr}
	}, efault, nil},
	{"write-tcp", unix.SYS_WRITE, 64, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.cfd, b, 64}
	}, efault, nil},
	// A receive's size is the bytes waiting, so that the edge pointer
	// faults part way through them. TCP leaves the bytes queued when it
	// cannot copy them out (UDP drops the datagram).
	{"recvfrom-tcp-buf", unix.SYS_RECVFROM, 4, func(s *sockEnv, b uintptr) [6]uintptr {
		s.tcpData("kept")
		return [6]uintptr{s.cfd, b, 64, 0, 0, 0}
	}, efault, (*sockEnv).tcpKept},
	{"read-tcp", unix.SYS_READ, 4, func(s *sockEnv, b uintptr) [6]uintptr {
		s.tcpData("kept")
		return [6]uintptr{s.cfd, b, 64}
	}, efault, (*sockEnv).tcpKept},
	{"readv-tcp-base", unix.SYS_READV, 4, func(s *sockEnv, b uintptr) [6]uintptr {
		s.tcpData("kept")
		return [6]uintptr{s.cfd, s.iov(b, 64), 1}
	}, efault, (*sockEnv).tcpKept},
	{"writev-tcp-base", unix.SYS_WRITEV, 64, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.cfd, s.iov(b, 64), 1}
	}, efault, nil},
	{"recvfrom-udp-buf", unix.SYS_RECVFROM, 8, func(s *sockEnv, b uintptr) [6]uintptr {
		s.datagram()
		return [6]uintptr{s.ufd, b, 64, unix.MSG_DONTWAIT, 0, 0}
	}, efault, nil},
	{"recvfrom-udp-addr", unix.SYS_RECVFROM, sizeSockaddr, func(s *sockEnv, b uintptr) [6]uintptr {
		s.datagram()
		return [6]uintptr{s.ufd, s.buf(64), 64, unix.MSG_DONTWAIT, b, s.intPtr(sizeSockaddr)}
	}, efault, nil},
	{"recvfrom-udp-addrlen", unix.SYS_RECVFROM, sizeInt, func(s *sockEnv, b uintptr) [6]uintptr {
		s.datagram()
		return [6]uintptr{s.ufd, s.buf(64), 64, unix.MSG_DONTWAIT, s.buf(sizeSockaddr), b}
	}, efault, nil},
	// TCP has no source address to store: the address is not written.
	{"recvfrom-tcp-addr", unix.SYS_RECVFROM, sizeSockaddr, func(s *sockEnv, b uintptr) [6]uintptr {
		s.tcpData("kept")
		return [6]uintptr{s.cfd, s.buf(64), 64, 0, b, s.intPtr(sizeSockaddr)}
	}, returns(4), nil},
	// Nothing to receive: EAGAIN before the length is read.
	{"recvfrom-empty-addrlen", unix.SYS_RECVFROM, sizeInt, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.ufd, s.buf(64), 64, unix.MSG_DONTWAIT, s.buf(sizeSockaddr), b}
	}, fails(unix.EAGAIN), nil},
	{"sendmsg-msghdr", unix.SYS_SENDMSG, sizeMsghdr, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.socket(unix.SOCK_DGRAM), b, 0}
	}, efault, nil},
	{"sendmsg-name", unix.SYS_SENDMSG, sizeSockaddr, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.socket(unix.SOCK_DGRAM), s.msghdr(b, sizeSockaddr, s.iov(s.buf(8), 8), 1, 0, 0), 0}
	}, efault, nil},
	{"sendmsg-iov", unix.SYS_SENDMSG, sizeIovec, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.socket(unix.SOCK_DGRAM), s.msghdr(s.udpAddr(), sizeSockaddr, b, 1, 0, 0), 0}
	}, efault, nil},
	{"sendmsg-iov-base", unix.SYS_SENDMSG, 64, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.socket(unix.SOCK_DGRAM), s.msghdr(s.udpAddr(), sizeSockaddr, s.iov(b, 64), 1, 0, 0), 0}
	}, efault, nil},
	// The control buffer is copied in whole before the protocol looks.
	{"sendmsg-control", unix.SYS_SENDMSG, 32, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.socket(unix.SOCK_DGRAM), s.msghdr(s.udpAddr(), sizeSockaddr, s.iov(s.buf(8), 8), 1, b, 32), 0}
	}, efault, nil},
	{"sendmsg-tcp-iov-base", unix.SYS_SENDMSG, 64, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.cfd, s.msghdr(0, 0, s.iov(b, 64), 1, 0, 0), unix.MSG_DONTWAIT}
	}, efault, nil},
	{"recvmsg-msghdr", unix.SYS_RECVMSG, sizeMsghdr, func(s *sockEnv, b uintptr) [6]uintptr {
		s.datagram()
		return [6]uintptr{s.ufd, b, unix.MSG_DONTWAIT}
	}, efault, nil},
	{"recvmsg-iov", unix.SYS_RECVMSG, sizeIovec, func(s *sockEnv, b uintptr) [6]uintptr {
		s.datagram()
		return [6]uintptr{s.ufd, s.msghdr(0, 0, b, 1, 0, 0), unix.MSG_DONTWAIT}
	}, efault, nil},
	{"recvmsg-iov-base", unix.SYS_RECVMSG, 8, func(s *sockEnv, b uintptr) [6]uintptr {
		s.datagram()
		return [6]uintptr{s.ufd, s.msghdr(0, 0, s.iov(b, 64), 1, 0, 0), unix.MSG_DONTWAIT}
	}, efault, nil},
	{"recvmsg-name", unix.SYS_RECVMSG, sizeSockaddr, func(s *sockEnv, b uintptr) [6]uintptr {
		s.datagram()
		return [6]uintptr{s.ufd, s.msghdr(b, sizeSockaddr, s.iov(s.buf(64), 64), 1, 0, 0), unix.MSG_DONTWAIT}
	}, efault, nil},
	{"recvmsg-tcp-iov-base", unix.SYS_RECVMSG, 4, func(s *sockEnv, b uintptr) [6]uintptr {
		s.tcpData("kept")
		return [6]uintptr{s.cfd, s.msghdr(0, 0, s.iov(b, 64), 1, 0, 0), 0}
	}, efault, (*sockEnv).tcpKept},
	// Linux ignores a failure to store ancillary data (put_cmsg's
	// errors are not checked): the datagram is delivered and
	// msg_controllen says nothing was stored.
	{"recvmsg-control", unix.SYS_RECVMSG, 32, func(s *sockEnv, b uintptr) [6]uintptr {
		s.datagram()
		unix.SetsockoptInt(int(s.ufd), unix.IPPROTO_IP, unix.IP_RECVTTL, 1)
		return [6]uintptr{s.ufd, s.msghdr(0, 0, s.iov(s.buf(64), 64), 1, b, 32), unix.MSG_DONTWAIT}
	}, returns(len("datagram")), (*sockEnv).noControl},
	{"getsockname-addr", unix.SYS_GETSOCKNAME, sizeSockaddr, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.ufd, b, s.intPtr(sizeSockaddr)}
	}, efault, nil},
	{"getsockname-addrlen", unix.SYS_GETSOCKNAME, sizeInt, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.ufd, s.buf(sizeSockaddr), b}
	}, efault, nil},
	// A zero length copies no address.
	{"getsockname-len0", unix.SYS_GETSOCKNAME, 0, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.ufd, b, s.intPtr(0)}
	}, returns(0), nil},
	{"getpeername-addr", unix.SYS_GETPEERNAME, sizeSockaddr, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.cfd, b, s.intPtr(sizeSockaddr)}
	}, efault, nil},
	{"getpeername-addrlen", unix.SYS_GETPEERNAME, sizeInt, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.cfd, s.buf(sizeSockaddr), b}
	}, efault, nil},
	// No peer: ENOTCONN before the length is read.
	{"getpeername-unconnected", unix.SYS_GETPEERNAME, sizeInt, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.socket(unix.SOCK_STREAM), s.buf(sizeSockaddr), b}
	}, fails(unix.ENOTCONN), nil},
	{"setsockopt-SO_RCVBUF", unix.SYS_SETSOCKOPT, sizeInt, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.ufd, unix.SOL_SOCKET, unix.SO_RCVBUF, b, sizeInt}
	}, efault, nil},
	{"setsockopt-TCP_NODELAY", unix.SYS_SETSOCKOPT, sizeInt, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.cfd, unix.IPPROTO_TCP, unix.TCP_NODELAY, b, sizeInt}
	}, efault, nil},
	{"setsockopt-IP_TTL", unix.SYS_SETSOCKOPT, sizeInt, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.ufd, unix.IPPROTO_IP, unix.IP_TTL, b, sizeInt}
	}, efault, nil},
	{"setsockopt-SO_LINGER", unix.SYS_SETSOCKOPT, unix.SizeofLinger, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.socket(unix.SOCK_STREAM), unix.SOL_SOCKET, unix.SO_LINGER, b, unix.SizeofLinger}
	}, efault, nil},
	// Too short to hold an int: EINVAL before anything is read.
	{"setsockopt-len0", unix.SYS_SETSOCKOPT, 0, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.ufd, unix.SOL_SOCKET, unix.SO_RCVBUF, b, 0}
	}, fails(unix.EINVAL), nil},
	{"getsockopt-optval", unix.SYS_GETSOCKOPT, sizeInt, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.ufd, unix.SOL_SOCKET, unix.SO_TYPE, b, s.intPtr(sizeInt)}
	}, efault, nil},
	{"getsockopt-optlen", unix.SYS_GETSOCKOPT, sizeInt, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.ufd, unix.SOL_SOCKET, unix.SO_TYPE, s.buf(sizeInt), b}
	}, efault, nil},
	{"getsockopt-TCP_NODELAY", unix.SYS_GETSOCKOPT, sizeInt, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.cfd, unix.IPPROTO_TCP, unix.TCP_NODELAY, b, s.intPtr(sizeInt)}
	}, efault, nil},
	{"getsockopt-SO_ERROR", unix.SYS_GETSOCKOPT, sizeInt, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.cfd, unix.SOL_SOCKET, unix.SO_ERROR, b, s.intPtr(sizeInt)}
	}, efault, nil},
	// A zero length stores nothing but the length.
	{"getsockopt-len0", unix.SYS_GETSOCKOPT, 0, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.ufd, unix.SOL_SOCKET, unix.SO_TYPE, b, s.intPtr(0)}
	}, returns(0), nil},
	// Linux stores the descriptors it reserved before it makes the
	// sockets, so even AF_INET, which has no pairs, faults first.
	{"socketpair-inet", unix.SYS_SOCKETPAIR, 2 * sizeInt, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{unix.AF_INET, unix.SOCK_STREAM, 0, b}
	}, efault, nil},
	{"ioctl-FIONREAD", unix.SYS_IOCTL, sizeInt, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.ufd, unix.SIOCINQ, b}
	}, efault, nil},
	{"ioctl-FIONBIO", unix.SYS_IOCTL, sizeInt, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.ufd, fionbio, b}
	}, efault, nil},
	{"ioctl-SIOCGIFADDR", unix.SYS_IOCTL, sizeIfreq, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.ufd, unix.SIOCGIFADDR, b}
	}, efault, nil},
	{"ioctl-SIOCGIFFLAGS", unix.SYS_IOCTL, sizeIfreq, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.ufd, unix.SIOCGIFFLAGS, b}
	}, efault, nil},
	{"ioctl-SIOCGIFMTU", unix.SYS_IOCTL, sizeIfreq, func(s *sockEnv, b uintptr) [6]uintptr {
		return [6]uintptr{s.ufd, unix.SIOCGIFMTU, b}
	}, efault, nil},
}

// fionbio is FIONBIO (x86-64), which the unix package does not name.
const fionbio = 0x5421
