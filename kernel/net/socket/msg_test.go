package socket_test

import (
	"bytes"
	"sync"
	"syscall"
	"testing"
	"time"

	"scone/kernel/net/link"
	"scone/kernel/net/nettest"
	"scone/kernel/net/socket"
	"scone/kernel/net/tcpip"
)

// TestDatagramRecvMsg receives a 10-byte datagram with recvmsg(2)'s
// flags and scattered buffers.
func TestDatagramRecvMsg(t *testing.T) {
	_, la, lb := layers(t, nettest.PairOptions{})
	srv := mustSocket(t, lb, socket.Datagram)
	if err := srv.Bind(tcpip.FullAddr{Port: 2000}); err != nil {
		t.Fatal(err)
	}
	cli := mustSocket(t, la, socket.Datagram)
	to := tcpip.FullAddr{Addr: nettest.AddrB, Port: 2000}
	send := func() {
		t.Helper()
		if n, err := cli.SendMsg(ctx(t), [][]byte{[]byte("0123"), nil, []byte("456789")}, to, 0, nil); n != 10 || err != nil {
			t.Fatalf("SendMsg = %d, %v", n, err)
		}
	}
	for _, tc := range []struct {
		name     string
		sizes    []int
		flags    int
		n        int
		rflags   int
		want     string
		consumed bool
	}{
		{"whole", []int{16}, 0, 10, 0, "0123456789", true},
		{"scatter", []int{3, 3, 10}, 0, 10, 0, "0123456789", true},
		{"cut", []int{4}, 0, 4, socket.MsgTrunc, "0123", true},
		{"trunc-flag", []int{4}, socket.MsgTrunc, 10, socket.MsgTrunc, "0123", true},
		{"peek", []int{16}, socket.MsgPeek, 10, 0, "0123456789", false},
		{"waitall-ignored", []int{16}, socket.MsgWaitAll, 10, 0, "0123456789", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			send()
			var bufs [][]byte
			for _, k := range tc.sizes {
				bufs = append(bufs, make([]byte, k))
			}
			n, from, rflags, err := srv.RecvMsg(ctx(t), bufs, tc.flags, nil)
			got := bytes.Join(bufs, nil)
			if err != nil || n != tc.n || rflags != tc.rflags || !bytes.HasPrefix(got, []byte(tc.want)) || from.Addr != nettest.AddrA {
				t.Errorf("RecvMsg = %d, %v, flags %#x, %q from %v; want %d, flags %#x, %q", n, err, rflags, got, from, tc.n, tc.rflags, tc.want)
			}
			// Whatever is left is read now; the queue must then be empty.
			left, _, _, _ := srv.RecvMsg(ctx(t), [][]byte{make([]byte, 16)}, socket.MsgDontWait, nil)
			if (left == 10) == tc.consumed {
				t.Errorf("datagram consumed: %v, want %v", left != 10, tc.consumed)
			}
			if _, _, _, err := srv.RecvMsg(ctx(t), [][]byte{make([]byte, 16)}, socket.MsgDontWait, nil); err != syscall.EAGAIN {
				t.Errorf("MSG_DONTWAIT on an empty queue: %v, want EAGAIN", err)
			}
		})
	}
}

// TestStreamMsg sends and receives on a TCP connection with sendmsg and
// recvmsg's flags.
func TestStreamMsg(t *testing.T) {
	cli, conn := streamPair(t)
	if n, err := cli.SendMsg(ctx(t), [][]byte{[]byte("hello "), []byte("world")}, tcpip.FullAddr{}, socket.MsgNoSignal, nil); n != 11 || err != nil {
		t.Fatalf("SendMsg = %d, %v", n, err)
	}
	buf := make([]byte, 11)
	if n, _, _, err := conn.RecvMsg(ctx(t), [][]byte{buf}, socket.MsgWaitAll|socket.MsgPeek, nil); n != 11 || err != nil || string(buf) != "hello world" {
		t.Fatalf("peek with WAITALL = %d, %v, %q", n, err, buf)
	}
	a, b := make([]byte, 6), make([]byte, 5)
	if n, _, _, err := conn.RecvMsg(ctx(t), [][]byte{a, b}, socket.MsgWaitAll, nil); n != 11 || err != nil || string(a)+string(b) != "hello world" {
		t.Fatalf("scattered WAITALL = %d, %v, %q %q", n, err, a, b)
	}
	if _, _, _, err := conn.RecvMsg(ctx(t), [][]byte{buf}, socket.MsgDontWait, nil); err != syscall.EAGAIN {
		t.Fatalf("MSG_DONTWAIT with nothing queued: %v, want EAGAIN", err)
	}
	if _, _, _, err := conn.RecvMsg(ctx(t), [][]byte{buf}, socket.MsgOOB, nil); err != syscall.EINVAL {
		t.Errorf("MSG_OOB receive: %v, want EINVAL (urgent data is in line)", err)
	}
}

