package sys

import (
	"syscall"

	"golang.org/x/sys/unix"

	"scone/kernel/file"
	"scone/kernel/knet"
	"scone/kernel/net/socket"
	"scone/kernel/net/tcpip"
	"scone/kernel/proc"
	"scone/kernel/sockfile"
)

// The socket calls: socket, bind, listen, accept(4), connect, shutdown,
// getsockname, getpeername, setsockopt and getsockopt here; the data
// calls (sendto, recvfrom, sendmsg, recvmsg) in socketio.go. A socket is
// a sockfile.File in an ordinary description, so read, write, readv,
// writev, close, poll, epoll, fcntl and ioctl(FIONREAD, FIONBIO) work on
// it through the file calls. kernel/sockfile does the decoding.

func init() {
	Register(unix.SYS_SOCKET, "socket", sysSocket)
	Register(unix.SYS_SOCKETPAIR, "socketpair", sysSocketpair)
	Register(unix.SYS_BIND, "bind", sysBind)
	Register(unix.SYS_LISTEN, "listen", sysListen)
	Register(unix.SYS_ACCEPT, "accept", func(t *proc.Thread, a Args) (uintptr, error) { return accept4(t, a[0], a[1], a[2], 0) })
	Register(unix.SYS_ACCEPT4, "accept4", func(t *proc.Thread, a Args) (uintptr, error) { return accept4(t, a[0], a[1], a[2], int(int32(a[3]))) })
	Register(unix.SYS_CONNECT, "connect", sysConnect)
	Register(unix.SYS_SHUTDOWN, "shutdown", sysShutdown)
	Register(unix.SYS_GETSOCKNAME, "getsockname", func(t *proc.Thread, a Args) (uintptr, error) { return sockName(t, a, false) })
	Register(unix.SYS_GETPEERNAME, "getpeername", func(t *proc.Thread, a Args) (uintptr, error) { return sockName(t, a, true) })
	Register(unix.SYS_SETSOCKOPT, "setsockopt", sysSetsockopt)
	Register(unix.SYS_GETSOCKOPT, "getsockopt", sysGetsockopt)
}

// SocketLayer returns the sockets the calls make: the booted kernel's
// network (nil, and socket fails with EAFNOSUPPORT, without one). Tests
// replace it.
var SocketLayer = func() *socket.Layer {
	if n := knet.Get(); n != nil {
		return n.Sockets
	}
	return nil
}

// Flags of socket's type argument and accept4 (Linux's values).
const (
	sockNonblock = unix.SOCK_NONBLOCK
	sockCloexec  = unix.SOCK_CLOEXEC
	sockTypeMask = 0xf
)

func sysSocket(t *proc.Thread, a Args) (uintptr, error) {
	domain, typ, proto := int32(a[0]), int32(a[1]), int32(a[2])
	flags := typ & (sockNonblock | sockCloexec)
	typ &^= flags
	switch {
	case typ&^sockTypeMask != 0:
		return 0, syscall.EINVAL
	case domain != unix.AF_INET:
		return 0, syscall.EAFNOSUPPORT
	}
	l := SocketLayer()
	if l == nil {
		return 0, syscall.EAFNOSUPPORT
	}
	s, err := l.SocketProtocol(socket.Type(typ), int(proto))
	if err != nil {
		return 0, err
	}
	s.SetReuseAddr(false) // Linux's default; servers turn it on
	return installSocket(t, sockfile.New(s, l.Stack()), int(flags))
}

// sysSocketpair answers as Linux does for what Scone has: there are no
// AF_UNIX sockets (EAFNOSUPPORT, as socket(2)), and an AF_INET socket
// cannot be made a pair (inet's sock_no_socketpair: EOPNOTSUPP). Linux
// stores the two descriptors before it makes the sockets, so a bad
// array is EFAULT first; it is checked here without being written.
func sysSocketpair(t *proc.Thread, a Args) (uintptr, error) {
	domain, typ := int32(a[0]), int32(a[1])
	typ &^= sockNonblock | sockCloexec
	switch {
	case typ&^sockTypeMask != 0:
		return 0, syscall.EINVAL
	case t.Mem().Accessible(a[3], 8, true) < 8:
		return 0, syscall.EFAULT
	case domain != unix.AF_INET:
		return 0, syscall.EAFNOSUPPORT
	}
	l := SocketLayer()
	if l == nil {
		return 0, syscall.EAFNOSUPPORT
	}
	s, err := l.SocketProtocol(socket.Type(typ), int(int32(a[2])))
	if err != nil {
		return 0, err // as sock_create
	}
	s.Close()
	return 0, syscall.EOPNOTSUPP
}

