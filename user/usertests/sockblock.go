package main

import (
	"errors"
	"fmt"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	register("sockclose", testSockClose)
}

// A blocked is a system call running on a thread of its own.
type blocked struct {
	tid  int
	done chan outcome
}

// block runs call on a locked thread and waits until that thread sleeps
// in the kernel.
func block(call func() (int, error)) *blocked {
	b := &blocked{done: make(chan outcome, 1)}
	tids := make(chan int)
	go func() {
		runtime.LockOSThread() // the thread stays blocked; it dies with the goroutine
		tids <- unix.Gettid()
		n, err := call()
		o := outcome{n: uintptr(max(n, 0))}
		if err != nil {
			o = fails(err.(syscall.Errno))
		}
		b.done <- o
	}()
	b.tid = <-tids
	threadSleeps(b.tid)
	return b
}

// still checks that the call has not returned within 200 ms.
func (b *blocked) still(what string) error {
	select {
	case o := <-b.done:
		return fmt.Errorf("%s: the blocked call returned %v", what, o)
	case <-time.After(200 * time.Millisecond):
		return nil
	}
}

// result waits at most 5 s for the call's outcome.
func (b *blocked) result(what string) (outcome, error) {
	select {
	case o := <-b.done:
		return o, nil
	case <-time.After(5 * time.Second):
		return outcome{}, fmt.Errorf("%s: still blocked after 5 s", what)
	}
}

// testSockClose: what a thread blocked in accept or recv sees when
// another thread closes or shuts down its socket. As on Linux, close(2)
// only removes the descriptor: the blocked call holds the open socket,
// keeps waiting and completes normally (a connection still arrives, data
// still comes), and only then is the socket closed. shutdown(2) acts on
// the socket itself: SHUT_RD ends a blocked recv with 0 (end of file),
// and shutting down a listener ends a blocked accept with EINVAL.
func testSockClose() error {
	for _, step := range []func() error{closeAccept, closeRecv, shutdownRecv, shutdownAccept} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

func closeAccept() error {
	l, port, err := tcpListener(4)
	if err != nil {
		return err
	}
	b := block(func() (int, error) { fd, _, err := unix.Accept4(l, unix.SOCK_CLOEXEC); return fd, err })
	if err := unix.Close(l); err != nil {
		return err
	}
	if err := b.still("accept after close"); err != nil {
		return err
	}
	c, err := tcpConnect(port) // the listener still listens
	if err != nil {
		return fmt.Errorf("accept after close: %v", err)
	}
	defer unix.Close(c)
	o, err := b.result("accept after close and a connection")
	if err != nil {
		return err
	}
	if o.err != 0 {
		return fmt.Errorf("accept after close and a connection: %v", o)
	}
	unix.Close(int(o.n))
	// The accept was the last user: now the port is closed.
	if c, err := tcpConnect(port); !errors.Is(err, unix.ECONNREFUSED) {
		if err == nil {
			unix.Close(c)
		}
		return fmt.Errorf("connect once the blocked accept returned: %v, want ECONNREFUSED", err)
	}
	return nil
}

func closeRecv() error {
	cfd, afd, err := tcpPair()
	if err != nil {
		return err
	}
	defer unix.Close(afd)
	buf := make([]byte, 16)
	b := block(func() (int, error) { return unix.Read(cfd, buf) })
	if err := unix.Close(cfd); err != nil {
		return err
	}
	if err := b.still("recv after close"); err != nil {
		return err
	}
	if _, err := unix.Write(afd, []byte("late")); err != nil {
		return err
	}
	o, err := b.result("recv after close and data")
	if err != nil {
		return err
	}
	if o.err != 0 || string(buf[:o.n]) != "late" {
		return fmt.Errorf("recv after close and data: %v %q, want the data", o, buf[:o.n])
	}
	// The recv was the last user: the socket closes and the peer sees
	// the end of the stream.
	unix.SetsockoptTimeval(afd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 5})
	if n, err := unix.Read(afd, buf); n != 0 || err != nil {
		return fmt.Errorf("peer after the blocked recv returned: %d, %v; want end of file", n, err)
	}
	return nil
}

func shutdownRecv() error {
	cfd, afd, err := tcpPair()
	if err != nil {
		return err
	}
	defer unix.Close(afd)
	defer unix.Close(cfd)
	b := block(func() (int, error) { return unix.Read(cfd, make([]byte, 16)) })
	if err := unix.Shutdown(cfd, unix.SHUT_RD); err != nil {
		return err
	}
	if o, err := b.result("recv after shutdown(SHUT_RD)"); err != nil || o != returns(0) {
		return fmt.Errorf("recv after shutdown(SHUT_RD): %v, %v; want 0", o, err)
	}
	return nil
}

func shutdownAccept() error {
	l, _, err := tcpListener(4)
	if err != nil {
		return err
	}
	defer unix.Close(l)
	b := block(func() (int, error) { fd, _, err := unix.Accept4(l, unix.SOCK_CLOEXEC); return fd, err })
	if err := unix.Shutdown(l, unix.SHUT_RDWR); err != nil {
		return fmt.Errorf("shutdown of a listener: %v", err)
	}
	if o, err := b.result("accept after shutdown"); err != nil || o != fails(unix.EINVAL) {
		return fmt.Errorf("accept after shutdown: %v, %v; want EINVAL", o, err)
	}
	return nil
}

// tcpPair is a connection over loopback: the connecting end and the
// accepted one.
func tcpPair() (int, int, error) {
	l, port, err := tcpListener(1)
	if err != nil {
		return -1, -1, err
	}
	defer unix.Close(l)
	c, err := tcpConnect(port)
	if err != nil {
		return -1, -1, err
	}
	a, _, err := unix.Accept4(l, unix.SOCK_CLOEXEC)
	if err != nil {
		unix.Close(c)
		return -1, -1, fmt.Errorf("accept: %v", err)
	}
	return c, a, nil
}
