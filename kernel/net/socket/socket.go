// Package socket is the BSD socket layer that the kernel's system calls
// sit on: stream sockets over TCP and datagram sockets over UDP, with the
// calls of socket(2) and friends. Every call that can block takes a
// context.Context: cancelling it (the calling process was killed or got a
// signal) makes the call return EINTR at once, so no process can hang in a
// socket. Per-socket timeouts (SO_RCVTIMEO, SO_SNDTIMEO) make a blocked
// call give up with EAGAIN; a connect that runs out of time reports
// ETIMEDOUT. Readiness for poll and epoll comes from Readiness and the
// socket's waiter.Queue. All buffers are bounded: TCP's by its send and
// receive buffer sizes, UDP's by its 16-datagram queue.
package socket

import (
	"context"
	"sync"
	"syscall"
	"time"

	"scone/kernel/net/stack"
	"scone/kernel/net/tcp"
	"scone/kernel/net/tcpip"
	"scone/kernel/net/udp"
	"scone/kernel/net/waiter"
)

// Type is a socket type, numbered as Linux's SOCK_* constants.
type Type int

// Socket types.
const (
	Stream   Type = syscall.SOCK_STREAM
	Datagram Type = syscall.SOCK_DGRAM
)

// Shutdown directions, as shutdown(2)'s how.
const (
	ShutRd   = syscall.SHUT_RD
	ShutWr   = syscall.SHUT_WR
	ShutRdWr = syscall.SHUT_RDWR
)

