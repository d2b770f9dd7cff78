package socket

import (
	"context"
	"io"
	"sync"
	"syscall"
	"time"

	"scone/kernel/net/tcp"
	"scone/kernel/net/tcpip"
	"scone/kernel/net/waiter"
)

// stream is a SOCK_STREAM socket: a TCP endpoint, which does its own
// blocking; this layer adds timeouts and read(2)'s end-of-stream.
type stream struct {
	ep *tcp.Endpoint
	sockOpts

	mu sync.Mutex
	to timeouts
}

func newStream(ep *tcp.Endpoint) *stream { return &stream{ep: ep} }

func (s *stream) Type() Type { return Stream }

func (s *stream) timeouts() timeouts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.to
}

func (s *stream) SetTimeouts(recv, send time.Duration) {
	s.mu.Lock()
	s.to = timeouts{recv, send}
	s.mu.Unlock()
}

func (s *stream) Bind(addr tcpip.FullAddr) error { return s.ep.Bind(addr) }

func (s *stream) Listen(backlog int) error { return s.ep.Listen(backlog) }

func (s *stream) Accept(ctx context.Context) (Socket, tcpip.FullAddr, error) {
	ctx, cancel := withTimeout(ctx, s.timeouts().recv)
	defer cancel()
	c, err := s.ep.Accept(ctx)
	if err != nil {
		return nil, tcpip.FullAddr{}, err
	}
	peer, _ := c.RemoteAddr()
	return newStream(c), peer, nil
}

func (s *stream) Connect(ctx context.Context, addr tcpip.FullAddr) error {
	ctx, cancel := withTimeout(ctx, s.timeouts().send)
	defer cancel()
	return s.ep.Connect(ctx, addr)
}

func (s *stream) Disconnect() error { return s.ep.Disconnect() }

func (s *stream) Read(ctx context.Context, b []byte) (int, error) {
	ctx, cancel := withTimeout(ctx, s.timeouts().recv)
	defer cancel()
	n, err := s.ep.Read(ctx, b)
	if err == io.EOF {
		return 0, nil
	}
	return n, err
}

func (s *stream) Write(ctx context.Context, b []byte) (int, error) {
	ctx, cancel := withTimeout(ctx, s.timeouts().send)
	defer cancel()
	return s.ep.Write(ctx, b)
}

// SendTo on a stream ignores the address, as Linux does for a connected
// TCP socket.
func (s *stream) SendTo(ctx context.Context, b []byte, _ tcpip.FullAddr) (int, error) {
	return s.Write(ctx, b)
}

func (s *stream) RecvFrom(ctx context.Context, b []byte) (int, tcpip.FullAddr, error) {
	n, err := s.Read(ctx, b)
	peer, _ := s.ep.RemoteAddr()
	return n, peer, err
}

// RecvMsg never fills ctl: Linux's TCP gives no IP_TTL ancillary data.
func (s *stream) RecvMsg(ctx context.Context, bufs [][]byte, flags int, _ *Control) (int, tcpip.FullAddr, int, error) {
	if flags&MsgOOB != 0 {
		return 0, tcpip.FullAddr{}, 0, syscall.EINVAL // urgent data stays in line (SO_OOBINLINE)
	}
	ctx, cancel := withTimeout(ctx, s.timeouts().recv)
	defer cancel()
	n, err := s.ep.ReadV(ctx, bufs, tcp.RecvOptions{
		Peek: flags&MsgPeek != 0, WaitAll: flags&MsgWaitAll != 0, Discard: flags&MsgTrunc != 0,
		NoWait: flags&MsgDontWait != 0,
	})
	if err == io.EOF {
		err = nil
	}
	peer, _ := s.ep.RemoteAddr()
	return n, peer, 0, err
}

func (s *stream) SendMsg(ctx context.Context, bufs [][]byte, _ tcpip.FullAddr, flags int, _ *tcpip.SendOptions) (int, error) {
	if flags&MsgOOB != 0 {
		return 0, syscall.EOPNOTSUPP // sending urgent data is not supported
	}
	ctx, cancel := withTimeout(ctx, s.timeouts().send)
	defer cancel()
	return s.ep.WriteV(ctx, bufs, flags&MsgDontWait != 0)
}

func (s *stream) Shutdown(how int) error { return s.ep.Shutdown(how) }

// Close closes the connection gracefully, or resets it under SO_LINGER
// with a zero timeout.
func (s *stream) Close() error {
	if on, d := s.Linger(); on && d == 0 {
		return s.ep.Abort()
	}
	return s.ep.Close()
}

func (s *stream) Protocol() int { return syscall.IPPROTO_TCP }

func (s *stream) SetTTL(ttl uint8) { s.ep.SetTTL(ttl) }

func (s *stream) TTL() uint8 { return s.ep.TTL() }

func (s *stream) Listening() bool { return s.ep.State() == tcp.StateListen }

func (s *stream) Buffered() int { return s.ep.Buffered() }

func (s *stream) LocalAddr() (tcpip.FullAddr, error) { return s.ep.LocalAddr() }

func (s *stream) PeerAddr() (tcpip.FullAddr, error) { return s.ep.RemoteAddr() }

func (s *stream) Readiness(mask waiter.Events) waiter.Events { return s.ep.Readiness() & mask }

func (s *stream) Waiter() *waiter.Queue { return s.ep.Queue() }

func (s *stream) Error() error { return s.ep.Error() }

func (s *stream) SetNonblocking(on bool) { s.ep.SetNonblocking(on) }

func (s *stream) SetNoDelay(on bool) error {
	s.ep.SetNoDelay(on)
	return nil
}

func (s *stream) SetKeepAlive(on bool) error {
	s.ep.SetKeepAlive(on)
	return nil
}

// Info returns TCP_INFO for the connection.
func (s *stream) Info() tcp.Info { return s.ep.Info() }

func (s *stream) Timeouts() (recv, send time.Duration) {
	to := s.timeouts()
	return to.recv, to.send
}

func (s *stream) NoDelay() (bool, error) { return s.ep.NoDelay(), nil }

func (s *stream) KeepAlive() (bool, error) { return s.ep.KeepAlive(), nil }

func (s *stream) SetKeepAliveParams(idle, interval time.Duration, count int) error {
	if err := checkKeepAlive(idle, interval, count); err != nil {
		return err
	}
	s.ep.SetKeepAliveParams(idle, interval, count)
	return nil
}

func (s *stream) KeepAliveParams() (idle, interval time.Duration, count int, err error) {
	idle, interval, count = s.ep.KeepAliveParams()
	return idle, interval, count, nil
}

func (s *stream) BufferSizes() (send, recv int) {
	return s.ep.SendBufferSize(), s.ep.ReceiveBufferSize()
}

func (s *stream) SetReuseAddr(on bool) { s.ep.SetReuseAddr(on) }

func (s *stream) ReuseAddr() bool { return s.ep.ReuseAddr() }

func (s *stream) SetBufferSizes(send, recv int) {
	if send > 0 {
		s.ep.SetSendBufferSize(send)
	}
	if recv > 0 {
		s.ep.SetReceiveBufferSize(recv)
	}
}

var _ Socket = (*stream)(nil)
