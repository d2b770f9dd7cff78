package tcp

import (
	"context"
	"io"
	"syscall"
	"testing"
	"time"

	"scone/kernel/net/tcpip"
	"scone/kernel/net/waiter"
)

// realWait bounds how long a test waits, in real time, for blocked calls.
const realWait = 10 * time.Second

// awaitSleepers waits until n calls sleep on e's queue.
func awaitSleepers(t *testing.T, e *Endpoint, n int) {
	t.Helper()
	deadline := time.Now().Add(realWait)
	for e.queue.Len() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d callers asleep, want %d", e.queue.Len(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// collect waits for n results from blocked calls.
func collect(t *testing.T, ch chan error, n int) []error {
	t.Helper()
	var errs []error
	timeout := time.After(realWait)
	for range n {
		select {
		case err := <-ch:
			errs = append(errs, err)
		case <-timeout:
			t.Fatalf("%d of %d blocked calls returned: %v", len(errs), n, errs)
		}
	}
	return errs
}

// TestEveryReaderWakes blocks several readers and writers on one
// connection, then ends it: every one of them must return (issue 7,
// defect 1: a single wake token let the first reader take the news).
func TestEveryReaderWakes(t *testing.T) {
	const readers = 3
	for _, tc := range []struct {
		name string
		end  func(c *conn)
		want []error // each reader's result is one of these
	}{
		{"FIN", func(c *conn) { c.seg(flagFIN|flagACK, nil) }, []error{io.EOF}},
		{"RST", func(c *conn) { c.seg(flagRST|flagACK, nil) }, []error{syscall.ECONNRESET, io.EOF}},
		{"Shutdown", func(c *conn) { c.e.Shutdown(ShutRd) }, []error{io.EOF}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRawPeer(t, Options{})
			c := r.established()
			c.e.SetNonblocking(false)
			done := make(chan error, readers)
			for range readers {
				go func() {
					_, err := c.e.Read(bg, make([]byte, 10))
					done <- err
				}()
			}
			awaitSleepers(t, c.e, readers)
			tc.end(c)
			reset := 0
			for _, err := range collect(t, done, readers) {
				ok := false
				for _, w := range tc.want {
					ok = ok || err == w
				}
				if !ok {
					t.Errorf("reader returned %v, want one of %v", err, tc.want)
				}
				if err == syscall.ECONNRESET {
					reset++
				}
			}
			if tc.name == "RST" && reset != 1 {
				t.Errorf("%d readers saw ECONNRESET, want exactly 1 (the error is reported once)", reset)
			}
		})
	}
}

// TestEveryWriterWakes blocks several writers on a full send buffer and
// resets the connection: all of them return.
func TestEveryWriterWakes(t *testing.T) {
	const writers = 3
	r := newRawPeer(t, Options{SendBuffer: 4096})
	e, syn := r.connect(0, 1460, -1) // a zero window: nothing is sent
	e.SetNonblocking(false)
	done := make(chan error, writers)
	for range writers {
		go func() {
			_, err := e.Write(bg, make([]byte, 64<<10))
			done <- err
		}()
	}
	awaitSleepers(t, e, writers)
	r.send(syn.srcPort, outSegment{seq: r.iss + 1, flags: flagRST}, nil)
	for _, err := range collect(t, done, writers) {
		if err != syscall.ECONNRESET && err != syscall.EPIPE {
			t.Errorf("writer returned %v, want ECONNRESET or EPIPE", err)
		}
	}
}

// TestEveryAccepterWakes blocks several accepters and closes the listener.
func TestEveryAccepterWakes(t *testing.T) {
	const accepters = 3
	r := newRawPeer(t, Options{})
	l := r.p.NewEndpoint()
	if err := l.Bind(tcpip.FullAddr{Port: 80}); err != nil {
		t.Fatal(err)
	}
	if err := l.Listen(8); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, accepters)
	for range accepters {
		go func() {
			_, err := l.Accept(bg)
			done <- err
		}()
	}
	awaitSleepers(t, l, accepters)
	l.Close()
	for _, err := range collect(t, done, accepters) {
		if err != syscall.EINVAL {
			t.Errorf("accepter returned %v, want EINVAL", err)
		}
	}
}

// TestAcceptersShareConnections blocks several accepters, then completes
// as many handshakes at once: each accepter gets its own connection.
func TestAcceptersShareConnections(t *testing.T) {
	const accepters = 4
	n := newSimNet(11)
	pa, pb := n.addHost(addrA, Options{}), n.addHost(addrB, Options{})
	l := pb.NewEndpoint()
	if err := l.Bind(tcpip.FullAddr{Port: 80}); err != nil {
		t.Fatal(err)
	}
	l.Listen(accepters)
	got := make(chan *Endpoint, accepters)
	for range accepters {
		go func() {
			c, err := l.Accept(bg)
			if err != nil {
				t.Errorf("Accept: %v", err)
			}
			got <- c
		}()
	}
	awaitSleepers(t, l, accepters)
	for range accepters {
		c := pa.NewEndpoint()
		c.SetNonblocking(true)
		if err := c.Connect(bg, tcpip.FullAddr{Addr: addrB, Port: 80}); err != syscall.EINPROGRESS {
			t.Fatal(err)
		}
	}
	n.runUntil(time.Minute, func() bool { return len(got) == accepters })
	seen := map[*Endpoint]bool{}
	timeout := time.After(realWait)
	for range accepters {
		select {
		case c := <-got:
			if c == nil || seen[c] {
				t.Fatalf("accepter got %p twice or nil", c)
			}
			seen[c] = true
		case <-timeout:
			t.Fatalf("%d of %d accepters returned", len(seen), accepters)
		}
	}
}