// installSocket puts f in a new description and descriptor.
func installSocket(t *proc.Thread, f *sockfile.File, flags int) (uintptr, error) {
	fl := file.O_RDWR
	if flags&sockNonblock != 0 {
		fl |= file.O_NONBLOCK
	}
	return install(t, file.NewDescription(f, fl), flags&sockCloexec != 0)
}

// sockFD returns fd's description and socket file: EBADF for no fd,
// ENOTSOCK for another kind of file. Drop the reference when done.
func sockFD(t *proc.Thread, fd uintptr) (*file.Description, *sockfile.File, error) {
	d, err := getFD(t, fd)
	if err != nil {
		return nil, nil, err
	}
	f, ok := d.File().(*sockfile.File)
	if !ok {
		d.DecRef()
		return nil, nil, syscall.ENOTSOCK
	}
	return d, f, nil
}

func nonblocking(d *file.Description) bool { return d.Flags()&file.O_NONBLOCK != 0 }

// addrIn copies in a socket address of addrlen bytes: EINVAL for a
// length beyond sockaddr_storage (or negative), EFAULT for a bad pointer.
func addrIn(t *proc.Thread, va, addrlen uintptr) ([]byte, error) {
	n := int32(addrlen)
	if n < 0 || n > sockfile.MaxAddrLen {
		return nil, syscall.EINVAL
	}
	b := make([]byte, n)
	if err := t.Mem().CopyIn(b, va); err != nil {
		return nil, err
	}
	return b, nil
}

// addrLenIn reads the *addrlen of a call that returns an address.
func addrLenIn(t *proc.Thread, lenp uintptr) (int32, error) {
	v, err := getU32(t, lenp)
	if err != nil {
		return 0, err
	}
	if int32(v) < 0 {
		return 0, syscall.EINVAL
	}
	return int32(v), nil
}

// addrOut stores a at va, cut to bufLen bytes, and its length at lenp.
func addrOut(t *proc.Thread, a tcpip.FullAddr, va, lenp uintptr, bufLen int32) error {
	out, full, err := sockfile.OutAddr(a, bufLen)
	if err != nil {
		return err
	}
	if err := t.Mem().CopyOut(va, out); err != nil {
		return err
	}
	return putU32(t, lenp, full)
}

// restartable turns EINTR into ErrNoRestart when the socket has a timeout
// for the direction: Linux restarts a socket call after a signal only if
// it would have waited for ever (sock_intr_errno).
func restartable(err error, timeout bool) error {
	if err == syscall.EINTR && timeout {
		return ErrNoRestart
	}
	return err
}

func sysBind(t *proc.Thread, a Args) (uintptr, error) {
	d, f, err := sockFD(t, a[0])
	if err != nil {
		return 0, err
	}
	defer d.DecRef()
	b, err := addrIn(t, a[1], a[2])
	if err != nil {
		return 0, err
	}
	addr, err := sockfile.BindAddr(b)
	if err != nil {
		return 0, err
	}
	return ok(f.Socket().Bind(addr))
}

func sysListen(t *proc.Thread, a Args) (uintptr, error) {
	d, f, err := sockFD(t, a[0])
	if err != nil {
		return 0, err
	}
	defer d.DecRef()
	backlog := int(int32(a[1]))
	if backlog < 0 {
		backlog = 4096 // as an unsigned compare with somaxconn
	}
	return ok(f.Socket().Listen(backlog))
}

