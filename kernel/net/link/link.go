// Package link is the bottom of Scone's network stack: the interface a
// network device presents (a MAC address, an MTU, a way to send a frame and a
// way to have frames delivered in) and in-memory devices for tests and
// benchmarks: a Pipe joining two stacks through a Wire that can drop,
// reorder, duplicate, delay and corrupt frames, and a Manual device that a
// test drives frame by frame.
//
// Frames are whole Ethernet II frames without the FCS. Buffers are borrowed:
// a device copies a frame before WriteFrame returns, and a Dispatcher copies
// whatever it keeps before DeliverFrame returns.
package link

import (
	"errors"
	"syscall"

	"scone/kernel/net/tcpip"
)

// EthernetHeaderLen is the size of the Ethernet II header a frame starts with.
const EthernetHeaderLen = 14

// Errors returned by WriteFrame.
var (
	ErrClosed        = errors.New("link: device closed")
	ErrFrameTooLarge = syscall.EMSGSIZE
)

// A Dispatcher receives the frames a device takes off the wire. Calls for one
// device are serialised; the frame is valid only during the call.
type Dispatcher interface {
	DeliverFrame(frame []byte)
}

// A CheckedDispatcher also takes frames whose TCP or UDP checksum needs no
// checking: the device verified it (virtio-net's DATA_VALID), or the frame
// came from a peer on the same host with the checksum left to the device
// (virtio-net's NEEDS_CSUM, Linux's CHECKSUM_PARTIAL). The stack skips its
// own sum for them. A device that knows this about a frame delivers it here
// when its dispatcher implements the interface.
type CheckedDispatcher interface {
	Dispatcher
	DeliverCheckedFrame(frame []byte)
}

// Endpoint is a network device as the stack sees it.
type Endpoint interface {
	// MAC returns the device's hardware address.
	MAC() tcpip.MAC
	// MTU returns the largest network-layer packet (frame minus the
	// Ethernet header) the device carries.
	MTU() int
	// WriteFrame sends one frame. The device copies it: the caller may
	// reuse frame as soon as WriteFrame returns. A device whose transmit
	// queue is full drops the frame, as hardware does, and returns nil.
	WriteFrame(frame []byte) error
	// Attach sets the dispatcher that frames are delivered to. Frames that
	// arrive before Attach are dropped.
	Attach(d Dispatcher)
}
