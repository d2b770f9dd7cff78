package virtio

import (
	"encoding/binary"
	"errors"
	"math/rand"
	"sync/atomic"
	"testing"
	"unsafe"
)

// ringDevice is the device side of one queue, read straight from the ring
// memory as a device would: it pops available chains and pushes used
// entries in whatever order a test asks.
type ringDevice struct {
	t         *testing.T
	q         *Queue
	lastAvail uint16
	usedIdx   uint16
	kicks     int
}

func newRing(t *testing.T, size int) (*Queue, *ringDevice) {
	t.Helper()
	mem := make([]byte, QueueBytes(size)+8)
	dev := &ringDevice{t: t}
	q, err := NewQueue(0, size, DMA{Mem: mem, Phys: 0x100000}, func() { dev.kicks++ })
	if err != nil {
		t.Fatal(err)
	}
	dev.q = q
	return q, dev
}

func (d *ringDevice) word(off int) *uint32 { return (*uint32)(unsafe.Pointer(&d.q.mem.Mem[off])) }

// pop returns the next available chain, or ok=false if there is none.
func (d *ringDevice) pop() (head uint16, chain []Buf, ok bool) {
	size := uint16(d.q.size)
	idx := uint16(atomic.LoadUint32(d.word(d.q.avail)) >> 16)
	if idx == d.lastAvail {
		return 0, nil, false
	}
	head = binary.LittleEndian.Uint16(d.q.mem.Mem[d.q.avail+4+2*int(d.lastAvail%size):])
	d.lastAvail++
	for i, n := head, 0; ; n++ {
		if n > int(size) || i >= size {
			d.t.Fatalf("chain at %d loops or leaves the table", head)
		}
		e := d.q.mem.Mem[int(i)*descSize:]
		flags := binary.LittleEndian.Uint16(e[12:])
		chain = append(chain, Buf{Phys: binary.LittleEndian.Uint64(e), Len: binary.LittleEndian.Uint32(e[8:]), Write: flags&descFWrite != 0})
		if flags&descFNext == 0 {
			return head, chain, true
		}
		i = binary.LittleEndian.Uint16(e[14:])
	}
}

func (d *ringDevice) complete(head uint16, n uint32) {
	e := d.q.mem.Mem[d.q.used+4+8*int(d.usedIdx%uint16(d.q.size)):]
	binary.LittleEndian.PutUint32(e, uint32(head))
	binary.LittleEndian.PutUint32(e[4:], n)
	d.usedIdx++
	atomic.StoreUint32(d.word(d.q.used), uint32(d.usedIdx)<<16)
}

// chainOf makes a chain of n buffers whose addresses encode id and position.
func chainOf(id, n int) []Buf {
	c := make([]Buf, n)
	for i := range c {
		c[i] = Buf{Phys: uint64(id)<<16 | uint64(i)<<4, Len: uint32(id + i), Write: i == n-1}
	}
	return c
}

func sameChain(a, b []Buf) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestQueueWrap pushes far more chains than the ring holds, past the 16-bit
// index wrap, with chains of 1 to 4 descriptors, completed in random order
// in random batches; every chain must come back once with its length, and
// every descriptor must be free at the end.
func TestQueueWrap(t *testing.T) {
	const size, total = 16, 70000
	q, dev := newRing(t, size)
	rng := rand.New(rand.NewSource(1))
	want := map[uint16][]Buf{}  // outstanding: head -> chain given
	ids := map[uint16]int{}     // head -> id
	var inDevice []uint16       // popped, not completed
	done := make([]bool, total) // by id
	next, completed := 0, 0
	var used []Used
	for steps := 0; completed < total; steps++ {
		if steps > 20*total {
			t.Fatalf("no progress: %d of %d completed", completed, total)
		}
		// The driver adds what fits.
		for next < total {
			c := chainOf(next, 1+next%4)
			head, err := q.Add(c...)
			if errors.Is(err, ErrFull) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, dup := want[head]; dup {
				t.Fatalf("head %d handed out twice", head)
			}
			want[head], ids[head] = c, next
			next++
		}
		q.Kick()
		// The device takes everything and completes a random subset, in
		// random order.
		for {
			head, chain, ok := dev.pop()
			if !ok {
				break
			}
			if !sameChain(chain, want[head]) {
				t.Fatalf("device read chain %v at head %d, driver gave %v", chain, head, want[head])
			}
			inDevice = append(inDevice, head)
		}
		rng.Shuffle(len(inDevice), func(i, j int) { inDevice[i], inDevice[j] = inDevice[j], inDevice[i] })
		k := rng.Intn(len(inDevice) + 1)
		for _, h := range inDevice[:k] {
			dev.complete(h, uint32(ids[h])*3)
		}
		inDevice = inDevice[k:]
		used = q.Reap(used[:0])
		for _, u := range used {
			id, ok := ids[u.Head]
			if !ok || done[id] {
				t.Fatalf("reaped head %d not outstanding", u.Head)
			}
			if u.Len != uint32(id)*3 {
				t.Fatalf("head %d: len %d, want %d", u.Head, u.Len, id*3)
			}
			done[id] = true
			delete(want, u.Head)
			delete(ids, u.Head)
			completed++
		}
	}
	if q.Free() != size {
		t.Fatalf("%d descriptors free at the end, want %d", q.Free(), size)
	}
	if wrap := uint16(total % 65536); q.availIdx != wrap || dev.usedIdx != wrap {
		t.Fatalf("indexes %d/%d, want %d (mod 2^16)", q.availIdx, dev.usedIdx, wrap)
	}
	if q.BadUsed.Load() != 0 {
		t.Fatalf("%d bad used entries", q.BadUsed.Load())
	}
}