// TestSocketOptionsRoundTrip sets every option and reads it back.
func TestSocketOptionsRoundTrip(t *testing.T) {
	_, la, _ := layers(t, nettest.PairOptions{})
	s := mustSocket(t, la, socket.Stream)
	s.SetTimeouts(3*time.Second, 4*time.Second)
	if r, w := s.Timeouts(); r != 3*time.Second || w != 4*time.Second {
		t.Errorf("Timeouts = %v %v", r, w)
	}
	for _, on := range []bool{true, false} {
		s.SetNoDelay(on)
		s.SetKeepAlive(on)
		s.SetReuseAddr(on)
		nd, _ := s.NoDelay()
		ka, _ := s.KeepAlive()
		if nd != on || ka != on || s.ReuseAddr() != on {
			t.Errorf("set %v: NoDelay %v KeepAlive %v ReuseAddr %v", on, nd, ka, s.ReuseAddr())
		}
	}
	if idle, intvl, cnt, err := s.KeepAliveParams(); idle != 2*time.Hour || intvl != 75*time.Second || cnt != 9 || err != nil {
		t.Errorf("default keep-alive %v %v %d %v, want Linux's 2h 75s 9", idle, intvl, cnt, err)
	}
	if err := s.SetKeepAliveParams(10*time.Second, 2*time.Second, 3); err != nil {
		t.Fatal(err)
	}
	if idle, intvl, cnt, _ := s.KeepAliveParams(); idle != 10*time.Second || intvl != 2*time.Second || cnt != 3 {
		t.Errorf("keep-alive %v %v %d", idle, intvl, cnt)
	}
	if err := s.SetKeepAliveParams(0, 0, 128); err != syscall.EINVAL {
		t.Errorf("TCP_KEEPCNT 128: %v, want EINVAL", err)
	}
	s.SetBufferSizes(64<<10, 128<<10)
	if snd, rcv := s.BufferSizes(); snd != 64<<10 || rcv != 128<<10 {
		t.Errorf("BufferSizes = %d %d", snd, rcv)
	}
	d := mustSocket(t, la, socket.Datagram)
	if snd, rcv := d.BufferSizes(); snd != 212992 || rcv != 212992 {
		t.Errorf("datagram BufferSizes = %d %d, want Linux's default 212992", snd, rcv)
	}
	if _, err := d.NoDelay(); err != syscall.ENOPROTOOPT {
		t.Errorf("TCP_NODELAY on a datagram socket: %v", err)
	}
}