// TestReadCancelledWhileBlocked cancels a Read that is already asleep.
func TestReadCancelledWhileBlocked(t *testing.T) {
	r := newRawPeer(t, Options{})
	c := r.established()
	c.e.SetNonblocking(false)
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() {
		_, err := c.e.Read(ctx, make([]byte, 10))
		done <- err
	}()
	awaitSleepers(t, c.e, 1)
	cancel()
	if errs := collect(t, done, 1); errs[0] != syscall.EINTR {
		t.Fatalf("cancelled Read: %v, want EINTR", errs[0])
	}
	if c.e.queue.Len() != 0 {
		t.Errorf("%d entries left on the queue after the call returned", c.e.queue.Len())
	}
}

// TestConnectInterruptedContinues cancels a blocking Connect while it
// waits for the SYN-ACK: it returns EINTR, the handshake goes on, and the
// next Connect reports the outcome, as Linux's.
func TestConnectInterruptedContinues(t *testing.T) {
	r := newRawPeer(t, Options{})
	e := r.p.NewEndpoint()
	to := tcpip.FullAddr{Addr: r.addr, Port: r.port}
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- e.Connect(ctx, to) }()
	awaitSleepers(t, e, 1)
	cancel()
	if errs := collect(t, done, 1); errs[0] != syscall.EINTR {
		t.Fatalf("interrupted Connect = %v, want EINTR", errs[0])
	}
	if s := e.State(); s != StateSynSent {
		t.Fatalf("state %v after the interruption, want SYN-SENT", s)
	}
	e.SetNonblocking(true)
	if err := e.Connect(bg, to); err != syscall.EALREADY {
		t.Fatalf("Connect while connecting = %v, want EALREADY", err)
	}
	syn := r.recv()[0]
	r.send(syn.srcPort, outSegment{seq: r.iss, ack: syn.seq + 1, flags: flagSYN | flagACK, wnd: 0xffff, mss: 1460, wndScale: -1}, nil)
	if err := e.Connect(bg, to); err != nil {
		t.Fatalf("Connect after the handshake = %v, want nil", err)
	}
	if err := e.Connect(bg, to); err != syscall.EISCONN {
		t.Fatalf("Connect once more = %v, want EISCONN", err)
	}
}

// TestWriteInterruptedReturnsCount fills the send buffer so that a
// blocking Write sleeps part-way, then cancels it: the Write returns the
// bytes it queued and no error, as Linux's send.
func TestWriteInterruptedReturnsCount(t *testing.T) {
	r := newRawPeer(t, Options{SendBuffer: 8192})
	e, _ := r.connect(0, 1460, -1) // zero window: nothing leaves
	e.SetNonblocking(false)
	ctx, cancel := context.WithCancel(bg)
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := e.Write(ctx, make([]byte, 64<<10))
		done <- result{n, err}
	}()
	awaitSleepers(t, e, 1)
	cancel()
	select {
	case res := <-done:
		if res.n != 8192 || res.err != nil {
			t.Fatalf("interrupted Write = %d, %v; want 8192, nil", res.n, res.err)
		}
	case <-time.After(realWait):
		t.Fatal("Write did not return")
	}
	// Nothing queued yet: an interrupted Write reports EINTR.
	ctx2, cancel2 := context.WithCancel(bg)
	cancel2()
	if n, err := e.Write(ctx2, []byte("x")); n != 0 || err != syscall.EINTR {
		t.Fatalf("Write on a full buffer, cancelled = %d, %v; want 0, EINTR", n, err)
	}
}

// TestShutdownListenerWakesAccepters shuts a listener's read side, the
// Linux idiom for waking threads blocked in accept.
func TestShutdownListenerWakesAccepters(t *testing.T) {
	r := newRawPeer(t, Options{})
	l := r.p.NewEndpoint()
	l.Bind(tcpip.FullAddr{Port: 80})
	l.Listen(4)
	done := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := l.Accept(bg)
			done <- err
		}()
	}
	awaitSleepers(t, l, 2)
	if err := l.Shutdown(ShutRdWr); err != nil {
		t.Fatalf("Shutdown of a listener = %v", err)
	}
	for _, err := range collect(t, done, 2) {
		if err != syscall.EINVAL {
			t.Errorf("accepter returned %v, want EINVAL", err)
		}
	}
}

// TestFreshSocketPolls checks the readiness of a socket never connected:
// POLLOUT|POLLHUP, as Linux's tcp_poll gives for TCP_CLOSE.
func TestFreshSocketPolls(t *testing.T) {
	r := newRawPeer(t, Options{})
	e := r.p.NewEndpoint()
	if ev := e.Readiness(); ev != waiter.EventOut|waiter.EventHup {
		t.Errorf("fresh socket: %#x, want POLLOUT|POLLHUP (%#x)", ev, waiter.EventOut|waiter.EventHup)
	}
	e.Bind(tcpip.FullAddr{Port: 99})
	if ev := e.Readiness(); ev != waiter.EventOut|waiter.EventHup {
		t.Errorf("bound socket: %#x, want POLLOUT|POLLHUP", ev)
	}
	e.Listen(1)
	if ev := e.Readiness(); ev != 0 {
		t.Errorf("listener with nothing to accept: %#x, want 0", ev)
	}
}
