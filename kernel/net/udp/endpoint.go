package udp

import (
	"sync"
	"syscall"

	"scone/kernel/net/dgram"
	"scone/kernel/net/tcpip"
	"scone/kernel/net/waiter"
)

// QueueLen is how many undelivered datagrams an endpoint keeps; more are
// dropped and counted (the MIT lab's rule).
const QueueLen = dgram.Len

// Endpoint is a UDP socket without blocking: every call returns at once
// (EAGAIN when it would wait) and readiness changes are announced on
// Waiter. The socket layer builds blocking calls on top.
type Endpoint struct {
	proto  *Protocol
	Waiter *waiter.Queue
	Drops  tcpip.Counter // datagrams dropped because the queue was full

	// sendMu serialises senders so they can share hdr: a header on the
	// stack would escape through the NetworkLayer interface and cost an
	// allocation per datagram.
	sendMu sync.Mutex
	hdr    [HeaderLen]byte

	mu        sync.Mutex
	bound     bool
	connected bool
	local     tcpip.FullAddr
	remote    tcpip.FullAddr
	nic       int // interface the endpoint is tied to, -1 for any
	softErr   syscall.Errno
	shutRead  bool
	shutWrite bool
	closed    bool
	queue     dgram.Queue
}

// Bind gives e a local address; port 0 picks an ephemeral port.
func (e *Endpoint) Bind(addr tcpip.FullAddr) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return syscall.EBADF
	}
	if e.bound {
		return syscall.EINVAL
	}
	if !addr.Addr.IsUnspecified() && addr.Addr != tcpip.BroadcastAddr && !e.proto.net.IsLocal(addr.Addr) {
		return syscall.EADDRNOTAVAIL
	}
	return e.bindLocked(addr)
}

func (e *Endpoint) bindLocked(addr tcpip.FullAddr) error {
	if _, err := e.proto.bind(e, addr); err != nil {
		return err
	}
	e.bound = true
	return nil
}

// BindToNIC ties e to one interface (SO_BINDTODEVICE): datagrams it sends
// leave through nic whatever the route table says. A DHCP client uses it
// before the interface has an address.
func (e *Endpoint) BindToNIC(nic int) {
	e.mu.Lock()
	e.nic = nic
	e.mu.Unlock()
}

// Connect fixes the peer: sends without an address go to it and only
// datagrams from it are received. An unbound endpoint is bound to an
// ephemeral port first. A zero addr disconnects (connect to AF_UNSPEC).
func (e *Endpoint) Connect(addr tcpip.FullAddr) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return syscall.EBADF
	}
	if addr == (tcpip.FullAddr{}) {
		e.proto.mu.Lock()
		e.connected, e.remote = false, tcpip.FullAddr{}
		e.proto.mu.Unlock()
		return nil
	}
	if addr.Port == 0 {
		return syscall.EINVAL
	}
	r, err := e.routeLocked(addr.Addr)
	if err != nil {
		return err
	}
	if !e.bound {
		if err := e.bindLocked(tcpip.FullAddr{}); err != nil {
			return err
		}
	}
	e.proto.mu.Lock()
	if e.local.Addr.IsUnspecified() && !r.Src.IsUnspecified() {
		e.local.Addr = r.Src
	}
	e.remote, e.connected = addr, true
	e.proto.mu.Unlock()
	e.softErr = 0
	return nil
}

func (e *Endpoint) routeLocked(dst tcpip.Addr) (tcpip.Route, error) {
	if e.nic >= 0 {
		if nr, ok := e.proto.net.(tcpip.NICRouter); ok {
			return nr.RouteNIC(e.nic, e.local.Addr, dst)
		}
	}
	return e.proto.net.Route(e.local.Addr, dst)
}

// SendTo sends b as one datagram to *to, or to the connected peer if to is
// nil. An unbound endpoint is bound to an ephemeral port first.
func (e *Endpoint) SendTo(b []byte, to *tcpip.FullAddr) (int, error) {
	if len(b) > MaxPayload {
		return 0, syscall.EMSGSIZE
	}
	e.mu.Lock()
	if err := e.sendCheckLocked(); err != nil {
		e.mu.Unlock()
		return 0, err
	}
	var dst tcpip.FullAddr
	switch {
	case to != nil:
		if to.Port == 0 {
			e.mu.Unlock()
			return 0, syscall.EINVAL
		}
		dst = *to
	case e.connected:
		dst = e.remote
	default:
		e.mu.Unlock()
		return 0, syscall.EDESTADDRREQ
	}
	if !e.bound {
		if err := e.bindLocked(tcpip.FullAddr{}); err != nil {
			e.mu.Unlock()
			return 0, err
		}
	}
	r, err := e.routeLocked(dst.Addr)
	src := tcpip.FullAddr{Addr: r.Src, Port: e.local.Port}
	e.mu.Unlock()
	if err != nil {
		return 0, err
	}
	e.sendMu.Lock()
	Encode(e.hdr[:], src, dst, b)
	err = e.proto.net.WritePacket(r, tcpip.ProtoUDP, e.hdr[:], b)
	e.sendMu.Unlock()
	if err != nil {
		return 0, err
	}
	e.proto.Stats.OutDatagrams.Inc()
	return len(b), nil
}

