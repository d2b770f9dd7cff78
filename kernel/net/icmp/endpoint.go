package icmp

import (
	"encoding/binary"
	"sync"
	"syscall"

	"scone/kernel/net/dgram"
	"scone/kernel/net/tcpip"
)

// Endpoint is an ICMP echo socket, Linux's "ping socket"
// (socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)): the user sends echo requests
// as ICMP header plus data; the stack fills in the identifier (the
// socket's "port") and the checksum; echo replies carrying that identifier
// are queued (at most dgram.Len) for RecvFrom, header included. Like the
// UDP endpoint it never blocks; the socket layer adds blocking. It reports
// no ICMP errors (Linux does only with IP_RECVERR).
type Endpoint struct {
	dgram.Base // Local.Port is the echo identifier; Remote.Port is unused
	proto      *Protocol

	sendMu sync.Mutex // serialises senders sharing hdr
	hdr    [HeaderLen]byte
}

// NewEndpoint returns an unbound echo socket.
func (p *Protocol) NewEndpoint() *Endpoint { return &Endpoint{Base: dgram.NewBase(), proto: p} }

// Bind sets the local address and echo identifier (0 picks one).
func (e *Endpoint) Bind(addr tcpip.FullAddr) error {
	e.Mu.Lock()
	defer e.Mu.Unlock()
	if err := e.BindErr(); err != nil {
		return err
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
	e.Local, e.Bound = addr, true
	return nil
}

// Connect fixes the peer for Write and for which replies are received; the
// port is ignored. The zero address disconnects.
func (e *Endpoint) Connect(addr tcpip.FullAddr) error {
	e.Mu.Lock()
	defer e.Mu.Unlock()
	if e.Closed {
		return syscall.EBADF
	}
	if addr.Addr.IsUnspecified() {
		e.Connected = false
		return nil
	}
	if !e.Bound {
		if err := e.bindLocked(tcpip.FullAddr{}); err != nil {
			return err
		}
	}
	e.Remote, e.Connected = tcpip.FullAddr{Addr: addr.Addr}, true
	return nil
}

// SendTo sends b, an echo request (type 8, code 0, then data), to *to or
// to the connected peer. The identifier and checksum in b are replaced.
func (e *Endpoint) SendTo(b []byte, to *tcpip.FullAddr) (int, error) {
	return e.SendToOptions(b, to, nil)
}

// SendToOptions is SendTo with sendmsg's control messages o (nil for
// none): its TTL, TOS, source address and interface (dgram.SendRoute).
func (e *Endpoint) SendToOptions(b []byte, to *tcpip.FullAddr, o *tcpip.SendOptions) (int, error) {
	if len(b) < HeaderLen || b[0] != TypeEchoRequest || b[1] != 0 {
		return 0, syscall.EINVAL
	}
	if len(b) > 65535-20 {
		return 0, syscall.EMSGSIZE
	}
	e.Mu.Lock()
	dst, err := e.SendDestLocked(to)
	if err == nil && !e.Bound {
		err = e.bindLocked(tcpip.FullAddr{})
	}
	if err != nil {
		e.Mu.Unlock()
		return 0, err
	}
	src, id, ttl := e.Local.Addr, e.Local.Port, e.TTL
	e.Mu.Unlock()
	r, err := dgram.SendRoute(e.proto.net, -1, src, dst.Addr, ttl, o)
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

// deliver queues an echo reply (the whole ICMP message) from src, unless
// the endpoint is connected to another host.
func (e *Endpoint) deliver(src tcpip.Addr, ttl uint8, msg []byte) {
	e.Mu.Lock()
	other := e.Connected && src != e.Remote.Addr
	e.Mu.Unlock()
	if !other {
		e.Deliver(tcpip.FullAddr{Addr: src}, tcpip.Addr{}, ttl, msg)
	}
}

// Close releases the identifier.
func (e *Endpoint) Close() {
	e.Base.Close(func() { e.proto.unbindID(e, e.LocalAddr().Port) })
}

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
func (p *Protocol) deliverReply(src tcpip.Addr, ttl uint8, id uint16, msg []byte) {
	p.mu.Lock()
	e := p.sockets[id]
	p.mu.Unlock()
	if e != nil {
		e.deliver(src, ttl, msg)
	}
}
