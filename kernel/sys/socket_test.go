package sys

import (
	"encoding/binary"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"scone/kernel/file"
	"scone/kernel/net/link"
	"scone/kernel/net/nettest"
	"scone/kernel/net/socket"
	"scone/kernel/net/tcpip"
	"scone/kernel/net/waiter"
	"scone/kernel/sockfile"
)

// sockProc is a fileProc whose socket calls make sockets on stack A of a
// nettest.Pair.
func sockProc(t *testing.T) *fileProc {
	p, _ := sockProcPair(t)
	return p
}

// sockProcPair is sockProc also returning the pair of stacks: the
// process's sockets are on A.
func sockProcPair(t *testing.T) (*fileProc, *nettest.Pair) {
	return sockProcWith(t, nettest.PairOptions{})
}

// sockProcWith is sockProcPair with the pair built from o.
func sockProcWith(t *testing.T, o nettest.PairOptions) (*fileProc, *nettest.Pair) {
	p := newFileProc(t)
	pair := nettest.NewPair(t, o)
	l := socket.NewLayer(pair.A)
	old := SocketLayer
	SocketLayer = func() *socket.Layer { return l }
	t.Cleanup(func() { SocketLayer = old })
	return p, pair
}

func sockaddr(a tcpip.FullAddr) []byte {
	b := sockfile.PutSockaddrIn(a)
	return b[:]
}

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

// retry calls nr until it stops failing with EAGAIN/EALREADY/EINPROGRESS
// (the other stack works on its own goroutines), for at most 20 s.
func (p *fileProc) retry(nr uintptr, args ...uintptr) (uintptr, syscall.Errno) {
	deadline := time.Now().Add(20 * time.Second)
	for {
		v, e := p.call(nr, args...)
		if (e != syscall.EAGAIN && e != syscall.EALREADY && e != syscall.EINPROGRESS) || time.Now().After(deadline) {
			return v, e
		}
		time.Sleep(time.Millisecond)
	}
}

