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
	SendToOptions(b []byte, to *tcpip.FullAddr, o *tcpip.SendOptions) (int, error)
	RecvFrom(b []byte) (int, tcpip.FullAddr, error)
	RecvMsg(bufs [][]byte, peek bool) (n, size int, from tcpip.FullAddr, ttl uint8, err error)
	Next() int
	SetTTL(uint8)
	TTLValue() uint8
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
	ep    endpoint
	proto int
	// isBroadcast tells the broadcast addresses that need SO_BROADCAST.
	isBroadcast func(tcpip.Addr) bool
	sockOpts

	mu       sync.Mutex
	to       timeouts
	nonblock bool
	sndbuf   int // SO_SNDBUF and SO_RCVBUF as set: reported, not used
	rcvbuf   int
	noReuse  bool // SO_REUSEADDR off: reported, not used
}

// defaultBuf is what a datagram socket reports for SO_SNDBUF and
// SO_RCVBUF until they are set: Linux's default (net.core.rmem_default).
const defaultBuf = 212992

func newDatagram(ep endpoint, proto int, isBroadcast func(tcpip.Addr) bool) *datagram {
	return &datagram{ep: ep, proto: proto, isBroadcast: isBroadcast, sndbuf: defaultBuf, rcvbuf: defaultBuf, noReuse: true}
}

// broadcastDenied reports whether sending to a needs SO_BROADCAST, which
// is off: EACCES then, as Linux's udp_sendmsg, ping_v4_sendmsg and
// ip4_datagram_connect.
func (d *datagram) broadcastDenied(a tcpip.Addr) bool {
	return d.isBroadcast(a) && !d.Broadcast()
}

func (d *datagram) Protocol() int { return d.proto }

func (d *datagram) SetTTL(ttl uint8) { d.ep.SetTTL(ttl) }

func (d *datagram) TTL() uint8 { return d.ep.TTLValue() }

func (d *datagram) Listening() bool { return false }

func (d *datagram) Buffered() int { return d.ep.Next() }

func (d *datagram) Type() Type { return Datagram }

func (d *datagram) Bind(addr tcpip.FullAddr) error { return d.ep.Bind(addr) }

func (d *datagram) Listen(int) error { return syscall.EOPNOTSUPP }

func (d *datagram) Accept(context.Context) (Socket, tcpip.FullAddr, error) {
	return nil, tcpip.FullAddr{}, syscall.EOPNOTSUPP
}

// Connect never blocks for UDP: it only fixes the peer. A broadcast peer
// needs SO_BROADCAST; a later send to it is not checked again.
func (d *datagram) Connect(_ context.Context, addr tcpip.FullAddr) error {
	if d.broadcastDenied(addr.Addr) {
		return syscall.EACCES
	}
	return d.ep.Connect(addr)
}

// Disconnect dissolves the association with the peer.
func (d *datagram) Disconnect() error { return d.ep.Connect(tcpip.FullAddr{}) }

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
	return d.sendTo(b, to, nil)
}

// sendTo sends b to to (or the peer) with sendmsg's control messages o.
func (d *datagram) sendTo(b []byte, to tcpip.FullAddr, o *tcpip.SendOptions) (int, error) {
	u, isUDP := d.ep.(*udp.Endpoint)
	switch {
	case to != (tcpip.FullAddr{}) && d.broadcastDenied(to.Addr):
		return 0, syscall.EACCES
	case to == (tcpip.FullAddr{}) && isUDP:
		return u.SendToOptions(b, nil, o)
	case to == (tcpip.FullAddr{}):
		return d.ep.SendToOptions(b, nil, o)
	case isUDP:
		// A direct call: &to does not escape, so the send does not allocate.
		return u.SendToOptions(b, &to, o)
	}
	dst := to // escapes through the interface call; only echo sockets pay
	return d.ep.SendToOptions(b, &dst, o)
}

// RecvFrom waits for a datagram unless the socket is non-blocking.
func (d *datagram) RecvFrom(ctx context.Context, b []byte) (int, tcpip.FullAddr, error) {
	bufs := [1][]byte{b}
	n, from, _, err := d.RecvMsg(ctx, bufs[:], 0, nil)
	return n, from, err
}

