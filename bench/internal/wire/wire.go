// Package wire is the in-memory Ethernet cable both stacks in the benchmark
// run over, so that neither gets a faster link than the other.
//
// A cable has two ports. A frame sent on one port is copied into a slot of a
// fixed ring and handed, on a goroutine owned by the other port, to that
// port's receive function, the way a NIC's interrupt path hands frames to a
// driver. The ring is bounded: when it is full the frame is dropped and
// counted, as a real NIC does; the stacks' retransmission covers it. Sending
// and delivering allocate nothing, so the allocation figures the benchmark
// prints belong to the stacks and not to the cable.
package wire

import (
	"sync"
	"sync/atomic"
)

// SlotSize is the largest frame a cable carries: an Ethernet frame of MTU
// 1500 (1514 bytes without the FCS) fits with room to spare.
const SlotSize = 2048

// DefaultSlots is the ring length per direction used by New.
const DefaultSlots = 4096

// Stats counts what happened to frames sent on a port.
type Stats struct {
	Sent    uint64 // frames queued for the peer
	Dropped uint64 // frames dropped because the ring was full
	TooBig  uint64 // frames dropped because they exceed SlotSize
}

// Port is one end of a cable.
type Port struct {
	out  *ring // frames this port sends
	in   *ring // frames this port receives
	done chan struct{}
	once *sync.Once

	sent, dropped, tooBig atomic.Uint64
}

// ring is one direction of a cable: queued frames and the free slots they
// are copied into.
type ring struct {
	queue chan []byte
	free  chan []byte
}

func newRing(slots int) *ring {
	r := &ring{queue: make(chan []byte, slots), free: make(chan []byte, slots)}
	for range slots {
		r.free <- make([]byte, SlotSize)
	}
	return r
}

// New returns the two ports of a cable with DefaultSlots frames of buffering
// in each direction.
func New() (*Port, *Port) { return NewSize(DefaultSlots) }

// NewSize returns the two ports of a cable with the given ring length.
func NewSize(slots int) (*Port, *Port) {
	ab, ba := newRing(slots), newRing(slots)
	done := make(chan struct{})
	once := new(sync.Once)
	a := &Port{out: ab, in: ba, done: done, once: once}
	b := &Port{out: ba, in: ab, done: done, once: once}
	return a, b
}

// Alloc returns an empty slot of SlotSize bytes for the caller to build a
// frame in, or false if the ring is full (the frame is then counted as
// dropped). The caller must pass the slot to Transmit or Release.
func (p *Port) Alloc() ([]byte, bool) {
	select {
	case b := <-p.out.free:
		return b[:SlotSize], true
	default:
		p.dropped.Add(1)
		return nil, false
	}
}

// Transmit queues frame, a prefix of a slot from Alloc, for the peer.
func (p *Port) Transmit(frame []byte) {
	select {
	case <-p.done:
		p.out.free <- frame[:SlotSize]
		return
	default:
	}
	// Never blocks: there are as many queue places as slots.
	p.out.queue <- frame
	p.sent.Add(1)
}

// Release returns an unused slot from Alloc.
func (p *Port) Release(slot []byte) { p.out.free <- slot[:SlotSize] }

// Send copies frame into a slot and queues it for the peer. It reports
// whether the frame was queued.
func (p *Port) Send(frame []byte) bool {
	if len(frame) > SlotSize {
		p.tooBig.Add(1)
		return false
	}
	b, ok := p.Alloc()
	if !ok {
		return false
	}
	n := copy(b, frame)
	p.Transmit(b[:n])
	return true
}

// Start starts the goroutine that delivers frames arriving at p to recv, one
// at a time, in order. The frame is valid only during the call: recv must
// copy whatever it keeps. Start must be called once per port.
func (p *Port) Start(recv func(frame []byte)) {
	go func() {
		for {
			select {
			case <-p.done:
				return
			case b := <-p.in.queue:
				recv(b)
				p.in.free <- b[:SlotSize]
			}
		}
	}()
}

// Close stops delivery on both ports of the cable. Frames sent afterwards
// are discarded.
func (p *Port) Close() { p.once.Do(func() { close(p.done) }) }

// Stats returns the counters of frames sent on p.
func (p *Port) Stats() Stats {
	return Stats{Sent: p.sent.Load(), Dropped: p.dropped.Load(), TooBig: p.tooBig.Load()}
}
