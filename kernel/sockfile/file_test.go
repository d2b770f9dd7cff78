package sockfile

import (
	"context"
	"encoding/binary"
	"syscall"
	"testing"
	"time"

	"scone/kernel/file"
	"scone/kernel/net/nettest"
	"scone/kernel/net/socket"
	"scone/kernel/net/tcpip"
	"scone/kernel/net/waiter"
)

const timeout = 20 * time.Second

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return c
}

// pair returns two connected stream socket files, client and server.
func pair(t *testing.T) (cli, srv *File) {
	p := nettest.NewPair(t, nettest.PairOptions{})
	la, lb := socket.NewLayer(p.A), socket.NewLayer(p.B)
	ls, _ := lb.Socket(socket.Stream)
	l := New(ls, nil)
	t.Cleanup(func() { l.Close() })
	if err := ls.Bind(tcpip.FullAddr{Port: 80}); err != nil {
		t.Fatal(err)
	}
	ls.Listen(4)
	cs, _ := la.Socket(socket.Stream)
	cli = New(cs, nil)
	t.Cleanup(func() { cli.Close() })
	if err := cli.Connect(ctx(t), tcpip.FullAddr{Addr: nettest.AddrB, Port: 80}, true); err != syscall.EINPROGRESS {
		t.Fatalf("non-blocking connect: %v, want EINPROGRESS", err)
	}
	ss, _, err := l.Accept(ctx(t), false)
	if err != nil {
		t.Fatal(err)
	}
	srv = New(ss, nil)
	t.Cleanup(func() { srv.Close() })
	// Non-blocking connect: poll for POLLOUT, then SO_ERROR says how.
	n, err := waiter.Poll(ctx(t), []waiter.PollItem{{W: cli, Events: waiter.EventOut}})
	if n != 1 || err != nil {
		t.Fatalf("poll for the connect: %d, %v", n, err)
	}
	if v, err := GetOption(cli.Socket(), SOL_SOCKET, SO_ERROR); err != nil || binary.LittleEndian.Uint32(v) != 0 {
		t.Fatalf("SO_ERROR after connecting: %v, %v", v, err)
	}
	return cli, srv
}

func TestFileReadWrite(t *testing.T) {
	cli, srv := pair(t)
	var _ file.Stream = cli
	if n, err := cli.Write(ctx(t), []byte("hello"), false); n != 5 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	nettest.Poll(t, timeout, "data at the server", func() bool { return srv.Buffered() == 5 })
	buf := make([]byte, 10)
	if n, err := srv.Read(ctx(t), buf, false); n != 5 || err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("Read = %d, %v, %q", n, err, buf[:n])
	}
	if _, err := srv.Read(ctx(t), buf, true); err != syscall.EAGAIN {
		t.Fatalf("non-blocking Read with nothing queued: %v, want EAGAIN", err)
	}
	st, err := srv.Stat()
	if err != nil || st.Mode != file.S_IFSOCK|0o777 || st.Ino == 0 {
		t.Fatalf("Stat = %+v, %v", st, err)
	}
	if st2, _ := cli.Stat(); st2.Ino == st.Ino {
		t.Error("two sockets share an inode number")
	}
	// End of stream: read returns 0, as read(2).
	cli.Socket().Shutdown(socket.ShutWr)
	if n, err := srv.Read(ctx(t), buf, false); n != 0 || err != nil {
		t.Fatalf("Read at EOF = %d, %v; want 0, nil", n, err)
	}
}