func TestSocketCalls(t *testing.T) {
	p := sockProc(t)
	ls := p.must(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if v := p.must(unix.SYS_FCNTL, ls, unix.F_GETFD); v != unix.FD_CLOEXEC {
		t.Errorf("SOCK_CLOEXEC: F_GETFD = %d", v)
	}
	p.must(unix.SYS_SETSOCKOPT, ls, unix.SOL_SOCKET, unix.SO_REUSEADDR, p.put(0, le32(1)), 4)
	p.must(unix.SYS_BIND, ls, p.put(16, sockaddr(tcpip.FullAddr{Port: 8080})), 16)
	p.must(unix.SYS_LISTEN, ls, 8)
	// getsockname with a short buffer: cut address, full length.
	p.put(100, le32(4))
	p.must(unix.SYS_GETSOCKNAME, ls, p.buf+64, p.buf+100)
	if got := p.get(64, 4); binary.BigEndian.Uint16(got[2:]) != 8080 || binary.LittleEndian.Uint32(p.get(100, 4)) != 16 {
		t.Errorf("getsockname with 4 bytes: %v, length %d", got, binary.LittleEndian.Uint32(p.get(100, 4)))
	}
	if v, _ := p.call(unix.SYS_GETSOCKOPT, ls, unix.SOL_SOCKET, unix.SO_ACCEPTCONN, p.buf+104, p.put(108, le32(4))); v != 0 || binary.LittleEndian.Uint32(p.get(104, 4)) != 1 {
		t.Errorf("SO_ACCEPTCONN on a listener: %v", p.get(104, 4))
	}

	// A non-blocking connect, then accept.
	c := p.must(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK, 0)
	to := p.put(32, sockaddr(tcpip.FullAddr{Addr: nettest.AddrA, Port: 8080}))
	if _, e := p.call(unix.SYS_CONNECT, c, to, 16); e != syscall.EINPROGRESS {
		t.Fatalf("non-blocking connect: %v, want EINPROGRESS", e)
	}
	p.put(120, le32(16))
	s := p.must(unix.SYS_ACCEPT4, ls, p.buf+200, p.buf+120, unix.SOCK_NONBLOCK)
	if fam := binary.LittleEndian.Uint16(p.get(200, 2)); fam != unix.AF_INET {
		t.Errorf("accept4 address family %d", fam)
	}
	if v := p.must(unix.SYS_FCNTL, s, unix.F_GETFL); v&unix.O_NONBLOCK == 0 {
		t.Error("accept4 SOCK_NONBLOCK not set")
	}
	if _, e := p.retry(unix.SYS_CONNECT, c, to, 16); e != 0 && e != syscall.EISCONN {
		t.Fatalf("connect after the handshake: %v", e)
	}
	p.put(124, le32(4))
	p.must(unix.SYS_GETSOCKOPT, c, unix.SOL_SOCKET, unix.SO_ERROR, p.buf+128, p.buf+124)
	if v := binary.LittleEndian.Uint32(p.get(128, 4)); v != 0 {
		t.Errorf("SO_ERROR after connecting: %d", v)
	}

	// write, then recvfrom with MSG_PEEK, then recvmsg into two iovecs.
	p.must(unix.SYS_WRITE, c, p.put(300, []byte("hello")), 5)
	n, _ := p.retry(unix.SYS_RECVFROM, s, p.buf+400, 10, unix.MSG_PEEK, 0, 0)
	if n != 5 || string(p.get(400, 5)) != "hello" {
		t.Fatalf("recvfrom MSG_PEEK = %d %q", n, p.get(400, 5))
	}
	p.must(unix.SYS_IOCTL, s, fionread, p.buf+140)
	if v := binary.LittleEndian.Uint32(p.get(140, 4)); v != 5 {
		t.Errorf("FIONREAD = %d, want 5", v)
	}
	iov := append(append(binary.LittleEndian.AppendUint64(nil, uint64(p.buf+500)), binary.LittleEndian.AppendUint64(nil, 2)...),
		append(binary.LittleEndian.AppendUint64(nil, uint64(p.buf+510)), binary.LittleEndian.AppendUint64(nil, 8)...)...)
	iovVA := p.put(600, iov)
	msg := make([]byte, sockfile.MsghdrLen)
	binary.LittleEndian.PutUint64(msg[16:], uint64(iovVA))
	binary.LittleEndian.PutUint64(msg[24:], 2)
	msgVA := p.put(700, msg)
	if n := p.must(unix.SYS_RECVMSG, s, msgVA, 0); n != 5 || string(p.get(500, 2))+string(p.get(510, 3)) != "hello" {
		t.Fatalf("recvmsg = %d, %q %q", n, p.get(500, 2), p.get(510, 3))
	}
	// sendmsg gathers two iovecs; read sees them as one stream.
	p.put(500, []byte("ab"))
	p.put(510, []byte("cdefghij"))
	if n := p.must(unix.SYS_SENDMSG, s, msgVA, unix.MSG_NOSIGNAL); n != 10 {
		t.Fatalf("sendmsg = %d", n)
	}
	n, _ = p.retry(unix.SYS_READ, c, p.buf+800, 64)
	if string(p.get(800, int(n))) != "abcdefghij"[:n] || n == 0 {
		t.Fatalf("read = %q", p.get(800, int(n)))
	}

	// fstat says socket.
	p.must(unix.SYS_FSTAT, s, p.buf+1024)
	if mode := binary.LittleEndian.Uint32(p.get(1024+24, 4)); mode&unix.S_IFMT != unix.S_IFSOCK { // st_mode
		t.Errorf("fstat mode %#o, want a socket", mode)
	}

	// Shutting the write side: the peer reads EOF; our own send is EPIPE.
	p.must(unix.SYS_SHUTDOWN, c, unix.SHUT_WR)
	if n, e := p.retry(unix.SYS_READ, s, p.buf+800, 64); n != 0 || e != 0 {
		t.Fatalf("read at EOF = %d, %v", n, e)
	}
	if _, e := p.call(unix.SYS_SENDTO, c, p.buf+300, 5, unix.MSG_NOSIGNAL, 0, 0); e != syscall.EPIPE {
		t.Errorf("send after SHUT_WR: %v, want EPIPE", e)
	}
	if pend := p.th.Pending(); pend&(1<<(sigpipe-1)) != 0 {
		t.Error("SIGPIPE raised despite MSG_NOSIGNAL")
	}
	if _, e := p.call(unix.SYS_WRITE, c, p.buf+300, 5); e != syscall.EPIPE {
		t.Errorf("write after SHUT_WR: %v, want EPIPE", e)
	}
	if pend := p.th.Pending(); pend&(1<<(sigpipe-1)) == 0 {
		t.Error("no SIGPIPE after a write to a shut socket")
	}
	for _, fd := range []uintptr{ls, c, s} {
		p.must(unix.SYS_CLOSE, fd)
	}
}

func TestDatagramSocketCalls(t *testing.T) {
	p := sockProc(t)
	a := p.must(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_DGRAM, 0)
	b := p.must(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK, 0)
	p.must(unix.SYS_BIND, b, p.put(0, sockaddr(tcpip.FullAddr{Addr: nettest.AddrA, Port: 5000})), 16)
	to := p.put(16, sockaddr(tcpip.FullAddr{Addr: nettest.AddrA, Port: 5000}))
	if n := p.must(unix.SYS_SENDTO, a, p.put(100, []byte("datagram")), 8, 0, to, 16); n != 8 {
		t.Fatalf("sendto = %d", n)
	}
	p.put(200, le32(16))
	n, e := p.retry(unix.SYS_RECVFROM, b, p.buf+300, 4, unix.MSG_TRUNC, p.buf+220, p.buf+200)
	if e != 0 || n != 8 || string(p.get(300, 4)) != "data" {
		t.Fatalf("recvfrom MSG_TRUNC into 4 bytes = %d, %v, %q; want 8 (the real length)", n, e, p.get(300, 4))
	}
	from, _, _ := sockfile.ConnectAddr(p.get(220, 16))
	if from.Addr != nettest.AddrA || from.Port == 0 {
		t.Errorf("recvfrom address %v", from)
	}
	if _, e := p.call(unix.SYS_RECVFROM, b, p.buf+300, 4, 0, 0, 0); e != syscall.EAGAIN {
		t.Errorf("non-blocking recvfrom on an empty socket: %v, want EAGAIN", e)
	}
	// write on an unconnected datagram socket has nowhere to go.
	if _, e := p.call(unix.SYS_WRITE, a, p.buf+100, 8); e != syscall.EDESTADDRREQ {
		t.Errorf("write unconnected: %v, want EDESTADDRREQ", e)
	}
	if _, e := p.call(unix.SYS_SENDTO, a, p.buf+100, 70000, 0, to, 16); e != syscall.EMSGSIZE {
		t.Errorf("70,000-byte datagram: %v, want EMSGSIZE", e)
	}
}

func TestSocketCallErrors(t *testing.T) {
	p := sockProc(t)
	fd := p.must(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM, 0)
	p.must(unix.SYS_PIPE2, p.buf, 0)
	pipeFD := uintptr(binary.LittleEndian.Uint32(p.get(0, 4)))
	const bad = uintptr(0x10)
	addr := p.put(64, sockaddr(tcpip.FullAddr{Port: 9}))
	for _, tc := range []struct {
		name string
		nr   uintptr
		args []uintptr
		want syscall.Errno
	}{
		{"socket AF_INET6", unix.SYS_SOCKET, []uintptr{unix.AF_INET6, unix.SOCK_STREAM, 0}, syscall.EAFNOSUPPORT},
		{"socket bad type bits", unix.SYS_SOCKET, []uintptr{unix.AF_INET, unix.SOCK_STREAM | 0x100, 0}, syscall.EINVAL},
		{"socket raw", unix.SYS_SOCKET, []uintptr{unix.AF_INET, unix.SOCK_RAW, 0}, syscall.ESOCKTNOSUPPORT},
		{"bind on a pipe", unix.SYS_BIND, []uintptr{pipeFD, addr, 16}, syscall.ENOTSOCK},
		{"bind bad fd", unix.SYS_BIND, []uintptr{99, addr, 16}, syscall.EBADF},
		{"bind bad pointer", unix.SYS_BIND, []uintptr{fd, bad, 16}, syscall.EFAULT},
		{"bind short", unix.SYS_BIND, []uintptr{fd, addr, 8}, syscall.EINVAL},
		{"bind too long", unix.SYS_BIND, []uintptr{fd, addr, 129}, syscall.EINVAL},
		{"connect bad pointer", unix.SYS_CONNECT, []uintptr{fd, bad, 16}, syscall.EFAULT},
		{"getsockname bad length pointer", unix.SYS_GETSOCKNAME, []uintptr{fd, p.buf + 128, bad}, syscall.EFAULT},
		{"getpeername unconnected", unix.SYS_GETPEERNAME, []uintptr{fd, p.buf + 128, p.put(160, le32(16))}, syscall.ENOTCONN},
		{"accept4 bad flags", unix.SYS_ACCEPT4, []uintptr{fd, 0, 0, 0x1}, syscall.EINVAL},
		{"accept not listening", unix.SYS_ACCEPT, []uintptr{fd, 0, 0}, syscall.EINVAL},
		{"sendto bad buffer", unix.SYS_SENDTO, []uintptr{fd, 0xffff800000000000, 10, 0, 0, 0}, syscall.EFAULT},
		// The receive fails before the length is read, as on Linux.
		{"recvfrom unconnected, bad length pointer", unix.SYS_RECVFROM, []uintptr{fd, p.buf, 10, 0, p.buf + 128, bad}, syscall.ENOTCONN},
		{"recvmsg bad msghdr", unix.SYS_RECVMSG, []uintptr{fd, bad, 0}, syscall.EFAULT},
		{"sendmsg bad msghdr", unix.SYS_SENDMSG, []uintptr{fd, bad, 0}, syscall.EFAULT},
		{"setsockopt bad value", unix.SYS_SETSOCKOPT, []uintptr{fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, bad, 4}, syscall.EFAULT},
		{"setsockopt short", unix.SYS_SETSOCKOPT, []uintptr{fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, p.buf, 2}, syscall.EINVAL},
		{"getsockopt bad length", unix.SYS_GETSOCKOPT, []uintptr{fd, unix.SOL_SOCKET, unix.SO_TYPE, p.buf, bad}, syscall.EFAULT},
		{"getsockopt negative length", unix.SYS_GETSOCKOPT, []uintptr{fd, unix.SOL_SOCKET, unix.SO_TYPE, p.buf, p.put(170, le32(0xffffffff))}, syscall.EINVAL},
		{"getsockopt unknown", unix.SYS_GETSOCKOPT, []uintptr{fd, unix.SOL_SOCKET, 999, p.buf, p.put(174, le32(4))}, syscall.ENOPROTOOPT},
		{"shutdown bad how", unix.SYS_SHUTDOWN, []uintptr{fd, 3}, syscall.EINVAL},
		{"shutdown unconnected", unix.SYS_SHUTDOWN, []uintptr{fd, unix.SHUT_RD}, syscall.ENOTCONN},
		{"listen on a pipe", unix.SYS_LISTEN, []uintptr{pipeFD, 1}, syscall.ENOTSOCK},
	} {
		if _, e := p.call(tc.nr, tc.args...); e != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, e, tc.want)
		}
	}
	// A fresh socket polls POLLOUT|POLLHUP, through the file layer's poll.
	d, err := p.th.Proc().Files.Get(int(fd))
	if err != nil {
		t.Fatal(err)
	}
	defer d.DecRef()
	if _, ok := d.File().(file.Stream); !ok {
		t.Error("a socket is not a file.Stream")
	}
	if ev := d.File().Readiness(waiter.EventIn | waiter.EventOut | waiter.EventHup); ev != waiter.EventOut|waiter.EventHup {
		t.Errorf("fresh socket polls %#x, want POLLOUT|POLLHUP", ev)
	}
}

