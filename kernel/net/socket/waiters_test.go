package socket_test

import (
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
	for range readers {
		go func() {
			_, _, err := srv.RecvFrom(ctx(t), make([]byte, 100))
			done <- err
		}()
	}
	asleep(t, srv, readers)
	cli := mustSocket(t, la, socket.Datagram)
	if _, err := cli.SendTo(ctx(t), []byte("one"), tcpip.FullAddr{Addr: nettest.AddrB, Port: 2000}); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, done); err != nil {
		t.Fatalf("first reader: %v", err)
	}
	asleep(t, srv, readers-1)
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