// sendCheckLocked returns the error a send must fail with, consuming a
// pending ICMP error as Linux does. e.mu is held.
func (e *Endpoint) sendCheckLocked() error {
	switch {
	case e.closed:
		return syscall.EBADF
	case e.shutWrite:
		return syscall.EPIPE
	case e.softErr != 0:
		err := e.softErr
		e.softErr = 0
		return err
	}
	return nil
}

// RecvFrom copies the oldest datagram into b and returns its length (the
// rest of a datagram longer than b is discarded, as recvfrom does without
// MSG_TRUNC) and sender. With nothing queued it fails with EAGAIN, or
// returns 0 after Shutdown(read).
func (e *Endpoint) RecvFrom(b []byte) (int, tcpip.FullAddr, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return 0, tcpip.FullAddr{}, syscall.EBADF
	}
	if e.queue.Len() == 0 {
		if e.softErr != 0 {
			err := e.softErr
			e.softErr = 0
			return 0, tcpip.FullAddr{}, err
		}
		if e.shutRead {
			return 0, tcpip.FullAddr{}, nil
		}
		return 0, tcpip.FullAddr{}, syscall.EAGAIN
	}
	n, from, _ := e.queue.Pop(b)
	return n, from, nil
}

// deliver queues a datagram, reporting false if the queue was full.
func (e *Endpoint) deliver(from tcpip.FullAddr, to tcpip.Addr, payload []byte) bool {
	e.mu.Lock()
	if e.closed || e.shutRead {
		e.mu.Unlock()
		return true // dropped silently, as on a shut-down socket
	}
	if !e.queue.Push(from, to, payload) {
		e.mu.Unlock()
		e.Drops.Inc()
		return false
	}
	e.mu.Unlock()
	e.Waiter.Notify(waiter.EventIn)
	return true
}

func (e *Endpoint) setError(errno syscall.Errno, remote tcpip.FullAddr) {
	e.mu.Lock()
	if !e.connected || e.remote != remote {
		e.mu.Unlock()
		return
	}
	e.softErr = errno
	e.mu.Unlock()
	e.Waiter.Notify(waiter.EventErr | waiter.EventIn)
}

// Readiness returns which of mask hold now.
func (e *Endpoint) Readiness(mask waiter.Events) waiter.Events {
	e.mu.Lock()
	defer e.mu.Unlock()
	var ev waiter.Events
	if e.queue.Len() > 0 || e.shutRead || e.softErr != 0 {
		ev |= waiter.EventIn
	}
	if !e.shutWrite {
		ev |= waiter.EventOut
	}
	if e.softErr != 0 {
		ev |= waiter.EventErr
	}
	if e.shutRead && e.shutWrite {
		ev |= waiter.EventHup
	}
	return ev & mask
}

// SoftError returns and clears the pending ICMP error (SO_ERROR).
func (e *Endpoint) SoftError() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.softErr == 0 {
		return nil
	}
	err := e.softErr
	e.softErr = 0
	return err
}

// Shutdown stops reading, writing or both. Queued datagrams stay readable.
func (e *Endpoint) Shutdown(read, write bool) error {
	e.mu.Lock()
	if !e.connected {
		e.mu.Unlock()
		return syscall.ENOTCONN
	}
	e.shutRead = e.shutRead || read
	e.shutWrite = e.shutWrite || write
	e.mu.Unlock()
	e.Waiter.Notify(waiter.EventIn | waiter.EventOut | waiter.EventHup)
	return nil
}

// Close releases the port and wakes every waiter.
func (e *Endpoint) Close() {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.closed = true
	bound := e.bound
	e.queue.Clear()
	e.mu.Unlock()
	if bound {
		e.proto.unbind(e)
	}
	e.Waiter.Notify(waiter.EventIn | waiter.EventOut | waiter.EventHup)
}

// Queue returns the endpoint's readiness queue (the same as Waiter).
func (e *Endpoint) Queue() *waiter.Queue { return e.Waiter }

// LocalAddr returns the bound address (zero if unbound).
func (e *Endpoint) LocalAddr() tcpip.FullAddr {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.local
}

// RemoteAddr returns the connected peer, or ENOTCONN.
func (e *Endpoint) RemoteAddr() (tcpip.FullAddr, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.connected {
		return tcpip.FullAddr{}, syscall.ENOTCONN
	}
	return e.remote, nil
}