// TestSocketIoctl asks for interface facts through ioctl on a socket, as
// ifconfig does.
func TestSocketIoctl(t *testing.T) {
	p := sockProc(t)
	fd := p.must(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_DGRAM, 0)
	ifr := make([]byte, sockfile.IfreqLen)
	copy(ifr, "lo")
	va := p.put(0, ifr)
	p.must(unix.SYS_IOCTL, fd, unix.SIOCGIFADDR, va)
	if a, _ := sockfile.SendAddr(p.get(16, 16)); a.Addr != tcpip.LoopbackAddr {
		t.Errorf("SIOCGIFADDR lo = %v", a)
	}
	copy(ifr, "nope\x00")
	if _, e := p.call(unix.SYS_IOCTL, fd, unix.SIOCGIFFLAGS, p.put(0, ifr)); e != syscall.ENODEV {
		t.Errorf("unknown interface: %v, want ENODEV", e)
	}
	if _, e := p.call(unix.SYS_IOCTL, fd, unix.SIOCGIFFLAGS, 0x10); e != syscall.EFAULT {
		t.Errorf("bad ifreq pointer: %v, want EFAULT", e)
	}
}

// TestSpliceRefused checks splice and tee fail as Go's fallback expects:
// EBADF for a closed descriptor, EINVAL otherwise (never ENOSYS).
func TestSpliceRefused(t *testing.T) {
	p := sockProc(t)
	s := p.must(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM, 0)
	p.must(unix.SYS_PIPE2, p.buf, 0)
	w := uintptr(binary.LittleEndian.Uint32(p.get(4, 4)))
	if _, e := p.call(unix.SYS_SPLICE, s, 0, w, 0, 4096, unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK); e != syscall.EINVAL {
		t.Errorf("splice socket->pipe: %v, want EINVAL", e)
	}
	if _, e := p.call(unix.SYS_SPLICE, 99, 0, w, 0, 4096, 0); e != syscall.EBADF {
		t.Errorf("splice from a closed fd: %v, want EBADF", e)
	}
	if _, e := p.call(unix.SYS_TEE, w, w, 10, 0); e != syscall.EINVAL {
		t.Errorf("tee: %v, want EINVAL", e)
	}
}