// Socket is one open socket. Methods that block take ctx; buffers are
// borrowed for the call only. Errors are syscall.Errno values as Linux
// returns them.
type Socket interface {
	Bind(addr tcpip.FullAddr) error
	Listen(backlog int) error
	// Accept returns a connected socket and its peer's address.
	Accept(ctx context.Context) (Socket, tcpip.FullAddr, error)
	Connect(ctx context.Context, addr tcpip.FullAddr) error
	// Disconnect is connect(2) with AF_UNSPEC: a datagram socket forgets
	// its peer; a TCP socket's connection is dissolved (reset when
	// synchronized) and the socket is CLOSED and may connect again, as
	// Linux's tcp_disconnect.
	Disconnect() error
	// Read returns 0 and no error at the end of a stream, as read(2).
	Read(ctx context.Context, b []byte) (int, error)
	Write(ctx context.Context, b []byte) (int, error)
	// SendTo sends to the address to, or to the connected peer if to is
	// the zero FullAddr (sendto(2) with a null address; 0.0.0.0:0 is no
	// valid destination). A value, not a pointer, so a send does not
	// allocate.
	SendTo(ctx context.Context, b []byte, to tcpip.FullAddr) (int, error)
	RecvFrom(ctx context.Context, b []byte) (int, tcpip.FullAddr, error)
	// RecvMsg is recvmsg(2): it fills bufs in order (scatter) and takes
	// MsgPeek, MsgWaitAll, MsgTrunc and MsgDontWait. It returns the bytes
	// copied (with MsgTrunc on a datagram socket, the datagram's full
	// length), the sender, and the result's flags (MsgTrunc when a
	// datagram did not fit). If ctl is not nil it receives the
	// ancillary data the socket's options ask for (IP_RECVTTL).
	RecvMsg(ctx context.Context, bufs [][]byte, flags int, ctl *Control) (n int, from tcpip.FullAddr, rflags int, err error)
	// SendMsg is sendmsg(2): bufs go in order (gather) as one write or
	// one datagram, to to as in SendTo. It takes MsgDontWait and
	// MsgNoSignal (raising SIGPIPE is the caller's job anyway). o (nil
	// for none) is what the control messages ask of a datagram's IP
	// header and route (IP_TTL, IP_TOS, IP_PKTINFO); a stream ignores
	// it, as Linux's TCP.
	SendMsg(ctx context.Context, bufs [][]byte, to tcpip.FullAddr, flags int, o *tcpip.SendOptions) (int, error)
	Shutdown(how int) error
	Close() error

	LocalAddr() (tcpip.FullAddr, error)
	PeerAddr() (tcpip.FullAddr, error)
	Type() Type

	// Readiness returns which of mask hold now; Waiter announces changes.
	Readiness(mask waiter.Events) waiter.Events
	Waiter() *waiter.Queue

	// Error returns and clears the pending error (SO_ERROR).
	Error() error
	SetNonblocking(on bool)
	// SetTimeouts sets SO_RCVTIMEO and SO_SNDTIMEO; zero means none.
	SetTimeouts(recv, send time.Duration)
	// SetNoDelay sets TCP_NODELAY (ENOPROTOOPT on datagram sockets).
	SetNoDelay(on bool) error
	// SetKeepAlive sets SO_KEEPALIVE (ENOPROTOOPT on datagram sockets).
	SetKeepAlive(on bool) error
	// SetBufferSizes sets SO_SNDBUF and SO_RCVBUF where the protocol has
	// them (zero leaves a size unchanged).
	SetBufferSizes(send, recv int)

	// Getters for getsockopt(2), one for each setter.
	Timeouts() (recv, send time.Duration)
	NoDelay() (bool, error)
	KeepAlive() (bool, error)
	BufferSizes() (send, recv int)
	// SetKeepAliveParams sets TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT
	// (zero leaves one unchanged; EINVAL out of Linux's ranges;
	// ENOPROTOOPT on datagram sockets); KeepAliveParams returns them.
	SetKeepAliveParams(idle, interval time.Duration, count int) error
	KeepAliveParams() (idle, interval time.Duration, count int, err error)
	// SetReuseAddr sets SO_REUSEADDR (on by default for TCP); ReuseAddr
	// returns it.
	SetReuseAddr(on bool)
	ReuseAddr() bool
	// SetLinger sets SO_LINGER. On with a zero timeout, Close resets a
	// TCP connection instead of closing it gracefully (as Linux). On with
	// a timeout, Close itself does not wait: close(2) calls LingerWait
	// after it.
	SetLinger(on bool, timeout time.Duration)
	Linger() (on bool, timeout time.Duration)
	// SetBroadcast sets SO_BROADCAST: without it a datagram socket's
	// sendto or connect to a broadcast address is EACCES.
	SetBroadcast(on bool)
	Broadcast() bool
	// SetRecvTTL sets IP_RECVTTL: a datagram socket's RecvMsg then
	// reports each datagram's TTL in its Control (a stream's never does,
	// as Linux's TCP). RecvTTL returns it.
	SetRecvTTL(on bool)
	RecvTTL() bool

	// SetTTL sets the time to live of the datagrams the socket sends
	// (IP_TTL); 0 restores the default (64). TTL returns the value set,
	// 0 for the default.
	SetTTL(ttl uint8)
	TTL() uint8

	// Protocol is the socket's protocol number (SO_PROTOCOL): IPPROTO_TCP,
	// IPPROTO_UDP or IPPROTO_ICMP.
	Protocol() int
	// Listening reports whether Listen succeeded (SO_ACCEPTCONN).
	Listening() bool
	// Buffered returns what a read would take at once (FIONREAD): the
	// unread bytes of a stream, the size of a datagram socket's next
	// datagram.
	Buffered() int
}

// sockOpts holds the socket-level settings every kind of socket keeps;
// stream and datagram embed it.
type sockOpts struct {
	mu         sync.Mutex
	linger     bool
	lingerTime time.Duration
	broadcast  bool
	recvTTL    bool
}

// Control is the ancillary data of one receive (recvmsg's msg_control):
// only what the socket's options asked for is set.
type Control struct {
	HasTTL bool  // IP_RECVTTL was on: TTL is the datagram's
	TTL    uint8 // from its IP header
}