// TestOptionsThroughBytes sets and gets options as setsockopt and
// getsockopt pass them: raw bytes.
func TestOptionsThroughBytes(t *testing.T) {
	cli, _ := pair(t)
	s := cli.Socket()
	i32 := func(v int32) []byte { b := make([]byte, 4); binary.LittleEndian.PutUint32(b, uint32(v)); return b }
	tv := func(sec, usec int64) []byte {
		b := make([]byte, 16)
		binary.LittleEndian.PutUint64(b, uint64(sec))
		binary.LittleEndian.PutUint64(b[8:], uint64(usec))
		return b
	}
	for _, tc := range []struct {
		name       string
		level, opt int
		set        []byte
		setErr     error
		want       []byte // what getsockopt returns after (nil: skip)
	}{
		{"nodelay", IPPROTO_TCP, TCP_NODELAY, i32(1), nil, i32(1)},
		{"nodelay-short", IPPROTO_TCP, TCP_NODELAY, []byte{1, 0}, syscall.EINVAL, nil},
		{"keepalive", SOL_SOCKET, SO_KEEPALIVE, i32(1), nil, i32(1)},
		{"keepidle", IPPROTO_TCP, TCP_KEEPIDLE, i32(30), nil, i32(30)},
		{"keepintvl", IPPROTO_TCP, TCP_KEEPINTVL, i32(5), nil, i32(5)},
		{"keepcnt", IPPROTO_TCP, TCP_KEEPCNT, i32(4), nil, i32(4)},
		{"keepcnt-zero", IPPROTO_TCP, TCP_KEEPCNT, i32(0), syscall.EINVAL, nil},
		{"keepcnt-big", IPPROTO_TCP, TCP_KEEPCNT, i32(128), syscall.EINVAL, nil},
		{"reuseaddr-off", SOL_SOCKET, SO_REUSEADDR, i32(0), nil, i32(0)},
		{"broadcast", SOL_SOCKET, SO_BROADCAST, i32(1), nil, i32(1)},
		{"sndbuf", SOL_SOCKET, SO_SNDBUF, i32(65536), nil, i32(131072)},
		{"rcvbuf-capped", SOL_SOCKET, SO_RCVBUF, i32(1 << 30), nil, i32(2 * 212992)},
		{"rcvbuf-tiny", SOL_SOCKET, SO_RCVBUF, i32(1), nil, nil},
		{"linger", SOL_SOCKET, SO_LINGER, append(i32(1), i32(5)...), nil, append(i32(1), i32(5)...)},
		{"linger-short", SOL_SOCKET, SO_LINGER, i32(1), syscall.EINVAL, nil},
		{"rcvtimeo", SOL_SOCKET, SO_RCVTIMEO, tv(2, 500000), nil, tv(2, 500000)},
		{"sndtimeo-new", SOL_SOCKET, SO_SNDTIMEO_NEW, tv(1, 0), nil, tv(1, 0)},
		{"rcvtimeo-edom", SOL_SOCKET, SO_RCVTIMEO, tv(1, 1000000), syscall.EDOM, nil},
		{"rcvtimeo-short", SOL_SOCKET, SO_RCVTIMEO, tv(1, 0)[:8], syscall.EINVAL, nil},
		{"rcvtimeo-none", SOL_SOCKET, SO_RCVTIMEO, tv(0, 0), nil, tv(0, 0)},
		{"type-readonly", SOL_SOCKET, SO_TYPE, i32(2), syscall.ENOPROTOOPT, i32(syscall.SOCK_STREAM)},
		{"ttl", IPPROTO_IP, IP_TTL, i32(5), nil, i32(5)},
		{"ttl-default", IPPROTO_IP, IP_TTL, i32(-1), nil, i32(64)},
		{"ttl-zero", IPPROTO_IP, IP_TTL, i32(0), syscall.EINVAL, nil},
		{"ttl-256", IPPROTO_IP, IP_TTL, i32(256), syscall.EINVAL, nil},
		{"ip-unknown", IPPROTO_IP, 99, i32(1), syscall.ENOPROTOOPT, nil},
		{"unknown", SOL_SOCKET, 999, i32(1), syscall.ENOPROTOOPT, nil},
		{"unknown-level", 255, 1, i32(1), syscall.ENOPROTOOPT, nil},
	} {
		if err := SetOption(s, tc.level, tc.opt, tc.set); err != tc.setErr {
			t.Errorf("%s: set = %v, want %v", tc.name, err, tc.setErr)
		}
		if tc.want == nil {
			continue
		}
		got, err := GetOption(s, tc.level, tc.opt)
		if err != nil || string(got) != string(tc.want) {
			t.Errorf("%s: get = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		level, opt int
		want       int32
	}{
		{SOL_SOCKET, SO_PROTOCOL, syscall.IPPROTO_TCP},
		{SOL_SOCKET, SO_DOMAIN, syscall.AF_INET},
		{SOL_SOCKET, SO_ACCEPTCONN, 0},
		{SOL_SOCKET, SO_ERROR, 0},
	} {
		got, err := GetOption(s, tc.level, tc.opt)
		if err != nil || int32(binary.LittleEndian.Uint32(got)) != tc.want {
			t.Errorf("getsockopt(%d, %d) = %v, %v; want %d", tc.level, tc.opt, got, err, tc.want)
		}
	}
}

// TestTCPInfo reads TCP_INFO of an established connection.
func TestTCPInfo(t *testing.T) {
	cli, _ := pair(t)
	b, err := GetOption(cli.Socket(), IPPROTO_TCP, TCP_INFO)
	if err != nil || len(b) != TCPInfoLen {
		t.Fatalf("TCP_INFO = %d bytes, %v", len(b), err)
	}
	le := binary.LittleEndian
	if b[0] != 1 || b[5]&2 == 0 || le.Uint32(b[16:]) != 1460 || le.Uint32(b[80:]) == 0 || le.Uint32(b[8:]) == 0 {
		t.Errorf("TCP_INFO: state %d options %#x snd_mss %d cwnd %d rto %d; want ESTABLISHED (1), SACK, 1460, >0, >0",
			b[0], b[5], le.Uint32(b[16:]), le.Uint32(b[80:]), le.Uint32(b[8:]))
	}
	if err := SetOption(cli.Socket(), IPPROTO_TCP, TCP_INFO, b); err != syscall.ENOPROTOOPT {
		t.Errorf("setting TCP_INFO: %v, want ENOPROTOOPT", err)
	}
}

// TestDatagramOptions checks the options a UDP socket refuses.
func TestDatagramOptions(t *testing.T) {
	p := nettest.NewPair(t, nettest.PairOptions{})
	u, _ := socket.NewLayer(p.A).Socket(socket.Datagram)
	defer u.Close()
	if err := SetOption(u, IPPROTO_TCP, TCP_NODELAY, []byte{1, 0, 0, 0}); err != syscall.ENOPROTOOPT {
		t.Errorf("TCP_NODELAY on UDP: %v, want ENOPROTOOPT", err)
	}
	if v, err := GetOption(u, SOL_SOCKET, SO_TYPE); err != nil || binary.LittleEndian.Uint32(v) != syscall.SOCK_DGRAM {
		t.Errorf("SO_TYPE = %v, %v", v, err)
	}
	if v, err := GetOption(u, SOL_SOCKET, SO_RCVBUF); err != nil || binary.LittleEndian.Uint32(v) != 212992 {
		t.Errorf("SO_RCVBUF = %v, %v", v, err)
	}
}
