package virtio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"
)

// A split virtqueue (virtio 1.x section 2.7) lives in one DMA allocation:
//
//	descriptor table  16 bytes per entry: addr u64, len u32, flags u16, next u16
//	available ring    flags u16, idx u16, ring[size] u16, used_event u16
//	used ring         flags u16, idx u16, ring[size] {id u32, len u32}, avail_event u16
//
// The driver owns the descriptor table and the available ring; the device
// writes the used ring. The available ring's flags and idx are published
// together with one 32-bit atomic store (both are the driver's), so the
// device never sees idx ahead of the descriptors it covers; the used
// ring's idx is read the same way.
const (
	descSize      = 16
	descFNext     = 1 // the chain continues at next
	descFWrite    = 2 // the device writes this buffer
	usedFNoNotify = 1 // the device asks not to be notified
	availFNoIntr  = 1 // the driver asks not to be interrupted
)

// ErrFull means the queue has fewer free descriptors than the chain needs.
var ErrFull = errors.New("virtio: queue full")

// A Buf is one segment of a descriptor chain: Len bytes at physical
// address Phys, written by the device if Write is set, else read by it.
type Buf struct {
	Phys  uint64
	Len   uint32
	Write bool
}

// Used is one completed chain: its head descriptor and how many bytes the
// device wrote into its device-writable buffers.
type Used struct {
	Head uint16
	Len  uint32
}

// A Queue is one split virtqueue. Add and Reap are safe for concurrent use.
type Queue struct {
	Index uint16 // queue number within the device
	size  uint16
	mem   DMA
	avail int // offsets of the rings in mem
	used  int
	kick  func() // tells the device that the available ring moved

	mu       sync.Mutex
	freeHead uint16
	nfree    int
	next     []uint16 // the free list and chain links, kept apart from the device's memory
	chainLen []uint16 // descriptors in the chain starting here; 0 if not outstanding
	availIdx uint16
	flags    uint16 // the available ring's flags
	lastUsed uint16

	// BadUsed counts used entries that named no outstanding chain: a
	// device bug, dropped rather than trusted.
	BadUsed atomic.Uint64
}

// QueueBytes returns the size of the DMA memory a queue of size entries
// needs, with the used ring on its own page.
func QueueBytes(size int) int {
	return usedOffset(size) + 6 + 8*size
}

func usedOffset(size int) int { return (descSize*size + 6 + 2*size + 4095) &^ 4095 }

// NewQueue lays a queue of size entries (a power of two, at most 32768)
// out in mem, which must be zeroed, page-aligned and QueueBytes(size)
// long. kick notifies the device.
func NewQueue(index uint16, size int, mem DMA, kick func()) (*Queue, error) {
	if size <= 0 || size > 32768 || size&(size-1) != 0 {
		return nil, fmt.Errorf("virtio: queue size %d is not a power of two up to 32768", size)
	}
	if len(mem.Mem) < QueueBytes(size) {
		return nil, fmt.Errorf("virtio: %d bytes of ring memory, need %d", len(mem.Mem), QueueBytes(size))
	}
	q := &Queue{Index: index, size: uint16(size), mem: mem, avail: descSize * size,
		used: usedOffset(size), kick: kick, nfree: size,
		next: make([]uint16, size), chainLen: make([]uint16, size)}
	for i := range q.next {
		q.next[i] = uint16(i + 1)
	}
	return q, nil
}

// Size returns the number of descriptors.
func (q *Queue) Size() int { return int(q.size) }

// Free returns the number of free descriptors.
func (q *Queue) Free() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.nfree
}

// Addresses returns the physical addresses of the descriptor table, the
// available (driver) ring and the used (device) ring.
func (q *Queue) Addresses() (desc, driver, device uint64) {
	return q.mem.Phys, q.mem.Phys + uint64(q.avail), q.mem.Phys + uint64(q.used)
}

