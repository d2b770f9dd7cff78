package socket

import (
	"context"
	"sync"
	"syscall"
	"time"

	"scone/kernel/net/icmp"
	"scone/kernel/net/tcpip"
	"scone/kernel/net/udp"
	"scone/kernel/net/waiter"
)

// endpoint is what a datagram socket needs of a protocol endpoint; UDP
// endpoints and ICMP echo endpoints provide it. None of its calls block.
type endpoint interface {
	Bind(tcpip.FullAddr) error
	Connect(tcpip.FullAddr) error
	SendTo(b []byte, to *tcpip.FullAddr) (int, error)
	RecvFrom(b []byte) (int, tcpip.FullAddr, error)
	Readiness(waiter.Events) waiter.Events
	Queue() *waiter.Queue
	Shutdown(read, write bool) error
	Close()
	LocalAddr() tcpip.FullAddr
	RemoteAddr() (tcpip.FullAddr, error)
	SoftError() error
}

var (
	_ endpoint = (*udp.Endpoint)(nil)
	_ endpoint = (*icmp.Endpoint)(nil)
)

// datagram is a SOCK_DGRAM socket: a non-blocking endpoint plus the
// sleeping and timeouts of a blocking socket.
type datagram struct {
	ep endpoint

	mu       sync.Mutex
	to       timeouts
	nonblock bool
}

func newDatagram(ep endpoint) *datagram { return &datagram{ep: ep} }

func (d *datagram) Type() Type { return Datagram }

func (d *datagram) Bind(addr tcpip.FullAddr) error { return d.ep.Bind(addr) }

func (d *datagram) Listen(int) error { return syscall.EOPNOTSUPP }

func (d *datagram) Accept(context.Context) (Socket, tcpip.FullAddr, error) {
	return nil, tcpip.FullAddr{}, syscall.EOPNOTSUPP
}

// Connect never blocks for UDP: it only fixes the peer.
func (d *datagram) Connect(_ context.Context, addr tcpip.FullAddr) error { return d.ep.Connect(addr) }

func (d *datagram) Read(ctx context.Context, b []byte) (int, error) {
	n, _, err := d.RecvFrom(ctx, b)
	return n, err
}

func (d *datagram) Write(ctx context.Context, b []byte) (int, error) {
	return d.SendTo(ctx, b, tcpip.FullAddr{})
}

// SendTo never blocks: a datagram that finds no room further down is
// dropped, as on Linux when a device queue is full.
func (d *datagram) SendTo(_ context.Context, b []byte, to tcpip.FullAddr) (int, error) {
	u, isUDP := d.ep.(*udp.Endpoint)
	switch {
	case to == (tcpip.FullAddr{}) && isUDP:
		return u.SendTo(b, nil)
	case to == (tcpip.FullAddr{}):
		return d.ep.SendTo(b, nil)
	case isUDP:
		// A direct call: &to does not escape, so the send does not allocate.
		return u.SendTo(b, &to)
	}
	dst := to // escapes through the interface call; only echo sockets pay
	return d.ep.SendTo(b, &dst)
}

// RecvFrom waits for a datagram unless the socket is non-blocking. It
// sleeps on the endpoint's queue, as TCP does, so a close or shutdown
// wakes every blocked reader.
func (d *datagram) RecvFrom(ctx context.Context, b []byte) (int, tcpip.FullAddr, error) {
	d.mu.Lock()
	nonblock, timeout := d.nonblock, d.to.recv
	d.mu.Unlock()
	n, from, err := d.ep.RecvFrom(b)
	if err != syscall.EAGAIN || nonblock {
		return n, from, err
	}
	ctx, cancel := withTimeout(ctx, timeout)
	defer cancel()
	s := waiter.Arm(d.ep.Queue(), waiter.EventIn|waiter.EventErr|waiter.EventHup)
	defer s.Release()
	for {
		// Armed before this attempt: a datagram arriving after it wakes us.
		n, from, err := d.ep.RecvFrom(b)
		if err != syscall.EAGAIN {
			return n, from, err
		}
		if err := s.Wait(ctx); err != nil {
			return 0, tcpip.FullAddr{}, err
		}
	}
}

func (d *datagram) Shutdown(how int) error {
	if how != ShutRd && how != ShutWr && how != ShutRdWr {
		return syscall.EINVAL
	}
	return d.ep.Shutdown(how != ShutWr, how != ShutRd)
}

func (d *datagram) Close() error {
	d.ep.Close()
	return nil
}

func (d *datagram) LocalAddr() (tcpip.FullAddr, error) { return d.ep.LocalAddr(), nil }

func (d *datagram) PeerAddr() (tcpip.FullAddr, error) { return d.ep.RemoteAddr() }

func (d *datagram) Readiness(mask waiter.Events) waiter.Events { return d.ep.Readiness(mask) }

func (d *datagram) Waiter() *waiter.Queue { return d.ep.Queue() }

func (d *datagram) Error() error { return d.ep.SoftError() }

func (d *datagram) SetNonblocking(on bool) {
	d.mu.Lock()
	d.nonblock = on
	d.mu.Unlock()
}

func (d *datagram) SetTimeouts(recv, send time.Duration) {
	d.mu.Lock()
	d.to = timeouts{recv, send}
	d.mu.Unlock()
}

func (d *datagram) SetNoDelay(bool) error { return syscall.ENOPROTOOPT }

func (d *datagram) SetKeepAlive(bool) error { return syscall.ENOPROTOOPT }

// SetBufferSizes does nothing: a datagram socket's receive queue is fixed
// at dgram.Len datagrams and sends are not buffered.
func (d *datagram) SetBufferSizes(int, int) {}

// BindToNIC ties a UDP socket to one interface (SO_BINDTODEVICE).
func (d *datagram) BindToNIC(nic int) error {
	u, ok := d.ep.(*udp.Endpoint)
	if !ok {
		return syscall.ENOPROTOOPT
	}
	u.BindToNIC(nic)
	return nil
}

var _ Socket = (*datagram)(nil)
