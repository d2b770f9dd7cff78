// Package scone builds Scone's side of the benchmark: two of our stacks
// (kernel/net/stack with kernel/net/tcp registered) joined by a wire cable,
// used through the socket layer (kernel/net/socket) that system calls sit
// on. Everything runs with its defaults, as the kernel would run it; the
// loopback device is present, as on every host.
package scone

import (
	"context"
	"io"
	"sync/atomic"

	"scone/bench/internal/wire"
	"scone/bench/internal/workload"
	"scone/kernel/net/link"
	"scone/kernel/net/socket"
	"scone/kernel/net/stack"
	"scone/kernel/net/tcp"
	"scone/kernel/net/tcpip"
)

// Stack is Scone's entry in the benchmark.
var Stack = workload.Stack{Name: "ours", NewPair: NewPair}

var (
	clientAddr = tcpip.AddrFrom4(10, 0, 0, 1)
	serverAddr = tcpip.AddrFrom4(10, 0, 0, 2)
	clientMAC  = tcpip.MAC{0x02, 0, 0, 0, 0, 0x01}
	serverMAC  = tcpip.MAC{0x02, 0, 0, 0, 0, 0x02}
)

// listenBacklog matches the backlog gVisor's gonet.ListenTCP asks for.
const listenBacklog = 4096

// Pair is two Scone stacks on one cable.
type Pair struct {
	client, server *socket.Layer
	stacks         [2]*stack.Stack
	cable, peer    *wire.Port
}

// NewPair returns a client stack at 10.0.0.1 and a server stack at 10.0.0.2.
func NewPair() (workload.Pair, error) {
	a, b := wire.New()
	p := &Pair{cable: a, peer: b}
	var err error
	if p.client, p.stacks[0], err = newHost(a, clientMAC, clientAddr); err != nil {
		a.Close()
		return nil, err
	}
	if p.server, p.stacks[1], err = newHost(b, serverMAC, serverAddr); err != nil {
		p.stacks[0].Close()
		return nil, err
	}
	return p, nil
}

func newHost(port *wire.Port, mac tcpip.MAC, addr tcpip.Addr) (*socket.Layer, *stack.Stack, error) {
	s := stack.New(stack.Options{})
	t := tcp.NewProtocol(s, s.Clock(), tcp.Options{})
	s.RegisterTransport(tcpip.ProtoTCP, t)
	nic, err := s.AddNIC("eth0", newLinkEndpoint(port, mac))
	if err == nil {
		err = s.SetAddress(nic, addr, 24)
	}
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return socket.NewLayer(s), s, nil
}

// Listen implements workload.Pair.
func (p *Pair) Listen(port uint16) (workload.Listener, error) {
	s, err := p.server.Socket(socket.Stream)
	if err != nil {
		return nil, err
	}
	if err := s.Bind(tcpip.FullAddr{Addr: serverAddr, Port: port}); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.Listen(listenBacklog); err != nil {
		s.Close()
		return nil, err
	}
	return listener{s}, nil
}

// Dial implements workload.Pair.
func (p *Pair) Dial(port uint16) (workload.Conn, error) {
	s, err := p.client.Socket(socket.Stream)
	if err != nil {
		return nil, err
	}
	if err := s.Connect(context.Background(), tcpip.FullAddr{Addr: serverAddr, Port: port}); err != nil {
		s.Close()
		return nil, err
	}
	return conn{s}, nil
}

// Frames implements workload.Pair.
func (p *Pair) Frames() (sent, dropped uint64) {
	a, b := p.cable.Stats(), p.peer.Stats()
	return a.Sent + b.Sent, a.Dropped + b.Dropped
}

// Close implements workload.Pair. Closing the stacks closes the cable.
func (p *Pair) Close() error {
	for _, s := range p.stacks {
		s.Close()
	}
	return nil
}

type listener struct{ s socket.Socket }

func (l listener) Accept() (workload.Conn, error) {
	c, _, err := l.s.Accept(context.Background())
	if err != nil {
		return nil, err
	}
	return conn{c}, nil
}

func (l listener) Close() error { return l.s.Close() }

// conn adapts a stream socket, whose blocking calls take a context and whose
// Read returns 0 at the end of the stream as read(2) does, to
// io.ReadWriteCloser.
type conn struct{ s socket.Socket }

func (c conn) Read(b []byte) (int, error) {
	n, err := c.s.Read(context.Background(), b)
	if n == 0 && err == nil && len(b) > 0 {
		return 0, io.EOF
	}
	return n, err
}

func (c conn) Write(b []byte) (int, error) { return c.s.Write(context.Background(), b) }
func (c conn) Close() error                { return c.s.Close() }

// linkEndpoint is a Scone network device over one port of a wire cable.
type linkEndpoint struct {
	port       *wire.Port
	mac        tcpip.MAC
	dispatcher atomic.Pointer[link.Dispatcher]
}

var _ link.Endpoint = (*linkEndpoint)(nil)

func newLinkEndpoint(port *wire.Port, mac tcpip.MAC) *linkEndpoint {
	e := &linkEndpoint{port: port, mac: mac}
	port.Start(func(frame []byte) {
		if d := e.dispatcher.Load(); d != nil {
			(*d).DeliverFrame(frame)
		}
	})
	return e
}

func (e *linkEndpoint) MAC() tcpip.MAC { return e.mac }
func (e *linkEndpoint) MTU() int       { return 1500 }

// WriteFrame copies the frame into a cable slot; a full ring drops it, as
// link.Endpoint allows.
func (e *linkEndpoint) WriteFrame(frame []byte) error {
	if len(frame) > 1500+link.EthernetHeaderLen {
		return link.ErrFrameTooLarge
	}
	e.port.Send(frame)
	return nil
}

func (e *linkEndpoint) Attach(d link.Dispatcher) { e.dispatcher.Store(&d) }

// Close is called by stack.Close.
func (e *linkEndpoint) Close() { e.port.Close() }