// TestSocketIoctlPrivilege: the set requests need root (CAP_NET_ADMIN on
// Linux): EPERM for any other effective user, and the configuration is
// left as it was; the get requests stay open to everyone.
func TestSocketIoctlPrivilege(t *testing.T) {
	p := sockProc(t)
	fd := p.must(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_DGRAM, 0)
	p.th.Proc().Cred.EUID = 1000
	ifr := make([]byte, sockfile.IfreqLen)
	copy(ifr, "lo")
	sa := sockfile.PutSockaddrIn(tcpip.FullAddr{Addr: tcpip.AddrFrom4(127, 0, 0, 9)})
	copy(ifr[16:], sa[:])
	for _, cmd := range []uintptr{unix.SIOCSIFADDR, unix.SIOCSIFNETMASK, unix.SIOCSIFFLAGS, unix.SIOCSIFMTU, unix.SIOCADDRT, unix.SIOCDELRT} {
		if _, e := p.call(unix.SYS_IOCTL, fd, cmd, p.put(0, ifr)); e != syscall.EPERM {
			t.Errorf("ioctl %#x as euid 1000: %v, want EPERM", cmd, e)
		}
	}
	p.must(unix.SYS_IOCTL, fd, unix.SIOCGIFADDR, p.put(0, ifr))
	if a, _ := sockfile.SendAddr(p.get(16, 16)); a.Addr != tcpip.LoopbackAddr {
		t.Errorf("lo's address after a refused SIOCSIFADDR: %v", a)
	}
	p.th.Proc().Cred.EUID = 0
	copy(ifr[16:], sa[:])
	p.must(unix.SYS_IOCTL, fd, unix.SIOCSIFADDR, p.put(0, ifr))
}

