package main

import (
	"fmt"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A sockEnv is what the socket cases work on, all over loopback: a TCP
// listener (lfd), a connection to it (cfd, the client; afd, the
// accepted end), a bound UDP socket (ufd) with a sender, and a sink for
// datagrams that must never arrive. Memory ends at guard, the first
// byte of an unmapped page.
type sockEnv struct {
	lfd, cfd, afd, ufd, sender, sink uintptr
	guard                            uintptr
	temp                             []int // this case's sockets
	keep                             []any // what cases pass as uintptrs
	lastMsg                          *msghdr
	err                              error // the first setup failure
}

func newSockEnv() (*sockEnv, error) {
	s := &sockEnv{}
	// Two pages, the second unmapped again: raw calls, since the
	// unix package's Munmap wants the whole mapping.
	base, _, e := unix.Syscall6(unix.SYS_MMAP, 0, 2*4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON, ^uintptr(0), 0)
	if e != 0 {
		return nil, fmt.Errorf("mmap: %v", e)
	}
	if _, _, e := unix.Syscall(unix.SYS_MUNMAP, base+4096, 4096, 0); e != 0 {
		return nil, fmt.Errorf("munmap: %v", e)
	}
	s.guard = base + 4096
	l, port, err := tcpListener(16)
	if err != nil {
		return nil, err
	}
	s.lfd = uintptr(l)
	c, err := tcpConnect(port)
	if err != nil {
		return nil, err
	}
	s.cfd = uintptr(c)
	a, _, err := unix.Accept4(l, 0)
	if err != nil {
		return nil, fmt.Errorf("accept: %v", err)
	}
	s.afd = uintptr(a)
	for _, p := range []*uintptr{&s.ufd, &s.sender, &s.sink} {
		fd, _, err := udpSocket()
		if err != nil {
			return nil, err
		}
		*p = uintptr(fd)
	}
	return s, nil
}

func (s *sockEnv) close() {
	s.reset()
	for _, fd := range []uintptr{s.lfd, s.cfd, s.afd, s.ufd, s.sender, s.sink} {
		unix.Close(int(fd))
	}
}

// edge is an address size bytes long of which only the first half is
// mapped (for size 0, the unmapped page itself).
func (s *sockEnv) edge(size uintptr) uintptr { return s.guard - size/2 }

func (s *sockEnv) fail(err error) {
	if s.err == nil {
		s.err = err
	}
}

// socket is a new socket of the type, closed when the case ends.
func (s *sockEnv) socket(typ int) uintptr {
	fd, err := unix.Socket(unix.AF_INET, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		s.fail(fmt.Errorf("socket: %v", err))
		return ^uintptr(0)
	}
	s.temp = append(s.temp, fd)
	return uintptr(fd)
}

// pending makes a connection that waits on the listener to be accepted.
func (s *sockEnv) pending() {
	port, err := sockPort(int(s.lfd))
	if err == nil {
		var fd int
		fd, err = tcpConnect(port)
		s.temp = append(s.temp, fd)
	}
	if err != nil {
		s.fail(err)
	}
}

func keepPtr[T any](s *sockEnv, p *T) uintptr {
	s.keep = append(s.keep, p)
	return uintptr(unsafe.Pointer(p))
}

// buf is n bytes of good memory.
func (s *sockEnv) buf(n int) uintptr { return keepPtr(s, &make([]byte, n)[0]) }

// intPtr is an int holding v.
func (s *sockEnv) intPtr(v int32) uintptr { return keepPtr(s, &v) }

// udpAddr is the sink's address.
func (s *sockEnv) udpAddr() uintptr {
	sa, err := unix.Getsockname(int(s.sink))
	if err != nil {
		s.fail(err)
		return 0
	}
	in := sa.(*unix.SockaddrInet4)
	raw := unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: in.Addr}
	raw.Port = uint16(in.Port>>8 | in.Port<<8&0xff00) // network order
	return keepPtr(s, &raw)
}

// iov is one struct iovec.
func (s *sockEnv) iov(base uintptr, n uint64) uintptr {
	return keepPtr(s, &[2]uint64{uint64(base), n})
}

func (s *sockEnv) msghdr(name uintptr, namelen uint32, iov uintptr, iovlen uint64, control uintptr, controllen uint64) uintptr {
	m := &msghdr{Name: name, Namelen: namelen, Iov: iov, Iovlen: iovlen, Control: control, Controllen: controllen}
	s.lastMsg = m
	return keepPtr(s, m)
}

// msghdr is struct msghdr (x86-64) with its pointers as plain numbers,
// since the cases put bad ones in it.
type msghdr struct {
	Name       uintptr
	Namelen    uint32
	_          uint32
	Iov        uintptr
	Iovlen     uint64
	Control    uintptr
	Controllen uint64
	Flags      int32
	_          int32
}

// tcpData sends msg from the accepted end and waits until the client
// can read it.
func (s *sockEnv) tcpData(msg string) {
	if _, err := unix.Write(int(s.afd), []byte(msg)); err != nil {
		s.fail(err)
		return
	}
	s.waitReadable(s.cfd)
}