// RecvMsg waits for a datagram unless the socket is non-blocking or
// flags has MsgDontWait. It sleeps on the endpoint's queue, as TCP does,
// so a close or shutdown wakes every blocked reader. MsgWaitAll means
// nothing to a datagram socket, as in Linux.
func (d *datagram) RecvMsg(ctx context.Context, bufs [][]byte, flags int, ctl *Control) (int, tcpip.FullAddr, int, error) {
	if flags&MsgOOB != 0 {
		return 0, tcpip.FullAddr{}, 0, syscall.EOPNOTSUPP
	}
	d.mu.Lock()
	nonblock, timeout := d.nonblock || flags&MsgDontWait != 0, d.to.recv
	d.mu.Unlock()
	peek := flags&MsgPeek != 0
	n, size, from, ttl, err := d.ep.RecvMsg(bufs, peek)
	if err == syscall.EAGAIN && !nonblock {
		ctx, cancel := withTimeout(ctx, timeout)
		defer cancel()
		s := waiter.Arm(d.ep.Queue(), waiter.EventIn|waiter.EventErr|waiter.EventHup)
		defer s.Release()
		for {
			// Armed before this attempt: a datagram arriving after it wakes us.
			n, size, from, ttl, err = d.ep.RecvMsg(bufs, peek)
			if err != syscall.EAGAIN {
				break
			}
			if err = s.Wait(ctx); err != nil {
				break
			}
		}
	}
	if err != nil {
		return 0, tcpip.FullAddr{}, 0, err
	}
	if ctl != nil && d.RecvTTL() {
		*ctl = Control{HasTTL: true, TTL: ttl}
	}
	rflags := 0
	if size > n {
		rflags = MsgTrunc
	}
	if flags&MsgTrunc != 0 {
		n = size // the real length, as Linux's MSG_TRUNC
	}
	return n, from, rflags, nil
}

// SendMsg sends bufs as one datagram, with the IP settings o asks for.
// More than one buffer is gathered into a new one first.
func (d *datagram) SendMsg(ctx context.Context, bufs [][]byte, to tcpip.FullAddr, flags int, o *tcpip.SendOptions) (int, error) {
	if flags&MsgOOB != 0 {
		return 0, syscall.EOPNOTSUPP
	}
	if len(bufs) == 1 {
		return d.sendTo(bufs[0], to, o)
	}
	var b []byte
	for _, p := range bufs {
		b = append(b, p...)
	}
	return d.sendTo(b, to, o)
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

// SetBufferSizes records the sizes for BufferSizes and changes nothing
// else: a datagram socket's receive queue is fixed at dgram.Len datagrams
// and sends are not buffered.
func (d *datagram) SetBufferSizes(send, recv int) {
	d.mu.Lock()
	if send > 0 {
		d.sndbuf = send
	}
	if recv > 0 {
		d.rcvbuf = recv
	}
	d.mu.Unlock()
}

func (d *datagram) BufferSizes() (send, recv int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sndbuf, d.rcvbuf
}

func (d *datagram) Timeouts() (recv, send time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.to.recv, d.to.send
}

func (d *datagram) NoDelay() (bool, error) { return false, syscall.ENOPROTOOPT }

func (d *datagram) KeepAlive() (bool, error) { return false, syscall.ENOPROTOOPT }

func (d *datagram) SetKeepAliveParams(time.Duration, time.Duration, int) error {
	return syscall.ENOPROTOOPT
}

func (d *datagram) KeepAliveParams() (time.Duration, time.Duration, int, error) {
	return 0, 0, 0, syscall.ENOPROTOOPT
}

// SetReuseAddr records SO_REUSEADDR for ReuseAddr. UDP binding does not
// consult it yet: two sockets can never bind one address.
func (d *datagram) SetReuseAddr(on bool) {
	d.mu.Lock()
	d.noReuse = !on
	d.mu.Unlock()
}

func (d *datagram) ReuseAddr() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return !d.noReuse
}

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
