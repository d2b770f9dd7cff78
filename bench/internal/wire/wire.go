// Package wire is the in-memory Ethernet cable both stacks in the benchmark
// run over, so that neither gets a faster link than the other.
//
// A cable has two ports. A frame sent on one port is copied into a slot of a
// fixed pool and queued; a goroutine owned by the other port takes whatever
// has queued up as one batch and hands the frames, in order, to that port's
// receive function, the way a NIC's interrupt handler drains its receive
// ring. The pool is bounded: when it is empty the frame is dropped and
// counted, as a real NIC does; the stacks' retransmission covers it. Sending
// and delivering allocate nothing, so the allocation figures the benchmark
// prints belong to the stacks and not to the cable; and a sender takes one
// uncontended lock per frame, so the cable's cost stays small beside the
// stacks'.
package wire

import (
	"sync"
	"sync/atomic"
)

// SlotSize is the largest frame a cable carries: an Ethernet frame of MTU
// 1500 (1514 bytes without the FCS) fits with room to spare.
const SlotSize = 2048

// DefaultSlots is the number of frames each direction of a cable made by New
// can hold: more than a default-sized TCP window (4 MiB) in 1500-byte
// frames, so that the benchmark measures the stacks and not their loss
// recovery.
const DefaultSlots = 4096

// Stats counts what happened to frames sent on a port.
type Stats struct {
	Sent    uint64 // frames queued for the peer
	Dropped uint64 // frames dropped because every slot was in use
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

// ring is one direction of a cable.
type ring struct {
	mu      sync.Mutex
	queue   [][]byte // frames waiting for delivery, oldest first
	spare   [][]byte // the previous batch's array, reused for the next queue
	free    [][]byte // empty slots
	waiting bool     // the delivery goroutine is asleep on wake
	wake    chan struct{}
}

func newRing(slots int) *ring {
	r := &ring{
		queue: make([][]byte, 0, slots),
		spare: make([][]byte, 0, slots),
		free:  make([][]byte, slots),
		wake:  make(chan struct{}, 1),
	}
	for i := range r.free {
		r.free[i] = make([]byte, SlotSize)
	}
	return r
}

// New returns the two ports of a cable with DefaultSlots frames of buffering
// in each direction.
func New() (*Port, *Port) { return NewSize(DefaultSlots) }

// NewSize returns the two ports of a cable with the given number of slots
// in each direction.
func NewSize(slots int) (*Port, *Port) {
	ab, ba := newRing(slots), newRing(slots)
	done := make(chan struct{})
	once := new(sync.Once)
	a := &Port{out: ab, in: ba, done: done, once: once}
	b := &Port{out: ba, in: ab, done: done, once: once}
	return a, b
}

// Alloc returns an empty slot of SlotSize bytes for the caller to build a
// frame in, or false if there is none (the frame is then counted as
// dropped). The caller must pass the slot to Transmit or Release.
func (p *Port) Alloc() ([]byte, bool) {
	r := p.out
	r.mu.Lock()
	n := len(r.free)
	if n == 0 {
		r.mu.Unlock()
		p.dropped.Add(1)
		return nil, false
	}
	b := r.free[n-1]
	r.free = r.free[:n-1]
	r.mu.Unlock()
	return b[:SlotSize], true
}

// Transmit queues frame, a prefix of a slot from Alloc, for the peer.
func (p *Port) Transmit(frame []byte) {
	select {
	case <-p.done:
		p.Release(frame)
		return
	default:
	}
	r := p.out
	r.mu.Lock()
	r.queue = append(r.queue, frame) // never grows: there are as many places as slots
	wake := r.waiting
	r.waiting = false
	r.mu.Unlock()
	p.sent.Add(1)
	if wake {
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
}

// Release returns an unused slot from Alloc.
func (p *Port) Release(slot []byte) {
	r := p.out
	r.mu.Lock()
	r.free = append(r.free, slot[:SlotSize])
	r.mu.Unlock()
}

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
	r := p.in
	go func() {
		for {
			r.mu.Lock()
			for len(r.queue) == 0 {
				r.waiting = true
				r.mu.Unlock()
				select {
				case <-p.done:
					return
				case <-r.wake:
				}
				r.mu.Lock()
			}
			batch := r.queue
			r.queue = r.spare[:0]
			r.mu.Unlock()

			for _, f := range batch {
				recv(f)
			}

			r.mu.Lock()
			for _, f := range batch {
				r.free = append(r.free, f[:SlotSize])
			}
			r.spare = batch[:0]
			r.mu.Unlock()
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
