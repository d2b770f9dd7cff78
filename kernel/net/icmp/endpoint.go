package icmp

import (
	"encoding/binary"
	"sync"
	"syscall"

	"scone/kernel/net/dgram"
	"scone/kernel/net/tcpip"
	"scone/kernel/net/waiter"
)

// Endpoint is an ICMP echo socket, Linux's "ping socket"
// (socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)): the user sends echo requests
// as ICMP header plus data; the stack fills in the identifier (the
// socket's "port") and the checksum; echo replies carrying that identifier
// are queued (at most dgram.Len) for RecvFrom, header included. Like the
// UDP endpoint it never blocks; the socket layer adds blocking.
type Endpoint struct {
	proto *Protocol
	queue waiter.Queue
	Drops tcpip.Counter // replies dropped because the queue was full

	sendMu sync.Mutex // serialises senders sharing hdr
	hdr    [HeaderLen]byte

	mu        sync.Mutex
	bound     bool
	local     tcpip.FullAddr // Port is the echo identifier
	remote    tcpip.Addr
	connected bool
	shutRead  bool
	shutWrite bool
	closed    bool
	msgs      dgram.Queue
}

// NewEndpoint returns an unbound echo socket.
func (p *Protocol) NewEndpoint() *Endpoint { return &Endpoint{proto: p} }

// Queue returns the endpoint's readiness queue.
func (e *Endpoint) Queue() *waiter.Queue { return &e.queue }

// Bind sets the local address and echo identifier (0 picks one).
func (e *Endpoint) Bind(addr tcpip.FullAddr) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return syscall.EBADF
	}
	if e.bound {
		return syscall.EINVAL
	}
	if !addr.Addr.IsUnspecified() && !e.proto.net.IsLocal(addr.Addr) {
		return syscall.EADDRNOTAVAIL
	}
	return e.bindLocked(addr)
}

func (e *Endpoint) bindLocked(addr tcpip.FullAddr) error {
	id, err := e.proto.bindID(e, addr.Port)
	if err != nil {
		return err
	}
	addr.Port = id
	e.local, e.bound = addr, true
	return nil
}

// Connect fixes the peer for Write and for which replies are received; the
// port is ignored. The zero address disconnects.
func (e *Endpoint) Connect(addr tcpip.FullAddr) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return syscall.EBADF
	}
	if addr.Addr.IsUnspecified() {
		e.connected = false
		return nil
	}
	if !e.bound {
		if err := e.bindLocked(tcpip.FullAddr{}); err != nil {
			return err
		}
	}
	e.remote, e.connected = addr.Addr, true
	return nil
}

// SendTo sends b, an echo request (type 8, code 0, then data), to *to or
// to the connected peer. The identifier and checksum in b are replaced.
func (e *Endpoint) SendTo(b []byte, to *tcpip.FullAddr) (int, error) {
	if len(b) < HeaderLen || b[0] != TypeEchoRequest || b[1] != 0 {
		return 0, syscall.EINVAL
	}
	if len(b) > 65535-20 {
		return 0, syscall.EMSGSIZE
	}
	e.mu.Lock()
	var dst tcpip.Addr
	switch {
	case e.closed:
		e.mu.Unlock()
		return 0, syscall.EBADF
	case e.shutWrite:
		e.mu.Unlock()
		return 0, syscall.EPIPE
	case to != nil:
		dst = to.Addr
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
	src, id := e.local.Addr, e.local.Port
	e.mu.Unlock()
	r, err := e.proto.net.Route(src, dst)
	if err != nil {
		return 0, err
	}
	h := Header{Type: TypeEchoRequest}
	binary.BigEndian.PutUint16(h.Rest[0:2], id)
	copy(h.Rest[2:4], b[6:8]) // the user's sequence number
	e.sendMu.Lock()
	Encode(e.hdr[:], h, b[HeaderLen:])
	err = e.proto.net.WritePacket(r, tcpip.ProtoICMP, e.hdr[:], b[HeaderLen:])
	e.sendMu.Unlock()
	if err != nil {
		return 0, err
	}
	e.proto.Stats.OutMsgs.Inc()
	e.proto.Stats.OutEchos.Inc()
	return len(b), nil
}

// RecvFrom copies the oldest echo reply (ICMP header and data) into b.
// With nothing queued it fails with EAGAIN, or returns 0 after
// Shutdown(read).
func (e *Endpoint) RecvFrom(b []byte) (int, tcpip.FullAddr, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return 0, tcpip.FullAddr{}, syscall.EBADF
	}
	n, from, ok := e.msgs.Pop(b)
	if !ok {
		if e.shutRead {
			return 0, tcpip.FullAddr{}, nil
		}
		return 0, tcpip.FullAddr{}, syscall.EAGAIN
	}
	return n, from, nil
}