// TestRecvmsgTTL: with IP_RECVTTL a UDP recvmsg returns a control
// message (IPPROTO_IP, IP_TTL, an int) with the datagram's TTL, as
// Linux's; msg_controllen is what was used; a buffer too small for it
// sets MSG_CTRUNC; without the option there is no control data.
func TestRecvmsgTTL(t *testing.T) {
	p := sockProc(t)
	s := p.must(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_DGRAM, 0)
	self := tcpip.FullAddr{Addr: tcpip.LoopbackAddr, Port: 7007}
	to := p.put(0, sockaddr(self))
	p.must(unix.SYS_BIND, s, to, 16)
	p.must(unix.SYS_SETSOCKOPT, s, unix.IPPROTO_IP, unix.IP_TTL, p.put(16, le32(33)), 4)
	p.put(124, le32(4))
	p.must(unix.SYS_GETSOCKOPT, s, unix.IPPROTO_IP, unix.IP_RECVTTL, p.buf+128, p.buf+124)
	if v := binary.LittleEndian.Uint32(p.get(128, 4)); v != 0 {
		t.Errorf("IP_RECVTTL on a new socket: %d", v)
	}
	iov := append(binary.LittleEndian.AppendUint64(nil, uint64(p.buf+500)), binary.LittleEndian.AppendUint64(nil, 64)...)
	iovVA := p.put(600, iov)
	// recvmsg with a control buffer of room bytes: the message's
	// msg_controllen and msg_flags afterwards, and the control bytes.
	recvmsg := func(room uint64) (uint64, uint32, []byte) {
		t.Helper()
		p.must(unix.SYS_SENDTO, s, p.put(400, []byte("ttl?")), 4, 0, to, 16)
		p.put(800, make([]byte, 32))
		msg := make([]byte, sockfile.MsghdrLen)
		binary.LittleEndian.PutUint64(msg[16:], uint64(iovVA))
		binary.LittleEndian.PutUint64(msg[24:], 1)
		binary.LittleEndian.PutUint64(msg[32:], uint64(p.buf+800))
		binary.LittleEndian.PutUint64(msg[40:], room)
		msgVA := p.put(700, msg)
		if n, e := p.retry(unix.SYS_RECVMSG, s, msgVA, unix.MSG_DONTWAIT); n != 4 || e != 0 {
			t.Fatalf("recvmsg = %d, %v", n, e)
		}
		return binary.LittleEndian.Uint64(p.get(740, 8)), binary.LittleEndian.Uint32(p.get(748, 4)), p.get(800, 24)
	}
	if clen, fl, _ := recvmsg(64); clen != 0 || fl&unix.MSG_CTRUNC != 0 {
		t.Errorf("without IP_RECVTTL: controllen %d, flags %#x", clen, fl)
	}
	p.must(unix.SYS_SETSOCKOPT, s, unix.IPPROTO_IP, unix.IP_RECVTTL, p.put(16, le32(1)), 4)
	clen, fl, c := recvmsg(64)
	le := binary.LittleEndian
	if clen != 24 || fl&unix.MSG_CTRUNC != 0 || le.Uint64(c) != 20 || le.Uint32(c[8:]) != unix.IPPROTO_IP ||
		le.Uint32(c[12:]) != unix.IP_TTL || le.Uint32(c[16:]) != 33 {
		t.Errorf("IP_RECVTTL: controllen %d, flags %#x, cmsg % x; want 24, a cmsg of 20 bytes, level 0, type 2, ttl 33", clen, fl, c)
	}
	if clen, fl, _ := recvmsg(18); clen != 18 || fl&unix.MSG_CTRUNC == 0 {
		t.Errorf("18-byte control buffer: controllen %d, flags %#x, want 18 and MSG_CTRUNC", clen, fl)
	}
	if clen, fl, _ := recvmsg(0); clen != 0 || fl&unix.MSG_CTRUNC == 0 {
		t.Errorf("no control buffer: controllen %d, flags %#x, want 0 and MSG_CTRUNC", clen, fl)
	}
}

