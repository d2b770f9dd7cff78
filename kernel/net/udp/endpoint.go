package udp

import (
	"sync"
	"syscall"

	"scone/kernel/net/dgram"
	"scone/kernel/net/tcpip"
)

// QueueLen is how many undelivered datagrams an endpoint keeps; more are
// dropped and counted (the MIT lab's rule).
const QueueLen = dgram.Len

// Endpoint is a UDP socket without blocking: every call returns at once
// (EAGAIN when it would wait) and readiness changes are announced on
// Waiter. The socket layer builds blocking calls on top. Receiving,
// readiness, shutdown and addresses come from dgram.Base.
type Endpoint struct {
	dgram.Base
	proto *Protocol

	// sendMu serialises senders so they can share hdr: a header on the
	// stack would escape through the NetworkLayer interface and cost an
	// allocation per datagram.
	sendMu sync.Mutex
	hdr    [HeaderLen]byte

	nic int // interface the endpoint is tied to, -1 for any; guarded by Mu
}

// Bind gives e a local address; port 0 picks an ephemeral port.
func (e *Endpoint) Bind(addr tcpip.FullAddr) error {
	e.Mu.Lock()
	defer e.Mu.Unlock()
	if err := e.BindErr(); err != nil {
		return err
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
	e.Bound = true
	return nil
}

// BindToNIC ties e to one interface (SO_BINDTODEVICE): datagrams it sends
// leave through nic whatever the route table says. A DHCP client uses it
// before the interface has an address.
func (e *Endpoint) BindToNIC(nic int) {
	e.Mu.Lock()
	e.nic = nic
	e.Mu.Unlock()
}

// Connect fixes the peer: sends without an address go to it and only
// datagrams from it are received. An unbound endpoint is bound to an
// ephemeral port first. A zero addr disconnects (connect to AF_UNSPEC).
func (e *Endpoint) Connect(addr tcpip.FullAddr) error {
	e.Mu.Lock()
	defer e.Mu.Unlock()
	if e.Closed {
		return syscall.EBADF
	}
	if addr == (tcpip.FullAddr{}) {
		e.proto.mu.Lock()
		e.Connected, e.Remote = false, tcpip.FullAddr{}
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
	if !e.Bound {
		if err := e.bindLocked(tcpip.FullAddr{}); err != nil {
			return err
		}
	}
	// Demultiplexing reads these under proto.mu.
	e.proto.mu.Lock()
	if e.Local.Addr.IsUnspecified() && !r.Src.IsUnspecified() {
		e.Local.Addr = r.Src
	}
	e.Remote, e.Connected = addr, true
	e.proto.mu.Unlock()
	e.SoftErr = 0
	return nil
}

func (e *Endpoint) routeLocked(dst tcpip.Addr) (tcpip.Route, error) {
	return dgram.SendRoute(e.proto.net, e.nic, e.Local.Addr, dst, e.TTL, nil)
}

// SendTo sends b as one datagram to *to, or to the connected peer if to is
// nil. An unbound endpoint is bound to an ephemeral port first.
func (e *Endpoint) SendTo(b []byte, to *tcpip.FullAddr) (int, error) {
	return e.SendToOptions(b, to, nil)
}

// SendToOptions is SendTo with sendmsg's control messages o (nil for
// none): its TTL, TOS, source address and interface (dgram.SendRoute).
func (e *Endpoint) SendToOptions(b []byte, to *tcpip.FullAddr, o *tcpip.SendOptions) (int, error) {
	if len(b) > MaxPayload {
		return 0, syscall.EMSGSIZE
	}
	e.Mu.Lock()
	dst, err := e.SendDestLocked(to)
	if err == nil && dst.Port == 0 {
		err = syscall.EINVAL
	}
	if err == nil && !e.Bound {
		err = e.bindLocked(tcpip.FullAddr{})
	}
	if err != nil {
		e.Mu.Unlock()
		return 0, err
	}
	r, err := dgram.SendRoute(e.proto.net, e.nic, e.Local.Addr, dst.Addr, e.TTL, o)
	src := tcpip.FullAddr{Addr: r.Src, Port: e.Local.Port}
	e.Mu.Unlock()
	if err != nil {
		return 0, err
	}
	dst.Addr = r.Dst // the route may resolve 0.0.0.0 to this host
	e.sendMu.Lock()
	if r.ChecksumOffload && HeaderLen+len(b) <= r.MTU {
		EncodePartial(e.hdr[:], src, dst, len(b))
	} else {
		Encode(e.hdr[:], src, dst, b)
	}
	err = e.proto.net.WritePacket(r, tcpip.ProtoUDP, e.hdr[:], b)
	e.sendMu.Unlock()
	if err != nil {
		return 0, err
	}
	e.proto.Stats.OutDatagrams.Inc()
	return len(b), nil
}

// Close releases the port and wakes every waiter.
func (e *Endpoint) Close() { e.Base.Close(func() { e.proto.unbind(e) }) }
