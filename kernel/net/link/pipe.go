package link

import (
	"scone/kernel/net/clock"
	"scone/kernel/net/tcpip"
)

// PipeConfig describes a Pipe: two devices joined back to back.
type PipeConfig struct {
	MTU      int         // network-layer MTU of both ends; 1500 if zero
	QueueLen int         // frames each direction may queue; 1024 if zero
	Clock    clock.Clock // for delays; the real clock if nil
	Seed     uint64      // seeds the impairment generators
	AToB     Impairments // what happens to frames A sends
	BToA     Impairments // what happens to frames B sends
	// Observe, if set, sees every frame an end writes, before any
	// impairment, on the writer's goroutine. Tests check frames with it.
	Observe func(from *PipeEnd, frame []byte)
}

// A PipeEnd is one device of a Pipe.
type PipeEnd struct {
	mac     tcpip.MAC
	mtu     int
	out     *Wire // frames this end sends
	in      *Wire // frames this end receives
	observe func(*PipeEnd, []byte)
}

// NewPipe returns two devices with hardware addresses macA and macB, each
// delivering what the other writes.
func NewPipe(cfg PipeConfig, macA, macB tcpip.MAC) (a, b *PipeEnd) {
	if cfg.MTU == 0 {
		cfg.MTU = 1500
	}
	ab := NewWire(cfg.AToB, cfg.QueueLen, cfg.Clock, cfg.Seed)
	ba := NewWire(cfg.BToA, cfg.QueueLen, cfg.Clock, cfg.Seed+1)
	a = &PipeEnd{mac: macA, mtu: cfg.MTU, out: ab, in: ba, observe: cfg.Observe}
	b = &PipeEnd{mac: macB, mtu: cfg.MTU, out: ba, in: ab, observe: cfg.Observe}
	return a, b
}

// MAC returns the end's hardware address.
func (e *PipeEnd) MAC() tcpip.MAC { return e.mac }

// MTU returns the end's MTU.
func (e *PipeEnd) MTU() int { return e.mtu }

// Attach sets where frames arriving at this end go.
func (e *PipeEnd) Attach(d Dispatcher) { e.in.Attach(d) }

// WriteFrame sends frame to the other end.
func (e *PipeEnd) WriteFrame(frame []byte) error {
	if len(frame) > e.mtu+EthernetHeaderLen {
		return ErrFrameTooLarge
	}
	if e.observe != nil {
		e.observe(e, frame)
	}
	return e.out.Send(frame)
}

// Out returns the wire carrying this end's frames, for its statistics and
// impairments.
func (e *PipeEnd) Out() *Wire { return e.out }

// Close stops both directions. Closing either end closes the pipe.
func (e *PipeEnd) Close() {
	e.out.Close()
	e.in.Close()
}