func (o *sockOpts) SetRecvTTL(on bool) {
	o.mu.Lock()
	o.recvTTL = on
	o.mu.Unlock()
}

func (o *sockOpts) RecvTTL() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.recvTTL
}

func (o *sockOpts) SetLinger(on bool, timeout time.Duration) {
	o.mu.Lock()
	o.linger, o.lingerTime = on, max(timeout, 0)
	o.mu.Unlock()
}

func (o *sockOpts) Linger() (on bool, timeout time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.linger, o.lingerTime
}

func (o *sockOpts) SetBroadcast(on bool) {
	o.mu.Lock()
	o.broadcast = on
	o.mu.Unlock()
}

func (o *sockOpts) Broadcast() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.broadcast
}

// Flags of recvmsg(2) and sendmsg(2) the sockets understand, with Linux's
// values.
const (
	MsgPeek     = syscall.MSG_PEEK
	MsgTrunc    = syscall.MSG_TRUNC
	MsgDontWait = syscall.MSG_DONTWAIT
	MsgWaitAll  = syscall.MSG_WAITALL
	MsgNoSignal = syscall.MSG_NOSIGNAL
	MsgOOB      = syscall.MSG_OOB
)

// Linux's limits on the keep-alive options (MAX_TCP_KEEPIDLE and friends).
const (
	maxKeepIdle  = 32767 * time.Second
	maxKeepCount = 127
)

// checkKeepAlive applies those limits; zero means "leave unchanged".
func checkKeepAlive(idle, interval time.Duration, count int) error {
	if idle < 0 || idle > maxKeepIdle || interval < 0 || interval > maxKeepIdle || count < 0 || count > maxKeepCount {
		return syscall.EINVAL
	}
	return nil
}

// Layer makes sockets on one stack.
type Layer struct {
	stack *stack.Stack
}

// NewLayer returns the socket layer over s. Stream and datagram sockets
// use the TCP and UDP registered with s (s.RegisterTransport); a type
// whose protocol is not registered is refused with EPROTONOSUPPORT.
func NewLayer(s *stack.Stack) *Layer { return &Layer{stack: s} }

// Stack returns the stack the layer makes sockets on.
func (l *Layer) Stack() *stack.Stack { return l.stack }

// Socket is socket(AF_INET, typ, 0).
func (l *Layer) Socket(typ Type) (Socket, error) { return l.SocketProtocol(typ, 0) }

// SocketProtocol is socket(AF_INET, typ, proto): proto 0 picks TCP for
// streams and UDP for datagrams; IPPROTO_ICMP with Datagram makes an echo
// ("ping") socket, as Linux's.
func (l *Layer) SocketProtocol(typ Type, proto int) (Socket, error) {
	switch {
	case typ == Stream && (proto == 0 || proto == syscall.IPPROTO_TCP):
		if t, ok := l.stack.Transport(tcpip.ProtoTCP).(*tcp.Protocol); ok {
			return newStream(t.NewEndpoint()), nil
		}
	case typ == Datagram && (proto == 0 || proto == syscall.IPPROTO_UDP):
		if u, ok := l.stack.Transport(tcpip.ProtoUDP).(*udp.Protocol); ok {
			return newDatagram(u.NewEndpoint(), syscall.IPPROTO_UDP, l.stack.IsBroadcast), nil
		}
	case typ == Datagram && proto == syscall.IPPROTO_ICMP:
		return newDatagram(l.stack.ICMP().NewEndpoint(), syscall.IPPROTO_ICMP, l.stack.IsBroadcast), nil
	case typ != Stream && typ != Datagram:
		return nil, syscall.ESOCKTNOSUPPORT
	}
	return nil, syscall.EPROTONOSUPPORT
}

// timeouts holds a socket's SO_RCVTIMEO and SO_SNDTIMEO.
type timeouts struct {
	recv, send time.Duration
}

// withTimeout returns ctx limited by d if d is set. The cancel function
// must be called.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}
