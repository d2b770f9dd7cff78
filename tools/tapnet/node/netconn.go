package node

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"scone/kernel/net/tcp"
	"scone/kernel/net/tcpip"
)

// Listener is a net.Listener over a listening Scone TCP endpoint, so that
// net/http can serve through the stack.
type Listener struct {
	ep     *tcp.Endpoint
	ctx    context.Context
	cancel context.CancelFunc
}

// Accept waits for the next connection.
func (l *Listener) Accept() (net.Conn, error) {
	ep, err := l.ep.Accept(l.ctx)
	if err != nil {
		if l.ctx.Err() != nil {
			return nil, net.ErrClosed
		}
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: err}
	}
	return newConn(ep), nil
}

// Close stops listening; a blocked Accept returns net.ErrClosed.
func (l *Listener) Close() error {
	l.cancel()
	return l.ep.Close()
}

// Addr returns the listening address.
func (l *Listener) Addr() net.Addr {
	a, _ := l.ep.LocalAddr()
	return tcpAddr(a)
}

// Conn is a net.Conn over a connected Scone TCP endpoint.
type Conn struct {
	ep            *tcp.Endpoint
	read, write   deadline
	closeOnce     sync.Once
	local, remote net.Addr
}

func newConn(ep *tcp.Endpoint) *Conn {
	l, _ := ep.LocalAddr()
	r, _ := ep.RemoteAddr()
	return &Conn{ep: ep, local: tcpAddr(l), remote: tcpAddr(r)}
}

// Read reads from the connection, honouring the read deadline.
func (c *Conn) Read(b []byte) (int, error) {
	n, err := c.read.do(func(ctx context.Context) (int, error) { return c.ep.Read(ctx, b) })
	if err != nil && n == 0 {
		return 0, c.opError("read", err)
	}
	return n, nil
}

// Write writes all of b unless the write deadline passes or the
// connection fails.
func (c *Conn) Write(b []byte) (int, error) {
	total := 0
	for total < len(b) {
		n, err := c.write.do(func(ctx context.Context) (int, error) { return c.ep.Write(ctx, b[total:]) })
		total += n
		if err != nil {
			return total, c.opError("write", err)
		}
	}
	return total, nil
}

// CloseWrite shuts down the sending side (a FIN), as *net.TCPConn does.
func (c *Conn) CloseWrite() error { return c.ep.Shutdown(tcp.ShutWr) }

// Close closes the connection and wakes blocked calls.
func (c *Conn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.read.close()
		c.write.close()
		err = c.ep.Close()
	})
	return err
}

func (c *Conn) LocalAddr() net.Addr  { return c.local }
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

func (c *Conn) SetDeadline(t time.Time) error {
	c.read.set(t)
	c.write.set(t)
	return nil
}
func (c *Conn) SetReadDeadline(t time.Time) error  { c.read.set(t); return nil }
func (c *Conn) SetWriteDeadline(t time.Time) error { c.write.set(t); return nil }

// opError maps the endpoint's errors to what net/http and io expect.
func (c *Conn) opError(op string, err error) error {
	switch {
	case errors.Is(err, errDeadline):
		err = os.ErrDeadlineExceeded
	case errors.Is(err, errClosed):
		return net.ErrClosed
	case errors.Is(err, io.EOF):
		return io.EOF // unwrapped, as readers test for it with ==
	}
	return &net.OpError{Op: op, Net: "tcp", Source: c.local, Addr: c.remote, Err: err}
}

var (
	errDeadline = errors.New("deadline exceeded")
	errClosed   = errors.New("connection closed")
)

// deadline is one direction's deadline. Setting it cancels the context of
// a call in progress; the call is then retried if the new deadline is
// still in the future (a deadline moved later), as net.Conn requires.
type deadline struct {
	mu     sync.Mutex
	t      time.Time
	gen    uint64
	cancel context.CancelFunc
	closed bool
}

func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	d.t = t
	d.gen++
	if d.cancel != nil {
		d.cancel()
	}
	d.mu.Unlock()
}

// close fails the call in progress and every later one.
func (d *deadline) close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.set(time.Time{}) // wakes the call in progress, which then sees closed
}

// do runs f with a context that ends at the deadline.
func (d *deadline) do(f func(ctx context.Context) (int, error)) (int, error) {
	for {
		d.mu.Lock()
		if d.closed {
			d.mu.Unlock()
			return 0, errClosed
		}
		t, gen := d.t, d.gen
		if !t.IsZero() && !time.Now().Before(t) {
			d.mu.Unlock()
			return 0, errDeadline
		}
		var ctx context.Context
		var cancel context.CancelFunc
		if t.IsZero() {
			ctx, cancel = context.WithCancel(context.Background())
		} else {
			ctx, cancel = context.WithDeadline(context.Background(), t)
		}
		d.cancel = cancel
		d.mu.Unlock()

		n, err := f(ctx)
		ended := ctx.Err() != nil // before cancel, which would end it
		cancel()
		if err == nil || !ended || n > 0 {
			return n, err
		}
		d.mu.Lock()
		changed := d.gen != gen
		d.mu.Unlock()
		if !changed {
			return 0, errDeadline
		}
		// The deadline changed under the call: go round and apply it.
	}
}

// Listen returns a listener on port of the stack's TCP.
func (n *Node) Listen(port uint16) (*Listener, error) {
	ep := n.TCP.NewEndpoint()
	if err := ep.Bind(tcpip.FullAddr{Port: port}); err != nil {
		ep.Close()
		return nil, err
	}
	if err := ep.Listen(128); err != nil {
		ep.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Listener{ep: ep, ctx: ctx, cancel: cancel}, nil
}

// Dial connects to addr ("10.0.0.1:80" or "name:80", resolved through the
// node's resolver).
func (n *Node) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if network != "tcp" && network != "tcp4" {
		return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.EAFNOSUPPORT}
	}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, &net.AddrError{Err: "bad port", Addr: addr}
	}
	addrs, err := n.Resolver.Lookup(ctx, host)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	ep := n.TCP.NewEndpoint()
	remote := tcpip.FullAddr{Addr: addrs[0], Port: uint16(port)}
	if err := ep.Connect(ctx, remote); err != nil {
		ep.Close()
		return nil, &net.OpError{Op: "dial", Net: network, Addr: tcpAddr(remote), Err: err}
	}
	return newConn(ep), nil
}

func tcpAddr(a tcpip.FullAddr) *net.TCPAddr {
	return &net.TCPAddr{IP: net.IP(a.Addr[:]).To16(), Port: int(a.Port)}
}