// TestCloseLingers: close(2) of a TCP socket with SO_LINGER {1, 1} whose
// peer acknowledges nothing blocks for the linger second, then returns 0;
// a dup'ed descriptor's close does not wait (the socket stays open).
func TestCloseLingers(t *testing.T) {
	p, pair := sockProcPair(t)
	srv, err := socket.NewLayer(pair.B).Socket(socket.Stream)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.Bind(tcpip.FullAddr{Port: 80}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(1); err != nil {
		t.Fatal(err)
	}
	fd := p.must(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM, 0)
	p.must(unix.SYS_CONNECT, fd, p.put(0, sockaddr(tcpip.FullAddr{Addr: nettest.AddrB, Port: 80})), 16)
	p.must(unix.SYS_SETSOCKOPT, fd, unix.SOL_SOCKET, unix.SO_LINGER, p.put(16, append(le32(1), le32(1)...)), 8)
	p.must(unix.SYS_WRITE, fd, p.put(32, []byte("bye")), 3)
	pair.EndB.Out().SetImpairments(link.Impairments{Loss: 1})
	dup := p.must(unix.SYS_DUP, fd)
	start := time.Now()
	p.must(unix.SYS_CLOSE, dup)
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("closing a dup took %v", d)
	}
	start = time.Now()
	if _, e := p.call(unix.SYS_CLOSE, fd); e != 0 {
		t.Errorf("close: %v", e)
	}
	if d := time.Since(start); d < 900*time.Millisecond || d > 5*time.Second {
		t.Errorf("close with SO_LINGER 1 s and no ACKs took %v", d)
	}
}