// TestQueueFull checks the exact boundary: a chain that needs one more
// descriptor than is free is refused and nothing changes; reaping one chain
// makes room again.
func TestQueueFull(t *testing.T) {
	q, dev := newRing(t, 8)
	if _, err := q.Add(chainOf(1, 3)...); err != nil {
		t.Fatal(err)
	}
	h2, err := q.Add(chainOf(2, 5)...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Add(chainOf(3, 1)...); !errors.Is(err, ErrFull) {
		t.Fatalf("add to a full ring: %v", err)
	}
	if _, err := q.Add(); err == nil {
		t.Fatal("empty chain accepted")
	}
	if _, err := q.Add(chainOf(4, 9)...); !errors.Is(err, ErrFull) {
		t.Fatalf("chain longer than the ring: %v", err)
	}
	dev.pop()
	dev.pop()
	dev.complete(h2, 0) // the second chain first: out of order
	if got := q.Reap(nil); len(got) != 1 || got[0].Head != h2 {
		t.Fatalf("reaped %v", got)
	}
	if q.Free() != 5 {
		t.Fatalf("%d free after reaping 5 descriptors", q.Free())
	}
	h, err := q.Add(chainOf(5, 5)...)
	if err != nil {
		t.Fatal(err)
	}
	if _, c, _ := dev.pop(); !sameChain(c, chainOf(5, 5)) || h != h2 {
		t.Fatalf("reused chain %v at %d", c, h)
	}
}

// TestQueueBadUsed: used entries naming a descriptor that is not the head
// of an outstanding chain are counted and dropped, never freed twice.
func TestQueueBadUsed(t *testing.T) {
	q, dev := newRing(t, 8)
	h, _ := q.Add(chainOf(1, 2)...)
	dev.pop()
	dev.complete(h+1, 0) // the chain's second descriptor, not its head
	dev.complete(200, 0) // outside the table
	dev.complete(h, 7)
	dev.complete(h, 7) // twice
	got := q.Reap(nil)
	if len(got) != 1 || got[0] != (Used{h, 7}) {
		t.Fatalf("reaped %v", got)
	}
	if q.BadUsed.Load() != 3 || q.Free() != 8 {
		t.Fatalf("bad %d, free %d", q.BadUsed.Load(), q.Free())
	}
}

// TestQueueKick: the driver notifies unless the device set NO_NOTIFY.
func TestQueueKick(t *testing.T) {
	q, dev := newRing(t, 8)
	q.Add(chainOf(1, 1)...)
	q.Kick()
	atomic.StoreUint32(dev.word(q.used), usedFNoNotify)
	q.Kick()
	if dev.kicks != 1 {
		t.Fatalf("%d kicks, want 1", dev.kicks)
	}
}

// TestQueueInterruptFlag: the NO_INTERRUPT hint is published with the
// index and survives later Adds.
func TestQueueInterruptFlag(t *testing.T) {
	q, dev := newRing(t, 8)
	q.SetInterrupts(false)
	q.Add(chainOf(1, 1)...)
	if w := atomic.LoadUint32(dev.word(q.avail)); w != 1<<16|availFNoIntr {
		t.Fatalf("available ring word %#x", w)
	}
	q.SetInterrupts(true)
	if w := atomic.LoadUint32(dev.word(q.avail)); w != 1<<16 {
		t.Fatalf("available ring word %#x", w)
	}
}

func TestNewQueueSizes(t *testing.T) {
	for _, size := range []int{0, 3, 65536, -1} {
		if _, err := NewQueue(0, size, DMA{Mem: make([]byte, 1<<20)}, func() {}); err == nil {
			t.Errorf("size %d accepted", size)
		}
	}
	if _, err := NewQueue(0, 256, DMA{Mem: make([]byte, 4096)}, func() {}); err == nil {
		t.Error("short ring memory accepted")
	}
}