// datagram sends "datagram" to ufd and waits until it is there.
func (s *sockEnv) datagram() {
	sa, err := unix.Getsockname(int(s.ufd))
	if err == nil {
		err = unix.Sendto(int(s.sender), []byte("datagram"), 0, sa)
	}
	if err != nil {
		s.fail(err)
		return
	}
	s.waitReadable(s.ufd)
}

// waitReadable waits up to 5 s for fd to be readable.
func (s *sockEnv) waitReadable(fd uintptr) {
	if ok, err := pollWithin(int(fd), unix.POLLIN, 5*time.Second); !ok {
		s.fail(fmt.Errorf("fd %d not readable within 5 s: %v", fd, err))
	}
}

// pollWithin waits up to d for one of events on fd and reports whether it
// came. poll is never restarted after a signal handler (and the Go
// runtime preempts its threads with SIGURG), so an EINTR polls again for
// what is left of d.
func pollWithin(fd int, events int16, d time.Duration) (bool, error) {
	p := []unix.PollFd{{Fd: int32(fd), Events: events}}
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		n, err := unix.Poll(p, int(max(left.Milliseconds(), 0)))
		if err == unix.EINTR && left > 0 {
			continue
		}
		return n == 1 && err == nil, err
	}
}

// tcpKept checks that the bytes the failed call was offered are still
// there for the next read: TCP consumes nothing it could not copy out.
func (s *sockEnv) tcpKept() error {
	b := make([]byte, 64)
	n, _, err := unix.Recvfrom(int(s.cfd), b, unix.MSG_DONTWAIT)
	if err != nil || string(b[:max(n, 0)]) != "kept" {
		return fmt.Errorf("then read %q, %v; want the bytes kept", b[:max(n, 0)], err)
	}
	return nil
}

// noControl checks that recvmsg stored no ancillary data.
func (s *sockEnv) noControl() error {
	if s.lastMsg.Controllen != 0 {
		return fmt.Errorf("msg_controllen %d, want 0", s.lastMsg.Controllen)
	}
	return nil
}

// reset closes the case's sockets, drains every queue and takes any
// connection left waiting, so that each case starts alike.
func (s *sockEnv) reset() error {
	for _, fd := range s.temp {
		unix.Close(fd)
	}
	s.temp, s.keep, s.lastMsg, s.err = nil, nil, nil, nil
	unix.SetsockoptInt(int(s.ufd), unix.IPPROTO_IP, unix.IP_RECVTTL, 0)
	unix.SetNonblock(int(s.lfd), true)
	for i := 0; i < 16; i++ {
		fd, _, err := unix.Accept4(int(s.lfd), 0)
		if err != nil {
			break
		}
		unix.Close(fd)
	}
	b := make([]byte, 4096)
	for _, fd := range []uintptr{s.cfd, s.afd, s.ufd, s.sink} {
		for i := 0; i < 64; i++ {
			if _, _, err := unix.Recvfrom(int(fd), b, unix.MSG_DONTWAIT); err != nil {
				break
			}
		}
	}
	if err := unix.SetNonblock(int(s.lfd), false); err != nil {
		return err
	}
	return nil
}

// tcpListener is a blocking TCP socket listening on 127.0.0.1 at a port
// the kernel chose.
func tcpListener(backlog int) (fd, port int, err error) {
	fd, port, err = boundTCP()
	if err == nil {
		err = unix.Listen(fd, backlog)
	}
	if err != nil {
		unix.Close(fd)
		return -1, 0, fmt.Errorf("listen: %v", err)
	}
	return fd, port, nil
}

// boundTCP is a TCP socket bound to 127.0.0.1 at a port the kernel chose.
func boundTCP() (fd, port int, err error) {
	if fd, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0); err != nil {
		return -1, 0, err
	}
	if err = unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err == nil {
		port, err = sockPort(fd)
	}
	return fd, port, err
}

// tcpConnect is a blocking TCP socket connected to 127.0.0.1:port.
func tcpConnect(port int) (int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("socket: %v", err)
	}
	if err := unix.Connect(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: port}); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("connect to port %d: %w", port, err)
	}
	return fd, nil
}

// udpSocket is a blocking UDP socket bound to 127.0.0.1 at a port the
// kernel chose.
func udpSocket() (fd, port int, err error) {
	fd, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, 0, fmt.Errorf("socket: %v", err)
	}
	if err = unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err == nil {
		port, err = sockPort(fd)
	}
	if err != nil {
		unix.Close(fd)
		return -1, 0, fmt.Errorf("bind: %v", err)
	}
	return fd, port, nil
}

func sockPort(fd int) (int, error) {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return 0, err
	}
	return sa.(*unix.SockaddrInet4).Port, nil
}

// waitFor polls cond every 10 ms for at most limit.
func waitFor(limit time.Duration, cond func() bool) bool {
	for end := time.Now().Add(limit); ; time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(end) {
			return false
		}
	}
}