// Add puts a chain of buffers on the available ring and returns its head
// descriptor, which Reap reports when the device is done with it. The
// device is not notified: call Kick after adding a batch.
func (q *Queue) Add(bufs ...Buf) (uint16, error) {
	if len(bufs) == 0 {
		return 0, errors.New("virtio: empty chain")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(bufs) > q.nfree {
		return 0, ErrFull
	}
	head := q.freeHead
	d := head
	for i, b := range bufs {
		flags := uint16(0)
		if b.Write {
			flags |= descFWrite
		}
		if i < len(bufs)-1 {
			flags |= descFNext
		}
		e := q.mem.Mem[int(d)*descSize:]
		binary.LittleEndian.PutUint64(e[0:], b.Phys)
		binary.LittleEndian.PutUint32(e[8:], b.Len)
		binary.LittleEndian.PutUint16(e[12:], flags)
		binary.LittleEndian.PutUint16(e[14:], q.next[d])
		if i < len(bufs)-1 {
			d = q.next[d]
		}
	}
	q.freeHead = q.next[d]
	q.nfree -= len(bufs)
	q.chainLen[head] = uint16(len(bufs))

	slot := q.avail + 4 + 2*int(q.availIdx&(q.size-1))
	binary.LittleEndian.PutUint16(q.mem.Mem[slot:], head)
	q.availIdx++
	// The descriptors and the ring entry are written; now the index. An
	// atomic store is also a full barrier on amd64, which orders it before
	// Kick's read of the used ring's flags.
	atomic.StoreUint32(q.word(q.avail), uint32(q.availIdx)<<16|uint32(q.flags))
	return head, nil
}

// SetInterrupts asks the device to interrupt, or not, when it uses
// buffers of this queue. It is a hint (the device may interrupt anyway):
// a transmit queue whose completions are reclaimed on the next send
// needs none.
func (q *Queue) SetInterrupts(on bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.flags = 0
	if !on {
		q.flags = availFNoIntr
	}
	atomic.StoreUint32(q.word(q.avail), uint32(q.availIdx)<<16|uint32(q.flags))
}

// Kick notifies the device of new available buffers, unless it has said
// (through the used ring's flags) that it is already looking.
func (q *Queue) Kick() {
	if atomic.LoadUint32(q.word(q.used))&usedFNoNotify == 0 {
		q.kick()
	}
}

// Reap appends to dst every chain the device has completed since the last
// call, returns their descriptors to the free list and returns dst.
func (q *Queue) Reap(dst []Used) []Used {
	q.mu.Lock()
	defer q.mu.Unlock()
	idx := uint16(atomic.LoadUint32(q.word(q.used)) >> 16)
	for ; q.lastUsed != idx; q.lastUsed++ {
		e := q.mem.Mem[q.used+4+8*int(q.lastUsed&(q.size-1)):]
		id := binary.LittleEndian.Uint32(e[0:])
		n := binary.LittleEndian.Uint32(e[4:])
		if id >= uint32(q.size) || q.chainLen[id] == 0 {
			q.BadUsed.Add(1)
			continue
		}
		head := uint16(id)
		last := head
		for i := 1; i < int(q.chainLen[head]); i++ {
			last = q.next[last]
		}
		q.next[last] = q.freeHead
		q.freeHead = head
		q.nfree += int(q.chainLen[head])
		q.chainLen[head] = 0
		dst = append(dst, Used{Head: head, Len: n})
	}
	return dst
}

// Pending reports whether the device has completed chains Reap has not
// yet taken.
func (q *Queue) Pending() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return uint16(atomic.LoadUint32(q.word(q.used))>>16) != q.lastUsed
}

// word is the 32-bit word at off in the ring memory (4-byte aligned: the
// memory is page-aligned and both rings start on a multiple of 4).
func (q *Queue) word(off int) *uint32 {
	return (*uint32)(unsafe.Pointer(&q.mem.Mem[off]))
}
