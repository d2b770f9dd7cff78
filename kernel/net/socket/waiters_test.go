package socket_test

import (
	"context"
	"sync/atomic"
	"syscall"
	"testing"

	"scone/kernel/net/nettest"
	"scone/kernel/net/socket"
	"scone/kernel/net/tcpip"
)

// asleep waits until n calls sleep on s's queue.
func asleep(t *testing.T, s socket.Socket, n int) {
	t.Helper()
	nettest.Poll(t, timeout, "callers to block", func() bool { return s.Waiter().Len() >= n })
}

// TestEveryDatagramReaderWakes blocks several readers on a UDP socket:
// one datagram wakes them all (one takes it, the rest sleep again), and
// Close then ends every remaining call (issue 7, defect 1).
func TestEveryDatagramReaderWakes(t *testing.T) {
	const readers = 3
	_, la, lb := layers(t, nettest.PairOptions{})
	srv := mustSocket(t, lb, socket.Datagram)
	if err := srv.Bind(tcpip.FullAddr{Port: 2000}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, readers)
	// A reader registered on the queue may not have made its last check
	// yet (it arms before it looks): count the waits it entered, so that
	// Close comes when only a notification can wake the rest.
	wc := &waitCounter{Context: ctx(t)}
	for range readers {
		go func() {
			_, _, err := srv.RecvFrom(wc, make([]byte, 100))
			done <- err
		}()
	}
	asleep(t, srv, readers)
	wc.await(t, readers)
	cli := mustSocket(t, la, socket.Datagram)
	if _, err := cli.SendTo(ctx(t), []byte("one"), tcpip.FullAddr{Addr: nettest.AddrB, Port: 2000}); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, done); err != nil {
		t.Fatalf("first reader: %v", err)
	}
	asleep(t, srv, readers-1)
	wc.await(t, readers+readers-1) // the others woke, found nothing, and wait again
	srv.Close()
	for range readers - 1 {
		if err := wait(t, done); err != syscall.EBADF {
			t.Errorf("reader after Close: %v, want EBADF", err)
		}
	}
}

// TestShutdownUnconnectedDatagramWakes shuts down a UDP socket that is
// bound but not connected while a reader is blocked: as Linux, the call
// reports ENOTCONN but the shutdown happens and the reader returns 0.
func TestShutdownUnconnectedDatagramWakes(t *testing.T) {
	_, _, lb := layers(t, nettest.PairOptions{})
	srv := mustSocket(t, lb, socket.Datagram)
	if err := srv.Bind(tcpip.FullAddr{Port: 2000}); err != nil {
		t.Fatal(err)
	}
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, _, err := srv.RecvFrom(ctx(t), make([]byte, 10))
		done <- result{n, err}
	}()
	asleep(t, srv, 1)
	if err := srv.Shutdown(socket.ShutRd); err != syscall.ENOTCONN {
		t.Errorf("Shutdown of an unconnected socket = %v, want ENOTCONN", err)
	}
	if res := wait(t, done); res.n != 0 || res.err != nil {
		t.Errorf("blocked RecvFrom after shutdown = %d, %v; want 0, nil", res.n, res.err)
	}
}

// waitCounter is a context that counts the calls of Done: a blocked call
// asks for Done as it goes to sleep, after its last look at the socket.
type waitCounter struct {
	context.Context
	n atomic.Int32
}

func (w *waitCounter) Done() <-chan struct{} {
	w.n.Add(1)
	return w.Context.Done()
}

// await waits until Done has been called n times.
func (w *waitCounter) await(t *testing.T, n int) {
	t.Helper()
	nettest.Poll(t, timeout, "callers to wait", func() bool { return int(w.n.Load()) >= n })
}
