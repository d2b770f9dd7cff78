// Package loopback is the software device behind 127.0.0.1 and behind
// every packet a host sends to one of its own addresses: what is written
// comes back in, on the device's delivery goroutine so that a sender never
// re-enters its own receive path. Frames carry an Ethernet header with zero
// addresses, like Linux's lo, so the stack treats every device alike.
package loopback

import (
	"scone/kernel/net/link"
	"scone/kernel/net/tcpip"
)

// MTU is the loopback MTU: the largest IPv4 datagram.
const MTU = 65535

// Device is a loopback device. It implements link.Endpoint.
type Device struct {
	w *link.Wire
}

// New returns a loopback device whose queue holds up to queueLen frames
// (1024 if zero).
func New(queueLen int) *Device {
	return &Device{w: link.NewWire(link.Impairments{}, queueLen, nil, 0)}
}

// MAC returns the all-zero address.
func (d *Device) MAC() tcpip.MAC { return tcpip.MAC{} }

// MTU returns MTU.
func (d *Device) MTU() int { return MTU }

// Attach sets where looped frames are delivered.
func (d *Device) Attach(disp link.Dispatcher) { d.w.Attach(disp) }

// WriteFrame queues frame to come back in.
func (d *Device) WriteFrame(frame []byte) error {
	if len(frame) > MTU+link.EthernetHeaderLen {
		return link.ErrFrameTooLarge
	}
	return d.w.Send(frame)
}

// Close stops the device.
func (d *Device) Close() { d.w.Close() }
