package link

import (
	"math/rand/v2"
	"sync"
	"time"

	"scone/kernel/net/clock"
	"scone/kernel/net/tcpip"
)

// Impairments are what a Wire does to the frames crossing it. Probabilities
// are in [0, 1] and are drawn from the wire's seeded generator, so a test run
// is repeatable up to goroutine scheduling. Delay and jitter keep frames in
// order, as a real link does; only Reorder reorders. With ReorderDelay
// zero a reordered frame swaps places with the next one; otherwise it is
// held back by a random delay in [0, ReorderDelay) while later frames
// pass it, as on a path with several routes, so it can arrive after many
// of them (three or more produce the duplicate ACKs of fast retransmit).
type Impairments struct {
	Loss         float64       // drop the frame
	Duplicate    float64       // deliver the frame twice
	Reorder      float64       // let later frames overtake the frame
	ReorderDelay time.Duration // how long a reordered frame is held back at most (0: one frame)
	Corrupt      float64       // flip one bit after the Ethernet header
	Delay        time.Duration // added latency, measured on the wire's Clock
	Jitter       time.Duration // extra random latency in [0, Jitter)
}

// WireStats count what happened to frames on a wire.
type WireStats struct {
	Sent, Delivered                                    tcpip.Counter
	Lost, QueueDrops, Duplicated, Reordered, Corrupted tcpip.Counter
}

// A Wire carries frames one way to a Dispatcher on its own goroutine, so a
// sender never runs the receiver's code (and never deadlocks with it). Its
// queue is bounded: when full, frames are dropped and counted. The zero value
// is not usable; call NewWire.
type Wire struct {
	imp   Impairments
	clock clock.Clock
	max   int // queue bound in frames
	Stats WireStats

	mu      sync.Mutex
	cond    sync.Cond
	rng     *rand.Rand
	queue   [][]byte // FIFO: frames waiting for the delivery goroutine
	spare   [][]byte // the other batch slice, swapped with queue
	waiting bool     // the delivery goroutine sleeps on cond
	busy    bool     // the delivery goroutine is delivering a batch
	held    []byte   // a frame held back by Reorder
	free    [][]byte // recycled smallFrame buffers
	large   [][]byte // recycled largeFrame buffers
	flight  []flying // delayed frames in arrival order (FIFO, as a real link)
	lastDue time.Time
	timer   clock.Timer // fires when flight's head is due
	closed  bool
	d       Dispatcher
	done    chan struct{}
}

// Buffer sizes the free lists recycle: enough for any Ethernet frame, and
// for the largest frame loopback carries (a 64 KiB datagram). Only a few
// large buffers are kept (a 1 MiB TCP window's worth): they are big.
const (
	smallFrame   = 2048
	largeFrame   = 65536 + EthernetHeaderLen
	maxLargeFree = 16
)

// NewWire returns a wire with the given impairments, a queue of up to
// queueLen frames (1024 if zero), delays measured on c (the real clock if
// nil), and a random generator seeded with seed.
func NewWire(imp Impairments, queueLen int, c clock.Clock, seed uint64) *Wire {
	if queueLen <= 0 {
		queueLen = 1024
	}
	if c == nil {
		c = clock.Real{}
	}
	w := &Wire{
		imp:   imp,
		clock: c,
		max:   queueLen,
		rng:   rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		done:  make(chan struct{}),
	}
	w.cond.L = &w.mu
	go w.run()
	return w
}

// Attach sets the receiver of the wire's frames.
func (w *Wire) Attach(d Dispatcher) {
	w.mu.Lock()
	w.d = d
	w.mu.Unlock()
}

// SetImpairments changes what the wire does to frames from now on.
func (w *Wire) SetImpairments(imp Impairments) {
	w.mu.Lock()
	w.imp = imp
	w.mu.Unlock()
}

// Close stops the delivery goroutine and drops queued frames.
func (w *Wire) Close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		w.cond.Broadcast()
		if w.timer != nil {
			w.timer.Stop()
		}
	}
	w.mu.Unlock()
	<-w.done
}

// Send copies frame onto the wire. It never blocks.
func (w *Wire) Send(frame []byte) error {
	w.Stats.Sent.Inc()
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	imp := &w.imp
	if imp.Loss > 0 && w.rng.Float64() < imp.Loss {
		w.mu.Unlock()
		w.Stats.Lost.Inc()
		return nil
	}
	copies := 1
	if imp.Duplicate > 0 && w.rng.Float64() < imp.Duplicate {
		copies = 2
		w.Stats.Duplicated.Inc()
	}
	for i := 0; i < copies; i++ {
		b := w.alloc(len(frame))
		copy(b, frame)
		if imp.Corrupt > 0 && len(b) > EthernetHeaderLen && w.rng.Float64() < imp.Corrupt {
			j := EthernetHeaderLen + w.rng.IntN(len(b)-EthernetHeaderLen)
			b[j] ^= 1 << w.rng.IntN(8)
			w.Stats.Corrupted.Inc()
		}
		if imp.ReorderDelay > 0 && imp.Reorder > 0 && w.rng.Float64() < imp.Reorder {
			w.Stats.Reordered.Inc()
			w.late(b, imp.Delay+time.Duration(w.rng.Int64N(int64(imp.ReorderDelay))))
			continue
		}
		if imp.Delay > 0 || imp.Jitter > 0 {
			d := imp.Delay
			if imp.Jitter > 0 {
				d += time.Duration(w.rng.Int64N(int64(imp.Jitter)))
			}
			w.delay(b, d)
			continue
		}
		w.enqueue(b)
	}
	w.mu.Unlock()
	return nil
}