// TestConnectUnspecTCP: connect(2) with AF_UNSPEC on a connected TCP
// socket is Linux's tcp_disconnect: it returns 0, the peer is reset,
// SO_ERROR reports ECONNRESET, getpeername ENOTCONN, and the same socket
// connects again.
func TestConnectUnspecTCP(t *testing.T) {
	p := sockProc(t)
	ls := p.must(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM, 0)
	p.must(unix.SYS_BIND, ls, p.put(16, sockaddr(tcpip.FullAddr{Port: 8081})), 16)
	p.must(unix.SYS_LISTEN, ls, 8)
	c := p.must(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM, 0)
	to := p.put(32, sockaddr(tcpip.FullAddr{Addr: nettest.AddrA, Port: 8081}))
	p.must(unix.SYS_CONNECT, c, to, 16)
	s := p.must(unix.SYS_ACCEPT4, ls, 0, 0, 0)

	unspec := p.put(64, []byte{unix.AF_UNSPEC, 0})
	if _, e := p.call(unix.SYS_CONNECT, c, unspec, 2); e != 0 {
		t.Fatalf("connect(AF_UNSPEC) = %v, want 0", e)
	}
	if _, e := p.call(unix.SYS_READ, s, p.buf+800, 64); e != syscall.ECONNRESET {
		t.Errorf("the peer's read after the disconnect: %v, want ECONNRESET", e)
	}
	p.put(124, le32(4))
	p.must(unix.SYS_GETSOCKOPT, c, unix.SOL_SOCKET, unix.SO_ERROR, p.buf+128, p.buf+124)
	if v := binary.LittleEndian.Uint32(p.get(128, 4)); syscall.Errno(v) != syscall.ECONNRESET {
		t.Errorf("SO_ERROR after the disconnect: %v, want ECONNRESET", syscall.Errno(v))
	}
	p.put(100, le32(16))
	if _, e := p.call(unix.SYS_GETPEERNAME, c, p.buf+200, p.buf+100); e != syscall.ENOTCONN {
		t.Errorf("getpeername after the disconnect: %v, want ENOTCONN", e)
	}
	if _, e := p.call(unix.SYS_CONNECT, c, to, 16); e != 0 {
		t.Fatalf("connect again after the disconnect: %v", e)
	}
	s2 := p.must(unix.SYS_ACCEPT4, ls, 0, 0, 0)
	p.must(unix.SYS_WRITE, c, p.put(300, []byte("again")), 5)
	if n, _ := p.retry(unix.SYS_READ, s2, p.buf+800, 64); n != 5 || string(p.get(800, 5)) != "again" {
		t.Errorf("read on the new connection = %d %q", n, p.get(800, int(n)))
	}
	for _, fd := range []uintptr{ls, c, s, s2} {
		p.must(unix.SYS_CLOSE, fd)
	}
}

// TestExitDoesNotLinger: as Linux's inet_release, which never lingers for
// a task that is exiting, a process's exit closes a socket with SO_LINGER
// on at once, its FIN going on in the background; SO_LINGER with a zero
// time still resets the connection, as tcp_close checks the option
// itself.
func TestExitDoesNotLinger(t *testing.T) {
	for _, tc := range []struct {
		name     string
		linger   uint32
		wantRead syscall.Errno // what the peer's read gets once the exit is over
	}{
		{"linger-5s", 5, 0},
		{"linger-0", 0, syscall.ECONNRESET},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, pair := sockProcPair(t)
			l, err := socket.NewLayer(pair.B).Socket(socket.Stream)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			l.Bind(tcpip.FullAddr{Port: 80})
			l.Listen(1)
			fd := p.must(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM, 0)
			p.must(unix.SYS_CONNECT, fd, p.put(0, sockaddr(tcpip.FullAddr{Addr: nettest.AddrB, Port: 80})), 16)
			srv, _, err := l.Accept(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			p.must(unix.SYS_SETSOCKOPT, fd, unix.SOL_SOCKET, unix.SO_LINGER, p.put(16, append(le32(1), le32(tc.linger)...)), 8)
			p.must(unix.SYS_WRITE, fd, p.put(32, []byte("bye")), 3)
			buf := make([]byte, 8)
			if n, err := srv.Read(t.Context(), buf); n != 3 || err != nil {
				t.Fatalf("peer read %d %v", n, err)
			}
			if tc.linger != 0 {
				// Nothing the process sends from now on is acknowledged,
				// so a close(2) would wait the whole linger time.
				pair.EndB.Out().SetImpairments(link.Impairments{Loss: 1})
			}
			start := time.Now()
			p.th.Proc().Files.Release() // what the process's exit does
			if d := time.Since(start); d > time.Second {
				t.Errorf("exit with SO_LINGER %d s took %v", tc.linger, d)
			}
			n, err := srv.Read(t.Context(), buf)
			if tc.wantRead == 0 && (n != 0 || err != nil) {
				t.Errorf("peer read after the exit = %d %v, want end of stream (the FIN)", n, err)
			}
			if tc.wantRead != 0 && err != tc.wantRead {
				t.Errorf("peer read after the exit = %d %v, want %v", n, err, tc.wantRead)
			}
		})
	}
}

