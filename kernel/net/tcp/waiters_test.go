package tcp

import (
	"context"
	"io"
	"syscall"
	"testing"
	"time"

	"scone/kernel/net/tcpip"
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