// flying is a delayed frame and the time it arrives.
type flying struct {
	due time.Time
	b   []byte
}

// delay puts b in flight for d. Frames stay in order: one that would
// overtake its predecessor (jitter) waits for it instead, so delay and
// jitter never reorder (Reorder does, and late frames may be passed).
// w.mu is held.
func (w *Wire) delay(b []byte, d time.Duration) {
	now := w.clock.Now()
	due := now.Add(d)
	if due.Before(w.lastDue) {
		due = w.lastDue
	}
	w.lastDue = due
	w.fly(b, now, due)
}

// late puts b in flight for d outside the link's FIFO order: frames sent
// after it may land first. w.mu is held.
func (w *Wire) late(b []byte, d time.Duration) {
	now := w.clock.Now()
	w.fly(b, now, now.Add(d))
}

// fly inserts b into flight, which stays sorted by due time (frames due
// at the same time keep their order), and sets the timer if b is now
// first. w.mu is held.
func (w *Wire) fly(b []byte, now, due time.Time) {
	i := len(w.flight)
	for i > 0 && w.flight[i-1].due.After(due) {
		i--
	}
	w.flight = append(w.flight, flying{})
	copy(w.flight[i+1:], w.flight[i:])
	w.flight[i] = flying{due, b}
	if i > 0 {
		return // the timer is set for an earlier frame
	}
	if w.timer == nil {
		w.timer = w.clock.AfterFunc(due.Sub(now), w.land)
	} else {
		w.timer.Reset(due.Sub(now))
	}
}

// land queues every frame in flight that is due and sets the timer for the
// next.
func (w *Wire) land() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	now := w.clock.Now()
	i := 0
	for ; i < len(w.flight) && !w.flight[i].due.After(now); i++ {
		w.enqueue(w.flight[i].b)
		w.flight[i].b = nil
	}
	n := copy(w.flight, w.flight[i:])
	w.flight = w.flight[:n]
	if n > 0 {
		w.timer.Reset(w.flight[0].due.Sub(now))
	}
}

// enqueue appends b to the queue, applying reordering. w.mu is held.
func (w *Wire) enqueue(b []byte) {
	if w.held == nil && w.imp.Reorder > 0 && w.imp.ReorderDelay == 0 && w.rng.Float64() < w.imp.Reorder {
		// Hold b back: the next frame overtakes it, or the delivery
		// goroutine releases it when it runs out of other work.
		w.held = b
		w.Stats.Reordered.Inc()
		w.wake()
		return
	}
	w.push(b)
	if w.held != nil {
		w.push(w.held)
		w.held = nil
	}
	w.wake()
}

// wake signals the delivery goroutine if it sleeps. w.mu is held.
func (w *Wire) wake() {
	if w.waiting {
		w.cond.Signal()
	}
}

func (w *Wire) push(b []byte) {
	if len(w.queue) >= w.max {
		w.Stats.QueueDrops.Inc()
		w.release(b)
		return
	}
	w.queue = append(w.queue, b)
}

func (w *Wire) alloc(n int) []byte {
	list, size := &w.free, smallFrame
	if n > smallFrame {
		list, size = &w.large, largeFrame
	}
	if k := len(*list); k > 0 {
		b := (*list)[k-1]
		*list = (*list)[:k-1]
		return b[:n]
	}
	return make([]byte, n, size)
}

// release recycles b, keeping at most a queue's worth of each size.
func (w *Wire) release(b []byte) {
	switch {
	case cap(b) == smallFrame && len(w.free) < w.max:
		w.free = append(w.free, b)
	case cap(b) == largeFrame && len(w.large) < maxLargeFree:
		w.large = append(w.large, b)
	}
}

// run is the delivery goroutine. It takes the whole queue at once and
// delivers it without the lock, so a busy wire costs two lock operations
// per batch rather than per frame.
func (w *Wire) run() {
	defer close(w.done)
	w.mu.Lock()
	for {
		for !w.closed && len(w.queue) == 0 && w.held == nil {
			w.waiting = true
			w.cond.Wait()
			w.waiting = false
		}
		if w.closed {
			w.mu.Unlock()
			return
		}
		batch := w.queue
		if len(batch) == 0 {
			// Nothing overtook the held frame: let it go rather than
			// stall the wire.
			batch = append(batch, w.held)
			w.held = nil
		}
		w.queue = w.spare[:0]
		w.busy = true
		d := w.d
		w.mu.Unlock()
		for _, b := range batch {
			if d != nil {
				d.DeliverFrame(b)
				w.Stats.Delivered.Inc()
			}
		}
		w.mu.Lock()
		w.busy = false
		for i, b := range batch {
			w.release(b)
			batch[i] = nil
		}
		w.spare = batch[:0]
	}
}

// Idle reports whether the wire has nothing queued, held, delayed or being
// delivered.
func (w *Wire) Idle() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.queue) == 0 && w.held == nil && len(w.flight) == 0 && !w.busy
}