// TestReuseAddrOff binds, with SO_REUSEADDR off, the address of a
// connection in TIME-WAIT: EADDRINUSE; with it on (the default) the bind
// works.
func TestReuseAddrOff(t *testing.T) {
	_, la, lb := layers(t, nettest.PairOptions{})
	srv := listener(t, lb, tcpip.FullAddr{Port: 80})
	cli := mustSocket(t, la, socket.Stream)
	if err := cli.Connect(ctx(t), tcpip.FullAddr{Addr: nettest.AddrB, Port: 80}); err != nil {
		t.Fatal(err)
	}
	conn, _, err := srv.Accept(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	conn.Close() // the server closes first: its side goes to TIME-WAIT
	readAll(t, cli)
	cli.Close()
	again := mustSocket(t, lb, socket.Stream)
	again.SetReuseAddr(false)
	if err := again.Bind(tcpip.FullAddr{Port: 80}); err != syscall.EADDRINUSE {
		t.Fatalf("Bind with SO_REUSEADDR off over a TIME-WAIT connection: %v, want EADDRINUSE", err)
	}
	again.SetReuseAddr(true)
	if err := again.Bind(tcpip.FullAddr{Port: 80}); err != nil {
		t.Fatalf("Bind with SO_REUSEADDR on: %v", err)
	}
}

// TestSocketIntrospection checks SO_PROTOCOL, SO_ACCEPTCONN, FIONREAD
// and SO_BROADCAST's record.
func TestSocketIntrospection(t *testing.T) {
	_, la, lb := layers(t, nettest.PairOptions{})
	srv := listener(t, lb, tcpip.FullAddr{Port: 80})
	if !srv.Listening() || srv.Protocol() != syscall.IPPROTO_TCP {
		t.Errorf("listener: Listening %v Protocol %d", srv.Listening(), srv.Protocol())
	}
	cli, conn := streamPair(t)
	if cli.Listening() {
		t.Error("a connection reports Listening")
	}
	cli.Write(ctx(t), []byte("12345"))
	nettest.Poll(t, timeout, "bytes to arrive", func() bool { return conn.Buffered() == 5 })
	d := mustSocket(t, lb, socket.Datagram)
	d.Bind(tcpip.FullAddr{Port: 3000})
	if d.Protocol() != syscall.IPPROTO_UDP || d.Buffered() != 0 {
		t.Errorf("datagram: Protocol %d Buffered %d", d.Protocol(), d.Buffered())
	}
	u := mustSocket(t, la, socket.Datagram)
	u.SendTo(ctx(t), make([]byte, 300), tcpip.FullAddr{Addr: nettest.AddrB, Port: 3000})
	u.SendTo(ctx(t), make([]byte, 100), tcpip.FullAddr{Addr: nettest.AddrB, Port: 3000})
	nettest.Poll(t, timeout, "datagram to arrive", func() bool { return d.Buffered() == 300 })
	if d.Broadcast() {
		t.Error("SO_BROADCAST on by default")
	}
	d.SetBroadcast(true)
	if !d.Broadcast() {
		t.Error("SO_BROADCAST not recorded")
	}
}

// TestLingerZeroResets closes a connection with SO_LINGER on and a zero
// timeout: the peer sees a reset, not an end of stream.
func TestLingerZeroResets(t *testing.T) {
	cli, conn := streamPair(t)
	conn.SetLinger(true, 0)
	if on, d := conn.Linger(); !on || d != 0 {
		t.Fatalf("Linger = %v %v", on, d)
	}
	conn.Close()
	if _, err := cli.Read(ctx(t), make([]byte, 10)); err != syscall.ECONNRESET {
		t.Fatalf("read after the peer's abortive close: %v, want ECONNRESET", err)
	}
}

// TestTTL sets IP_TTL on a UDP socket and on a TCP listener and client:
// their datagrams leave with it (the connection accepted inherits the
// listener's), and 0 goes back to the default of 64.
func TestTTL(t *testing.T) {
	type key struct {
		proto uint8
		src   tcpip.Addr
	}
	var mu sync.Mutex
	ttls := map[key]int{} // the last TTL seen by protocol and sender
	obs := func(_ *link.PipeEnd, f []byte) {
		if len(f) >= 14+20 && f[12] == 0x08 && f[13] == 0x00 {
			mu.Lock()
			ttls[key{f[14+9], tcpip.Addr(f[14+12 : 14+16])}] = int(f[14+8])
			mu.Unlock()
		}
	}
	p := nettest.NewPair(t, nettest.PairOptions{NoCheck: true, Link: link.PipeConfig{Observe: obs}})
	la, lb := socket.NewLayer(p.A), socket.NewLayer(p.B)
	seen := func(proto uint8, src tcpip.Addr) int {
		mu.Lock()
		defer mu.Unlock()
		return ttls[key{proto, src}]
	}
	u, _ := la.Socket(socket.Datagram)
	defer u.Close()
	if u.TTL() != 0 {
		t.Errorf("default TTL() = %d, want 0", u.TTL())
	}
	u.SetTTL(7)
	u.SendTo(ctx(t), []byte("x"), tcpip.FullAddr{Addr: nettest.AddrB, Port: 9})
	nettest.Poll(t, timeout, "a UDP datagram with TTL 7", func() bool { return seen(17, nettest.AddrA) == 7 })
	srv := mustSocket(t, lb, socket.Stream)
	srv.SetTTL(11)
	srv.Bind(tcpip.FullAddr{Port: 80})
	srv.Listen(1)
	cli := mustSocket(t, la, socket.Stream)
	cli.SetTTL(9)
	if err := cli.Connect(ctx(t), tcpip.FullAddr{Addr: nettest.AddrB, Port: 80}); err != nil {
		t.Fatal(err)
	}
	conn, _, err := srv.Accept(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write(ctx(t), []byte("from the server"))
	nettest.Poll(t, timeout, "the accepted connection's TTL 11", func() bool { return seen(6, nettest.AddrB) == 11 })
	cli.Write(ctx(t), []byte("from the client"))
	nettest.Poll(t, timeout, "the client's TTL 9", func() bool { return seen(6, nettest.AddrA) == 9 })
	cli.SetTTL(0)
	cli.Write(ctx(t), []byte("again"))
	nettest.Poll(t, timeout, "the default TTL 64", func() bool { return seen(6, nettest.AddrA) == 64 })
}
