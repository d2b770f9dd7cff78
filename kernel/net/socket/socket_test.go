package socket_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"scone/kernel/net/arp"
	"scone/kernel/net/nettest"
	"scone/kernel/net/socket"
	"scone/kernel/net/stack"
	"scone/kernel/net/tcp"
	"scone/kernel/net/tcpip"
	"scone/kernel/net/waiter"
)

const timeout = 20 * time.Second

// layers returns socket layers over both stacks of a fresh Pair.
func layers(t *testing.T, o nettest.PairOptions) (*nettest.Pair, *socket.Layer, *socket.Layer) {
	p := nettest.NewPair(t, o)
	return p, socket.NewLayer(p.A), socket.NewLayer(p.B)
}

func mustSocket(t *testing.T, l *socket.Layer, typ socket.Type) socket.Socket {
	t.Helper()
	s, err := l.Socket(typ)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return c
}

// listener returns a stream socket listening on addr.
func listener(t *testing.T, l *socket.Layer, addr tcpip.FullAddr) socket.Socket {
	t.Helper()
	s := mustSocket(t, l, socket.Stream)
	if err := s.Bind(addr); err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(128); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStreamBasics(t *testing.T) {
	_, la, lb := layers(t, nettest.PairOptions{})
	srv := listener(t, lb, tcpip.FullAddr{Port: 80})
	cli := mustSocket(t, la, socket.Stream)
	if _, err := cli.PeerAddr(); err != syscall.ENOTCONN {
		t.Errorf("PeerAddr before connect: %v", err)
	}
	dst := tcpip.FullAddr{Addr: nettest.AddrB, Port: 80}
	if err := cli.Connect(ctx(t), dst); err != nil {
		t.Fatal(err)
	}
	conn, peer, err := srv.Accept(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	local, _ := cli.LocalAddr()
	if peer != local || local.Addr != nettest.AddrA {
		t.Errorf("Accept peer %v, client local %v", peer, local)
	}
	if p, _ := cli.PeerAddr(); p != dst {
		t.Errorf("PeerAddr = %v", p)
	}
	if err := cli.SetKeepAlive(true); err != nil {
		t.Errorf("SO_KEEPALIVE: %v", err)
	}
	if info := cli.(interface{ Info() tcp.Info }).Info(); info.State != tcp.StateEstablished {
		t.Errorf("TCP_INFO state %v", info.State)
	}
	if _, err := cli.Write(ctx(t), []byte("GET / HTTP/1.0\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	n, err := conn.Read(ctx(t), buf)
	if err != nil || string(buf[:n]) != "GET / HTTP/1.0\r\n\r\n" {
		t.Fatalf("Read = %q, %v", buf[:n], err)
	}
	// Half-close: the server sees end of stream, and can still answer.
	if err := cli.Shutdown(socket.ShutWr); err != nil {
		t.Fatal(err)
	}
	if n, err := conn.Read(ctx(t), buf); n != 0 || err != nil {
		t.Fatalf("Read after peer's shutdown = %d, %v; want 0, nil", n, err)
	}
	if ev := conn.Readiness(waiter.EventIn | waiter.EventRdHup); ev != waiter.EventIn|waiter.EventRdHup {
		t.Errorf("readiness after FIN = %#x", ev)
	}
	conn.Write(ctx(t), []byte("bye"))
	conn.Close()
	got := readAll(t, cli)
	if string(got) != "bye" {
		t.Fatalf("client read %q", got)
	}
	if _, err := cli.Write(ctx(t), []byte("x")); err != syscall.EPIPE {
		t.Errorf("Write after shutdown: %v, want EPIPE", err)
	}
}

// streamPair returns a client socket on A connected to a server socket
// on B (port 80), over a clean Pair.
func streamPair(t *testing.T) (cli, conn socket.Socket) {
	t.Helper()
	_, cli, conn = streamPairOn(t)
	return cli, conn
}

// streamPairOn is streamPair also returning the Pair it runs on.
func streamPairOn(t *testing.T) (p *nettest.Pair, cli, conn socket.Socket) {
	t.Helper()
	p, la, lb := layers(t, nettest.PairOptions{})
	srv := listener(t, lb, tcpip.FullAddr{Port: 80})
	cli = mustSocket(t, la, socket.Stream)
	if err := cli.Connect(ctx(t), tcpip.FullAddr{Addr: nettest.AddrB, Port: 80}); err != nil {
		t.Fatal(err)
	}
	conn, _, err := srv.Accept(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return p, cli, conn
}

func readAll(t *testing.T, s socket.Socket) []byte {
	t.Helper()
	var out []byte
	buf := make([]byte, 64<<10)
	c := ctx(t)
	for {
		n, err := s.Read(c, buf)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if n == 0 {
			return out
		}
		out = append(out, buf[:n]...)
	}
}

func TestStreamErrors(t *testing.T) {
	_, la, lb := layers(t, nettest.PairOptions{})
	cli := mustSocket(t, la, socket.Stream)
	if err := cli.Connect(ctx(t), tcpip.FullAddr{Addr: nettest.AddrB, Port: 81}); err != syscall.ECONNREFUSED {
		t.Errorf("connect to closed port: %v, want ECONNREFUSED", err)
	}
	srv := listener(t, lb, tcpip.FullAddr{Port: 82})
	if err := mustSocket(t, lb, socket.Stream).Bind(tcpip.FullAddr{Port: 82}); err != syscall.EADDRINUSE {
		t.Errorf("second bind: %v, want EADDRINUSE", err)
	}
	// A blocked Accept is interrupted by cancellation (a killed process)...
	c, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, _, err := srv.Accept(c); done <- err }()
	asleep(t, srv, 1) // cancel while the call is blocked
	cancel()
	if err := wait(t, done); err != syscall.EINTR {
		t.Errorf("cancelled Accept: %v, want EINTR", err)
	}
	// ...and gives up with EAGAIN after SO_RCVTIMEO.
	srv.SetTimeouts(20*time.Millisecond, 0)
	if _, _, err := srv.Accept(ctx(t)); err != syscall.EAGAIN {
		t.Errorf("Accept past SO_RCVTIMEO: %v, want EAGAIN", err)
	}
	srv.SetNonblocking(true)
	if _, _, err := srv.Accept(ctx(t)); err != syscall.EAGAIN {
		t.Errorf("non-blocking Accept: %v, want EAGAIN", err)
	}
	// A connect that cannot finish in time (SO_SNDTIMEO) reports
	// EINPROGRESS and goes on, as Linux's: another connect gives
	// EALREADY.
	lost := mustSocket(t, la, socket.Stream)
	nobody := tcpip.FullAddr{Addr: tcpip.AddrFrom4(10, 0, 0, 77), Port: 80}
	lost.SetTimeouts(0, 50*time.Millisecond)
	if err := lost.Connect(ctx(t), nobody); err != syscall.EINPROGRESS {
		t.Errorf("connect to nobody past SO_SNDTIMEO: %v, want EINPROGRESS", err)
	}
	lost.SetNonblocking(true)
	if err := lost.Connect(ctx(t), nobody); err != syscall.EALREADY {
		t.Errorf("connect again while connecting: %v, want EALREADY", err)
	}
	if _, _, err := mustSocket(t, la, socket.Datagram).Accept(ctx(t)); err == nil {
		t.Error("Accept on a datagram socket succeeded")
	}
}

func wait[T any](t *testing.T, ch chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(timeout):
		t.Fatal("blocked call did not return")
	}
	panic("unreachable")
}

func TestStreamReadInterrupted(t *testing.T) {
	cli, conn := streamPair(t)
	c, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := conn.Read(c, make([]byte, 10)); done <- err }()
	asleep(t, conn, 1) // cancel while the call is blocked
	cancel()
	if err := wait(t, done); err != syscall.EINTR {
		t.Errorf("cancelled Read: %v, want EINTR", err)
	}
	conn.SetTimeouts(20*time.Millisecond, 0)
	if _, err := conn.Read(ctx(t), make([]byte, 10)); err != syscall.EAGAIN {
		t.Errorf("Read past SO_RCVTIMEO: %v, want EAGAIN", err)
	}
	// A Write that fills the buffers blocks and is interrupted too: it
	// returns what it queued, as Linux's send.
	cli.SetBufferSizes(64<<10, 0)
	c2, cancel2 := context.WithCancel(context.Background())
	sent := make(chan int, 1)
	go func() { n, err := cli.Write(c2, make([]byte, 64<<20)); sent <- n; done <- err }()
	nettest.Poll(t, timeout, "send buffer to fill", func() bool { return cli.Readiness(waiter.EventOut) == 0 })
	cancel2()
	if n, err := wait(t, sent), wait(t, done); err != nil || n < 64<<10 || n == 64<<20 {
		t.Errorf("cancelled Write: %d, %v; want the count queued and no error", n, err)
	}
}

func TestDatagram(t *testing.T) {
	_, la, lb := layers(t, nettest.PairOptions{})
	srv := mustSocket(t, lb, socket.Datagram)
	if err := srv.Bind(tcpip.FullAddr{Port: 2000}); err != nil {
		t.Fatal(err)
	}
	cli := mustSocket(t, la, socket.Datagram)
	to := tcpip.FullAddr{Addr: nettest.AddrB, Port: 2000}
	if _, err := cli.SendTo(ctx(t), []byte("txone"), to); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	n, from, err := srv.RecvFrom(ctx(t), buf)
	if err != nil || string(buf[:n]) != "txone" || from.Addr != nettest.AddrA {
		t.Fatalf("RecvFrom = %q from %v, %v", buf[:n], from, err)
	}
	if _, err := srv.SendTo(ctx(t), []byte("rxone"), from); err != nil {
		t.Fatal(err)
	}
	if n, err := cli.Read(ctx(t), buf); err != nil || string(buf[:n]) != "rxone" {
		t.Fatalf("Read = %q, %v", buf[:n], err)
	}
	// Blocking receive: interrupted, timed out, non-blocking.
	c, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, _, err := srv.RecvFrom(c, buf); done <- err }()
	asleep(t, srv, 1) // cancel while the call is blocked
	cancel()
	if err := wait(t, done); err != syscall.EINTR {
		t.Errorf("cancelled RecvFrom: %v, want EINTR", err)
	}
	srv.SetTimeouts(20*time.Millisecond, 0)
	if _, _, err := srv.RecvFrom(ctx(t), buf); err != syscall.EAGAIN {
		t.Errorf("RecvFrom past SO_RCVTIMEO: %v", err)
	}
	srv.SetNonblocking(true)
	if _, _, err := srv.RecvFrom(ctx(t), buf); err != syscall.EAGAIN {
		t.Errorf("non-blocking RecvFrom: %v", err)
	}
	// A blocked reader wakes when a datagram arrives.
	srv.SetNonblocking(false)
	srv.SetTimeouts(0, 0)
	got := make(chan string, 1)
	go func() {
		b := make([]byte, 10)
		n, _, err := srv.RecvFrom(ctx(t), b)
		if err != nil {
			got <- err.Error()
		}
		got <- string(b[:n])
	}()
	cli.SendTo(ctx(t), []byte("wake"), to)
	if s := wait(t, got); s != "wake" {
		t.Errorf("blocked reader got %q", s)
	}
	// Connected to a closed port: the ICMP error comes back as ECONNREFUSED.
	if err := cli.Connect(ctx(t), tcpip.FullAddr{Addr: nettest.AddrB, Port: 2999}); err != nil {
		t.Fatal(err)
	}
	cli.Write(ctx(t), []byte("?"))
	if _, err := cli.Read(ctx(t), buf); err != syscall.ECONNREFUSED {
		t.Errorf("Read after port unreachable: %v, want ECONNREFUSED", err)
	}
	if err := cli.SetNoDelay(true); err != syscall.ENOPROTOOPT {
		t.Errorf("TCP_NODELAY on UDP: %v", err)
	}
	if err := cli.SetKeepAlive(true); err != syscall.ENOPROTOOPT {
		t.Errorf("SO_KEEPALIVE on UDP: %v", err)
	}
	if err := srv.Listen(1); err != syscall.EOPNOTSUPP {
		t.Errorf("Listen on UDP: %v", err)
	}
}

func TestSocketTypes(t *testing.T) {
	_, la, _ := layers(t, nettest.PairOptions{})
	if _, err := la.Socket(socket.Type(5)); err != syscall.ESOCKTNOSUPPORT {
		t.Errorf("Socket(5): %v", err)
	}
	bare := socket.NewLayer(stack.New(stack.Options{NoLoopback: true}))
	for _, typ := range []socket.Type{socket.Stream, socket.Datagram} {
		if _, err := bare.Socket(typ); err != syscall.EPROTONOSUPPORT {
			t.Errorf("type %d without its transport: %v", typ, err)
		}
	}
}

// TestConnectHostUnreachable: a connect to a neighbour that never answers
// ARP fails with EHOSTUNREACH once TCP gives up, not ETIMEDOUT.
func TestConnectHostUnreachable(t *testing.T) {
	_, la, _ := layers(t, nettest.PairOptions{
		Stack: stack.Options{ARP: arp.Config{Retrans: 20 * time.Millisecond}},
		TCP:   tcp.Options{InitialRTO: 50 * time.Millisecond, MinRTO: 10 * time.Millisecond, SynRetries: 2},
	})
	s := mustSocket(t, la, socket.Stream)
	err := s.Connect(ctx(t), tcpip.FullAddr{Addr: tcpip.AddrFrom4(10, 0, 0, 77), Port: 80})
	if err != syscall.EHOSTUNREACH {
		t.Fatalf("connect to a silent neighbour: %v, want EHOSTUNREACH", err)
	}
}

// TestPollSockets drives waiter.Poll (what poll(2) will use) over a
// listener and a datagram socket.
func TestPollSockets(t *testing.T) {
	_, la, lb := layers(t, nettest.PairOptions{})
	lst := listener(t, lb, tcpip.FullAddr{Port: 80})
	udp := mustSocket(t, lb, socket.Datagram)
	udp.Bind(tcpip.FullAddr{Port: 53})
	items := []waiter.PollItem{{W: lst, Events: waiter.EventIn}, {W: udp, Events: waiter.EventIn}}
	short, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if n, err := waiter.Poll(short, items); n != 0 || err != nil {
		t.Fatalf("idle Poll = %d, %v", n, err)
	}
	go func() {
		c, _ := la.Socket(socket.Stream)
		c.Connect(context.Background(), tcpip.FullAddr{Addr: nettest.AddrB, Port: 80})
	}()
	if n, err := waiter.Poll(ctx(t), items); n != 1 || err != nil || items[0].Revents != waiter.EventIn {
		t.Fatalf("Poll after connect = %d, %v, listener %#x", n, err, items[0].Revents)
	}
	cli := mustSocket(t, la, socket.Datagram)
	cli.SendTo(ctx(t), []byte("q"), tcpip.FullAddr{Addr: nettest.AddrB, Port: 53})
	nettest.Poll(t, timeout, "datagram", func() bool {
		n, _ := waiter.Poll(ctx(t), items)
		return n == 2
	})
}

var _ waiter.Waitable = socket.Socket(nil)

// TestDontWait: a context whose deadline has passed makes one call
// non-blocking (MSG_DONTWAIT) without touching the socket's mode.
func TestDontWait(t *testing.T) {
	_, la, lb := layers(t, nettest.PairOptions{})
	past, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	srv := listener(t, lb, tcpip.FullAddr{Port: 80})
	if _, _, err := srv.Accept(past); err != syscall.EAGAIN {
		t.Errorf("Accept: %v, want EAGAIN", err)
	}
	cli := mustSocket(t, la, socket.Stream)
	if err := cli.Connect(ctx(t), tcpip.FullAddr{Addr: nettest.AddrB, Port: 80}); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Read(past, make([]byte, 1)); err != syscall.EAGAIN {
		t.Errorf("stream Read: %v, want EAGAIN", err)
	}
	d := mustSocket(t, lb, socket.Datagram)
	d.Bind(tcpip.FullAddr{Port: 53})
	if _, _, err := d.RecvFrom(past, make([]byte, 1)); err != syscall.EAGAIN {
		t.Errorf("datagram RecvFrom: %v, want EAGAIN", err)
	}
	// Data already there is returned at once.
	cli.Write(ctx(t), []byte("x"))
	conn, _, err := srv.Accept(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	nettest.Poll(t, timeout, "data", func() bool { return conn.Readiness(waiter.EventIn) != 0 })
	if n, err := conn.Read(past, make([]byte, 1)); n != 1 || err != nil {
		t.Errorf("Read with data queued: %d, %v", n, err)
	}
}

// TestEpollEdgeTriggered uses a waiter.Set the way Go's netpoller uses
// epoll: every socket edge-triggered for in, out and read hang-up.
func TestEpollEdgeTriggered(t *testing.T) {
	cli, conn := streamPair(t)
	conn.SetNonblocking(true)
	set := waiter.NewSet()
	set.Add(5, conn, waiter.EventIn|waiter.EventOut|waiter.EventRdHup|waiter.EdgeTriggered, 5)
	out := make([]waiter.Ready, 4)
	wait := func(want waiter.Events) {
		t.Helper()
		deadline := time.Now().Add(timeout)
		for time.Now().Before(deadline) {
			n, err := set.Wait(ctx(t), out)
			if err != nil {
				t.Fatal(err)
			}
			if n == 1 && out[0].Events&want == want {
				return
			}
		}
		t.Fatalf("no report of %#x", want)
	}
	wait(waiter.EventOut) // writable from the start
	cli.Write(ctx(t), []byte("one"))
	wait(waiter.EventIn)
	buf := make([]byte, 10)
	for {
		if _, err := conn.Read(ctx(t), buf); err == syscall.EAGAIN {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	cli.Write(ctx(t), []byte("two"))
	wait(waiter.EventIn)
	cli.Close()
	wait(waiter.EventIn | waiter.EventRdHup)
}
