package sys

import (
	"encoding/binary"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"scone/kernel/mem"
	"scone/kernel/net/nettest"
	"scone/kernel/net/tcpip"
	"scone/kernel/sockfile"
)

// tcpPairFDs is a connected pair of TCP sockets of p over stack A's own
// address: the connecting end and the accepted one, both non-blocking.
func tcpPairFDs(t *testing.T, p *fileProc, port uint16) (c, s uintptr) {
	t.Helper()
	ls := p.must(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK, 0)
	addr := p.put(0, sockaddr(tcpip.FullAddr{Addr: nettest.AddrA, Port: port}))
	p.must(unix.SYS_BIND, ls, addr, 16)
	p.must(unix.SYS_LISTEN, ls, 8)
	c = p.must(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK, 0)
	if _, e := p.call(unix.SYS_CONNECT, c, addr, 16); e != syscall.EINPROGRESS {
		t.Fatalf("connect: %v", e)
	}
	s, e := p.retry(unix.SYS_ACCEPT4, ls, 0, 0, unix.SOCK_NONBLOCK)
	if e != 0 {
		t.Fatalf("accept4: %v", e)
	}
	return c, s
}

// TestStreamReceiveFaultKeepsData: a TCP receive into a bad buffer, or
// one whose bytes run into an unmapped page before the data ends, fails
// with EFAULT and leaves the data queued for the next read (Linux's
// tcp_recvmsg consumes only what it copied out). Before the fix the
// bytes were taken into a kernel buffer and lost with the EFAULT.
func TestStreamReceiveFaultKeepsData(t *testing.T) {
	p := sockProc(t)
	c, s := tcpPairFDs(t, p, 7100)
	p.must(unix.SYS_WRITE, s, p.put(100, []byte("kept")), 4)
	if n, e := p.retry(unix.SYS_RECVFROM, c, p.buf+200, 64, unix.MSG_PEEK, 0, 0); n != 4 || e != 0 {
		t.Fatalf("the data did not arrive: %d, %v", n, e)
	}
	end := p.buf + 16*mem.PageSize // newFileProc maps 16 pages
	msg := func(base uintptr) uintptr {
		iov := binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, uint64(base)), 64)
		m := make([]byte, sockfile.MsghdrLen)
		binary.LittleEndian.PutUint64(m[16:], uint64(p.put(300, iov)))
		binary.LittleEndian.PutUint64(m[24:], 1)
		return p.put(400, m)
	}
	for _, bad := range []uintptr{1, end - 2} {
		for _, tc := range []struct {
			name string
			nr   uintptr
			args []uintptr
		}{
			{"recvfrom", unix.SYS_RECVFROM, []uintptr{c, bad, 64, 0, 0, 0}},
			{"read", unix.SYS_READ, []uintptr{c, bad, 64}},
			{"readv", unix.SYS_READV, []uintptr{c, p.put(500, binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, uint64(bad)), 64)), 1}},
			{"recvmsg", unix.SYS_RECVMSG, []uintptr{c, msg(bad), 0}},
		} {
			if n, e := p.call(tc.nr, tc.args...); e != syscall.EFAULT {
				t.Errorf("%s into %#x: %d, %v; want EFAULT", tc.name, bad, n, e)
			}
			if n, e := p.call(unix.SYS_RECVFROM, c, p.buf+200, 64, unix.MSG_PEEK, 0, 0); n != 4 || string(p.get(200, 4)) != "kept" {
				t.Fatalf("after %s into %#x: %d %q, %v; want the 4 bytes still queued", tc.name, bad, n, p.get(200, 4), e)
			}
		}
	}
	// A buffer that ends in a bad page but holds all that is queued.
	if n, e := p.call(unix.SYS_RECVFROM, c, end-4, 64, 0, 0, 0); n != 4 || e != 0 || string(p.get(16*mem.PageSize-4, 4)) != "kept" {
		t.Errorf("recvfrom of 4 bytes into the last 4 good ones: %d, %v", n, e)
	}
}

// TestSocketPointerOrder: where Linux fails a call before it reads a
// pointer, Scone must too, and where Linux ignores a bad one, so must
// Scone. Each case failed before the fix with EFAULT (or success, for
// sendmsg's control buffer).
func TestSocketPointerOrder(t *testing.T) {
	p := sockProc(t)
	const bad = uintptr(1)
	ls := p.must(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK, 0)
	p.must(unix.SYS_BIND, ls, p.put(0, sockaddr(tcpip.FullAddr{Addr: nettest.AddrA, Port: 7200})), 16)
	p.must(unix.SYS_LISTEN, ls, 8)
	if _, e := p.call(unix.SYS_ACCEPT4, ls, p.buf+64, bad, 0); e != syscall.EAGAIN {
		t.Errorf("accept4 on an empty non-blocking listener, bad addrlen: %v, want EAGAIN", e)
	}
	tcp := p.must(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM, 0)
	if _, e := p.call(unix.SYS_GETPEERNAME, tcp, p.buf+64, bad); e != syscall.ENOTCONN {
		t.Errorf("getpeername unconnected, bad addrlen: %v, want ENOTCONN", e)
	}
	u := p.must(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK, 0)
	self := p.put(16, sockaddr(tcpip.FullAddr{Addr: tcpip.LoopbackAddr, Port: 7201}))
	p.must(unix.SYS_BIND, u, self, 16)
	if _, e := p.call(unix.SYS_RECVFROM, u, p.buf+64, 64, 0, p.buf+128, bad); e != syscall.EAGAIN {
		t.Errorf("recvfrom with nothing queued, bad addrlen: %v, want EAGAIN", e)
	}
	// sendmsg copies msg_control in; recvmsg ignores a failure to store it.
	iov := p.put(200, binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, uint64(p.buf+300)), 8))
	m := make([]byte, sockfile.MsghdrLen)
	le := binary.LittleEndian
	le.PutUint64(m[0:], uint64(self))
	le.PutUint32(m[8:], 16)
	le.PutUint64(m[16:], uint64(iov))
	le.PutUint64(m[24:], 1)
	le.PutUint64(m[32:], uint64(bad))
	le.PutUint64(m[40:], 32)
	if n, e := p.call(unix.SYS_SENDMSG, u, p.put(400, m), 0); e != syscall.EFAULT {
		t.Errorf("sendmsg with a bad msg_control: %d, %v; want EFAULT", n, e)
	}
	le.PutUint64(m[32:], uint64(p.put(900, make([]byte, 32)))) // a cmsghdr of length 0
	if n, e := p.call(unix.SYS_SENDMSG, u, p.put(400, m), 0); e != syscall.EINVAL {
		t.Errorf("sendmsg with a zeroed msg_control: %d, %v; want EINVAL", n, e)
	}
	le.PutUint64(m[40:], 0)
	p.must(unix.SYS_SENDMSG, u, p.put(400, m), 0)
	p.must(unix.SYS_SETSOCKOPT, u, unix.IPPROTO_IP, unix.IP_RECVTTL, p.put(500, le32(1)), 4)
	le.PutUint64(m[0:], 0)
	le.PutUint32(m[8:], 0)
	le.PutUint64(m[32:], uint64(bad))
	le.PutUint64(m[40:], 32)
	if n, e := p.retry(unix.SYS_RECVMSG, u, p.put(400, m), 0); n != 8 || e != 0 || le.Uint64(p.get(440, 8)) != 0 {
		t.Errorf("recvmsg with a bad msg_control: %d, %v, msg_controllen %d; want 8, no error, 0", n, e, le.Uint64(p.get(440, 8)))
	}
}