// deliver queues an echo reply (the whole ICMP message) from src.
func (e *Endpoint) deliver(src tcpip.Addr, msg []byte) {
	e.mu.Lock()
	if e.closed || e.shutRead || (e.connected && src != e.remote) {
		e.mu.Unlock()
		return
	}
	ok := e.msgs.Push(tcpip.FullAddr{Addr: src}, tcpip.Addr{}, msg)
	e.mu.Unlock()
	if !ok {
		e.Drops.Inc()
		return
	}
	e.queue.Notify(waiter.EventIn)
}

// Readiness returns which of mask hold now.
func (e *Endpoint) Readiness(mask waiter.Events) waiter.Events {
	e.mu.Lock()
	defer e.mu.Unlock()
	var ev waiter.Events
	if e.msgs.Len() > 0 || e.shutRead {
		ev |= waiter.EventIn
	}
	if !e.shutWrite {
		ev |= waiter.EventOut
	}
	return ev & mask
}

// Shutdown stops reading, writing or both.
func (e *Endpoint) Shutdown(read, write bool) error {
	e.mu.Lock()
	if !e.connected {
		e.mu.Unlock()
		return syscall.ENOTCONN
	}
	e.shutRead = e.shutRead || read
	e.shutWrite = e.shutWrite || write
	e.mu.Unlock()
	e.queue.Notify(waiter.EventIn | waiter.EventOut)
	return nil
}

// Close releases the identifier.
func (e *Endpoint) Close() {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.closed = true
	e.msgs.Clear()
	bound, id := e.bound, e.local.Port
	e.mu.Unlock()
	if bound {
		e.proto.unbindID(e, id)
	}
	e.queue.Notify(waiter.EventIn | waiter.EventOut | waiter.EventHup)
}

// LocalAddr returns the bound address; its port is the echo identifier.
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
	return tcpip.FullAddr{Addr: e.remote}, nil
}

// SoftError returns nil: echo sockets report no ICMP errors (Linux does
// only with IP_RECVERR).
func (e *Endpoint) SoftError() error { return nil }

// bindID reserves an echo identifier for e; 0 picks a free one.
func (p *Protocol) bindID(e *Endpoint, id uint16) (uint16, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if id == 0 {
		for i := 0; i < 1<<16; i++ {
			p.nextID++
			if p.nextID != 0 && p.sockets[p.nextID] == nil {
				id = p.nextID
				break
			}
		}
		if id == 0 {
			return 0, syscall.EADDRINUSE
		}
	} else if p.sockets[id] != nil {
		return 0, syscall.EADDRINUSE
	}
	p.sockets[id] = e
	return id, nil
}

func (p *Protocol) unbindID(e *Endpoint, id uint16) {
	p.mu.Lock()
	if p.sockets[id] == e {
		delete(p.sockets, id)
	}
	p.mu.Unlock()
}

// deliverReply hands an echo reply to the socket owning its identifier.
func (p *Protocol) deliverReply(src tcpip.Addr, id uint16, msg []byte) {
	p.mu.Lock()
	e := p.sockets[id]
	p.mu.Unlock()
	if e != nil {
		e.deliver(src, msg)
	}
}
