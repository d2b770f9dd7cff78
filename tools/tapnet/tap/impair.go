package tap

import (
	"scone/kernel/net/link"
	"scone/kernel/net/tcpip"
)

// Impaired puts a link.Wire in each direction between a device and the
// stack, so the stack's side of a real link can add delay, jitter,
// reordering (and loss, duplication, corruption) that the Linux side of a
// TAP cannot: these machines have no tc netem.
type Impaired struct {
	dev link.Endpoint
	// Out carries frames from the stack to the device, In from the device
	// to the stack; their Stats say what was done to the frames.
	Out, In *link.Wire
}

// NewImpaired wraps dev. The wires draw their randomness from seed.
func NewImpaired(dev link.Endpoint, imp link.Impairments, seed uint64) *Impaired {
	i := &Impaired{
		dev: dev,
		Out: link.NewWire(imp, 0, nil, seed),
		In:  link.NewWire(imp, 0, nil, seed+1),
	}
	i.Out.Attach(writer{dev})
	dev.Attach(sender{i.In})
	return i
}

// MAC returns the device's hardware address.
func (i *Impaired) MAC() tcpip.MAC { return i.dev.MAC() }

// MTU returns the device's MTU.
func (i *Impaired) MTU() int { return i.dev.MTU() }

// WriteFrame sends frame through the outbound wire.
func (i *Impaired) WriteFrame(frame []byte) error {
	if len(frame) > i.dev.MTU()+link.EthernetHeaderLen {
		return link.ErrFrameTooLarge
	}
	return i.Out.Send(frame)
}

// Attach sets where frames from the device go, after the inbound wire.
func (i *Impaired) Attach(d link.Dispatcher) { i.In.Attach(d) }

// Close stops both wires (the device itself is the caller's to close).
func (i *Impaired) Close() {
	i.Out.Close()
	i.In.Close()
}

// writer delivers a wire's frames to a device.
type writer struct{ dev link.Endpoint }

func (w writer) DeliverFrame(frame []byte) { w.dev.WriteFrame(frame) }

// sender puts a device's frames onto a wire.
type sender struct{ w *link.Wire }

func (s sender) DeliverFrame(frame []byte) { s.w.Send(frame) }
