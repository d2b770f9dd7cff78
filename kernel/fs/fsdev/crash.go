package fsdev

import (
	"math/rand"
	"sync"
)

// Event is one recorded device request: a block write, or a Flush barrier.
type Event struct {
	Flush bool
	Block uint64
	Data  []byte // a private copy of the written block
}

// Recorder passes every request to an inner device and records the writes
// and flushes in the order they reached it. Replaying a prefix of the
// record onto a copy of the starting image gives the disk as it would be had
// power failed at that point: this is how the crash tests try every k
// without rerunning a (non-deterministic, concurrent) workload k times.
type Recorder struct {
	inner  Device
	mu     sync.Mutex
	events []Event
	writes int
}

// NewRecorder wraps inner.
func NewRecorder(inner Device) *Recorder { return &Recorder{inner: inner} }

// NumBlocks returns the inner device's size.
func (r *Recorder) NumBlocks() uint64 { return r.inner.NumBlocks() }

// ReadBlock reads from the inner device.
func (r *Recorder) ReadBlock(n uint64, b []byte) error { return r.inner.ReadBlock(n, b) }

// WriteBlock records the write and passes it on.
func (r *Recorder) WriteBlock(n uint64, b []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.inner.WriteBlock(n, b); err != nil {
		return err
	}
	r.events = append(r.events, Event{Block: n, Data: append([]byte(nil), b...)})
	r.writes++
	return nil
}

// ReadBlocks reads a run from the inner device, block by block.
func (r *Recorder) ReadBlocks(n uint64, bufs [][]byte) error {
	for i, b := range bufs {
		if err := r.inner.ReadBlock(n+uint64(i), b); err != nil {
			return err
		}
	}
	return nil
}

// WriteBlocks records a run as the separate writes it is (a crash may
// keep any of them) and passes them on.
func (r *Recorder) WriteBlocks(n uint64, bufs [][]byte) error {
	for i, b := range bufs {
		if err := r.WriteBlock(n+uint64(i), b); err != nil {
			return err
		}
	}
	return nil
}

// Flush records a barrier and passes it on.
func (r *Recorder) Flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, Event{Flush: true})
	return r.inner.Flush()
}

// Writes returns the number of writes recorded so far. Taken right after
// an operation returns, it says which crash points must show that operation.
func (r *Recorder) Writes() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.writes
}

// Events returns the record.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// CrashImage returns base (not modified) plus what survives a power
// failure just before write number k (0-based), that is, after the first k
// writes were issued. With rng nil every one of those writes persists, in
// order. With rng set the device is modelled as a write-back cache: writes
// before the last Flush preceding the crash persist; each later one persists
// or not at random, because a disk may reorder writes between barriers.
func CrashImage(base *Mem, events []Event, k int, rng *rand.Rand) *Mem {
	img := base.Clone()
	lastFlush := -1 // index in events of the last flush before write k
	writes, end := 0, len(events)
	for i, e := range events {
		if e.Flush {
			lastFlush = i
			continue
		}
		if writes == k {
			end = i
			break
		}
		writes++
	}
	for i, e := range events[:end] {
		if e.Flush {
			continue
		}
		if rng != nil && i > lastFlush && rng.Intn(2) == 0 {
			continue
		}
		img.WriteBlock(e.Block, e.Data)
	}
	return img
}