// TestDup2Lingers: dup2 over the last descriptor of a socket with
// SO_LINGER closes it as close(2) does, waiting for the FIN's
// acknowledgement up to the linger time (Linux's final fput runs in the
// task, which is not exiting).
func TestDup2Lingers(t *testing.T) {
	p, pair := sockProcPair(t)
	srv, err := socket.NewLayer(pair.B).Socket(socket.Stream)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.Bind(tcpip.FullAddr{Port: 80})
	srv.Listen(1)
	fd := p.must(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM, 0)
	p.must(unix.SYS_CONNECT, fd, p.put(0, sockaddr(tcpip.FullAddr{Addr: nettest.AddrB, Port: 80})), 16)
	p.must(unix.SYS_SETSOCKOPT, fd, unix.SOL_SOCKET, unix.SO_LINGER, p.put(16, append(le32(1), le32(1)...)), 8)
	pair.EndB.Out().SetImpairments(link.Impairments{Loss: 1})
	other := p.must(unix.SYS_EVENTFD2, 0, 0)
	start := time.Now()
	if _, e := p.call(unix.SYS_DUP2, other, fd); e != 0 {
		t.Fatalf("dup2: %v", e)
	}
	if d := time.Since(start); d < 900*time.Millisecond || d > 5*time.Second {
		t.Errorf("dup2 over a socket with SO_LINGER 1 s and no ACKs took %v", d)
	}
}

// tinyELF is the smallest static x86-64 executable: one PT_LOAD segment
// at 0x400000 whose code at the entry point loops (it never runs here).
func tinyELF() []byte {
	const base, hdr = 0x400000, 64 + 56
	b := make([]byte, hdr, hdr+2)
	copy(b, []byte{0x7f, 'E', 'L', 'F', 2, 1, 1})
	le := binary.LittleEndian
	le.PutUint16(b[16:], 2)        // ET_EXEC
	le.PutUint16(b[18:], 62)       // EM_X86_64
	le.PutUint32(b[20:], 1)        // EV_CURRENT
	le.PutUint64(b[24:], base+hdr) // e_entry
	le.PutUint64(b[32:], 64)       // e_phoff
	le.PutUint16(b[52:], 64)       // e_ehsize
	le.PutUint16(b[54:], 56)       // e_phentsize
	le.PutUint16(b[56:], 1)        // e_phnum
	ph := b[64:]
	le.PutUint32(ph[0:], 1)       // PT_LOAD
	le.PutUint32(ph[4:], 5)       // PF_R|PF_X
	le.PutUint64(ph[16:], base)   // p_vaddr
	le.PutUint64(ph[24:], base)   // p_paddr
	le.PutUint64(ph[32:], hdr+2)  // p_filesz
	le.PutUint64(ph[40:], hdr+2)  // p_memsz
	le.PutUint64(ph[48:], 0x1000) // p_align
	return append(b, 0xeb, 0xfe)  // jmp .
}

// TestExecLingers: execve closing a close-on-exec socket with SO_LINGER
// lingers as close(2) does (on Linux the last fput runs in the task,
// which is not exiting), and a socket without FD_CLOEXEC stays open.
func TestExecLingers(t *testing.T) {
	p, pair := sockProcPair(t)
	srv, err := socket.NewLayer(pair.B).Socket(socket.Stream)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.Bind(tcpip.FullAddr{Port: 80})
	srv.Listen(2)
	connect := func(flags uintptr) uintptr {
		fd := p.must(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM|flags, 0)
		p.must(unix.SYS_CONNECT, fd, p.put(0, sockaddr(tcpip.FullAddr{Addr: nettest.AddrB, Port: 80})), 16)
		p.must(unix.SYS_SETSOCKOPT, fd, unix.SOL_SOCKET, unix.SO_LINGER, p.put(16, append(le32(1), le32(1)...)), 8)
		return fd
	}
	lingering := connect(unix.SOCK_CLOEXEC)
	kept := connect(0)
	prog := tinyELF()
	fd := p.must(unix.SYS_OPEN, p.str(64, "/tiny"), unix.O_CREAT|unix.O_WRONLY, 0o755)
	p.must(unix.SYS_WRITE, fd, p.put(1024, prog), uintptr(len(prog)))
	p.must(unix.SYS_CLOSE, fd)
	pair.EndB.Out().SetImpairments(link.Impairments{Loss: 1})
	argv := p.put(512, binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, uint64(p.str(64, "/tiny"))), 0))
	start := time.Now()
	if _, e := p.call(unix.SYS_EXECVE, p.str(64, "/tiny"), argv, p.buf+520); e != 0 {
		t.Fatalf("execve: %v", e)
	}
	if d := time.Since(start); d < 900*time.Millisecond || d > 5*time.Second {
		t.Errorf("execve closing a socket with SO_LINGER 1 s and no ACKs took %v", d)
	}
	if _, err := p.th.Proc().Files.Get(int(lingering)); err == nil {
		t.Error("the close-on-exec socket survived the exec")
	}
	if d, err := p.th.Proc().Files.Get(int(kept)); err != nil {
		t.Error("a socket without FD_CLOEXEC was closed by the exec")
	} else {
		d.DecRef()
	}
}
