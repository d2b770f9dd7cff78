// Package gvisor builds the benchmark's reference: two instances of
// gVisor's netstack joined by a wire cable, used through gVisor's own
// net.Conn adapter (gonet), with Ethernet framing and ARP as our stack has.
//
// The stacks run with gVisor's default options: no GSO, no checksum offload
// (the link advertises no capabilities), its default buffer sizes and
// receive-buffer moderation, SACK off.
package gvisor

import (
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/ethernet"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"

	"scone/bench/internal/wire"
	"scone/bench/internal/workload"
)

// Stack is gVisor's entry in the benchmark.
var Stack = workload.Stack{Name: "gVisor", NewPair: NewPair}

const nicID = 1

var (
	clientAddr = tcpip.AddrFrom4([4]byte{10, 0, 0, 1})
	serverAddr = tcpip.AddrFrom4([4]byte{10, 0, 0, 2})
	clientMAC  = tcpip.LinkAddress("\x02\x00\x00\x00\x00\x01")
	serverMAC  = tcpip.LinkAddress("\x02\x00\x00\x00\x00\x02")
)

// Pair is two gVisor stacks on one cable.
type Pair struct {
	client, server *stack.Stack
	cable, peer    *wire.Port
}

// NewPair returns a client stack at 10.0.0.1 and a server stack at 10.0.0.2.
func NewPair() (workload.Pair, error) {
	a, b := wire.New()
	client, err := newStack(a, clientMAC, clientAddr)
	if err != nil {
		a.Close()
		return nil, err
	}
	server, err := newStack(b, serverMAC, serverAddr)
	if err != nil {
		client.Close()
		a.Close()
		return nil, err
	}
	return &Pair{client: client, server: server, cable: a, peer: b}, nil
}

func newStack(port *wire.Port, mac tcpip.LinkAddress, addr tcpip.Address) (*stack.Stack, error) {
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol},
	})
	link := &linkEndpoint{port: port, mac: mac}
	port.Start(link.deliver)
	if err := s.CreateNIC(nicID, ethernet.New(link)); err != nil {
		s.Close()
		return nil, wrap("create NIC", err)
	}
	pa := tcpip.ProtocolAddress{
		Protocol:          ipv4.ProtocolNumber,
		AddressWithPrefix: tcpip.AddressWithPrefix{Address: addr, PrefixLen: 24},
	}
	if err := s.AddProtocolAddress(nicID, pa, stack.AddressProperties{}); err != nil {
		s.Close()
		return nil, wrap("add address", err)
	}
	s.SetRouteTable([]tcpip.Route{{Destination: pa.AddressWithPrefix.Subnet(), NIC: nicID}})
	return s, nil
}

// Listen implements workload.Pair.
func (p *Pair) Listen(port uint16) (workload.Listener, error) {
	ln, err := gonet.ListenTCP(p.server, tcpip.FullAddress{NIC: nicID, Addr: serverAddr, Port: port}, ipv4.ProtocolNumber)
	if err != nil {
		return nil, err
	}
	return listener{ln}, nil
}

// Dial implements workload.Pair.
func (p *Pair) Dial(port uint16) (workload.Conn, error) {
	return gonet.DialTCP(p.client, tcpip.FullAddress{NIC: nicID, Addr: serverAddr, Port: port}, ipv4.ProtocolNumber)
}

// Frames implements workload.Pair.
func (p *Pair) Frames() (sent, dropped uint64) {
	a, b := p.cable.Stats(), p.peer.Stats()
	return a.Sent + b.Sent, a.Dropped + b.Dropped
}

// Close implements workload.Pair.
func (p *Pair) Close() error {
	p.cable.Close()
	for _, s := range []*stack.Stack{p.client, p.server} {
		s.Close()
		s.Wait()
	}
	return nil
}

// listener adapts gonet's net.Listener to workload.Listener.
type listener struct{ ln *gonet.TCPListener }

func (l listener) Accept() (workload.Conn, error) { return l.ln.Accept() }
func (l listener) Close() error                   { return l.ln.Close() }

// linkEndpoint is a gVisor link endpoint over one port of a wire cable. It
// carries whole Ethernet frames; ethernet.New wraps it to add and strip the
// header, as gVisor's own NIC drivers are wrapped.
type linkEndpoint struct {
	port       *wire.Port
	mac        tcpip.LinkAddress
	dispatcher atomic.Pointer[stack.NetworkDispatcher]
}

var _ stack.LinkEndpoint = (*linkEndpoint)(nil)

// deliver hands a frame from the cable to the stack. The cable reuses the
// frame's memory, so it is copied into a gVisor buffer, as a NIC driver does.
func (e *linkEndpoint) deliver(frame []byte) {
	d := e.dispatcher.Load()
	if d == nil {
		return
	}
	pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(frame)})
	(*d).DeliverNetworkPacket(0, pkt)
	pkt.DecRef()
}

// WritePackets implements stack.LinkWriter: each packet, Ethernet header
// included, is gathered into a cable slot without an intermediate copy.
func (e *linkEndpoint) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	n := 0
	for _, pkt := range pkts.AsSlice() {
		if pkt.Size() > wire.SlotSize {
			return n, &tcpip.ErrMessageTooLong{}
		}
		slot, ok := e.port.Alloc()
		if !ok {
			// A full ring drops the frame, as a NIC would; TCP recovers.
			n++
			continue
		}
		views, off := pkt.AsViewList()
		m := 0
		for v := views.Front(); v != nil; v = v.Next() {
			b := v.AsSlice()
			if off >= len(b) {
				off -= len(b)
				continue
			}
			m += copy(slot[m:], b[off:])
			off = 0
		}
		e.port.Transmit(slot[:m])
		n++
	}
	return n, nil
}

// MTU implements stack.LinkEndpoint: the frame size, which ethernet.New
// reduces by the header to the IP MTU of 1500.
func (*linkEndpoint) MTU() uint32                      { return 1500 + header.EthernetMinimumSize }
func (*linkEndpoint) SetMTU(uint32)                    {}
func (*linkEndpoint) MaxHeaderLength() uint16          { return 0 }
func (e *linkEndpoint) LinkAddress() tcpip.LinkAddress { return e.mac }
func (*linkEndpoint) SetLinkAddress(tcpip.LinkAddress) {}
func (*linkEndpoint) Capabilities() stack.LinkEndpointCapabilities {
	return 0
}
func (e *linkEndpoint) Attach(d stack.NetworkDispatcher) {
	if d == nil {
		e.dispatcher.Store(nil)
		return
	}
	e.dispatcher.Store(&d)
}
func (e *linkEndpoint) IsAttached() bool                      { return e.dispatcher.Load() != nil }
func (*linkEndpoint) Wait()                                   {}
func (*linkEndpoint) ARPHardwareType() header.ARPHardwareType { return header.ARPHardwareEther }
func (*linkEndpoint) AddHeader(*stack.PacketBuffer)           {}
func (*linkEndpoint) ParseHeader(*stack.PacketBuffer) bool    { return true }
func (*linkEndpoint) Close()                                  {}
func (*linkEndpoint) SetOnCloseAction(func())                 {}

// wrap turns a tcpip.Error into an error.
func wrap(op string, err tcpip.Error) error { return &opError{op, err.String()} }

type opError struct{ op, msg string }

func (e *opError) Error() string { return "gvisor: " + e.op + ": " + e.msg }