func accept4(t *proc.Thread, fd, addrVA, lenp uintptr, flags int) (uintptr, error) {
	if flags&^(sockNonblock|sockCloexec) != 0 {
		return 0, syscall.EINVAL
	}
	d, f, err := sockFD(t, fd)
	if err != nil {
		return 0, err
	}
	defer d.DecRef()
	recvTO, _ := f.Socket().Timeouts()
	s, peer, err := f.Accept(t.Ctx(), nonblocking(d))
	if err != nil {
		return 0, restartable(err, recvTO != 0)
	}
	// The address's pointers are read only now, as Linux's do_accept:
	// a bad one loses the connection taken.
	if addrVA != 0 {
		bufLen, err := addrLenIn(t, lenp)
		if err == nil {
			err = addrOut(t, peer, addrVA, lenp, bufLen)
		}
		if err != nil {
			s.Close()
			return 0, err
		}
	}
	nfd, err := installSocket(t, sockfile.New(s, f.Stack()), flags)
	if err != nil {
		s.Close()
	}
	return nfd, err
}

func sysConnect(t *proc.Thread, a Args) (uintptr, error) {
	d, f, err := sockFD(t, a[0])
	if err != nil {
		return 0, err
	}
	defer d.DecRef()
	b, err := addrIn(t, a[1], a[2])
	if err != nil {
		return 0, err
	}
	addr, disconnect, err := sockfile.ConnectAddr(b)
	if err != nil {
		return 0, err
	}
	s := f.Socket()
	if disconnect {
		return ok(s.Disconnect())
	}
	_, sendTO := s.Timeouts()
	return ok(restartable(f.Connect(t.Ctx(), addr, nonblocking(d)), sendTO != 0))
}

func sysShutdown(t *proc.Thread, a Args) (uintptr, error) {
	d, f, err := sockFD(t, a[0])
	if err != nil {
		return 0, err
	}
	defer d.DecRef()
	how := int(int32(a[1]))
	if how < unix.SHUT_RD || how > unix.SHUT_RDWR {
		return 0, syscall.EINVAL
	}
	return ok(f.Socket().Shutdown(how))
}

func sockName(t *proc.Thread, a Args, peer bool) (uintptr, error) {
	d, f, err := sockFD(t, a[0])
	if err != nil {
		return 0, err
	}
	defer d.DecRef()
	var addr tcpip.FullAddr
	if peer {
		addr, err = f.Socket().PeerAddr()
	} else {
		addr, err = f.Socket().LocalAddr()
	}
	if err != nil {
		return 0, err // ENOTCONN before any pointer is read, as Linux
	}
	bufLen, err := addrLenIn(t, a[2])
	if err != nil {
		return 0, err
	}
	return ok(addrOut(t, addr, a[1], a[2], bufLen))
}

// maxOptLen bounds what setsockopt copies in: no option takes more.
const maxOptLen = 256

func sysSetsockopt(t *proc.Thread, a Args) (uintptr, error) {
	d, f, err := sockFD(t, a[0])
	if err != nil {
		return 0, err
	}
	defer d.DecRef()
	n := int32(a[4])
	if n < 0 {
		return 0, syscall.EINVAL
	}
	val := make([]byte, min(int(n), maxOptLen))
	if err := t.Mem().CopyIn(val, a[3]); err != nil {
		return 0, err
	}
	return ok(sockfile.SetOption(f.Socket(), int(int32(a[1])), int(int32(a[2])), val))
}

func sysGetsockopt(t *proc.Thread, a Args) (uintptr, error) {
	d, f, err := sockFD(t, a[0])
	if err != nil {
		return 0, err
	}
	defer d.DecRef()
	n, err := getU32(t, a[4])
	if err != nil {
		return 0, err
	}
	if int32(n) < 0 {
		return 0, syscall.EINVAL
	}
	val, err := sockfile.GetOption(f.Socket(), int(int32(a[1])), int(int32(a[2])))
	if err != nil {
		return 0, err
	}
	val = val[:min(int(n), len(val))]
	if err := t.Mem().CopyOut(a[3], val); err != nil {
		return 0, err
	}
	return ok(putU32(t, a[4], uint32(len(val))))
}
