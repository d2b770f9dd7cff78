package fs

import (
	"container/list"
	"sync"
)

// A buf is one cached block. Its mutex is a sleep lock held by whoever
// reads or changes data; ref and pinned are guarded by the cache lock.
type buf struct {
	mu      sync.Mutex
	blockno uint64
	valid   bool // data holds the block's contents
	data    []byte

	ref    int           // holders between get and release
	pinned bool          // in the running transaction: may not be evicted
	elem   *list.Element // place in the free list when ref == 0 && !pinned
}

// cache is a bounded buffer cache with least-recently-used replacement.
// Only buffers nobody holds and the journal has not pinned can be evicted,
// and they are always clean: every change goes through the journal, which
// pins a buffer until its block is installed in place.
type cache struct {
	dev          BlockDevice
	cap          int
	mu           sync.Mutex
	cond         sync.Cond       // signalled when a buffer becomes evictable
	bufs         map[uint64]*buf // every cached block
	free         list.List       // evictable buffers, most recently used first
	hits, misses uint64          // statistics, under mu
	// Misses read by getAhead, and the blocks they read beyond the one
	// asked for; under mu.
	readAheads, readAheadBlocks uint64
}

func newCache(dev BlockDevice, capacity int) *cache {
	c := &cache{dev: dev, cap: capacity, bufs: make(map[uint64]*buf)}
	c.cond.L = &c.mu
	return c
}

// lookup returns a held (ref'd, not locked) buffer for block n, evicting
// the least recently used one if the cache is full. It waits if every
// buffer is in use.
func (c *cache) lookup(n uint64) *buf {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if b, ok := c.bufs[n]; ok {
			c.hits++
			if b.elem != nil {
				c.free.Remove(b.elem)
				b.elem = nil
			}
			b.ref++
			return b
		}
		if b := c.take(n); b != nil {
			return b
		}
		c.cond.Wait()
	}
}

// take makes a held buffer for block n, which is not cached: a new one if
// the cache is not full, else the least recently used free one. It
// returns nil if every buffer is busy. Called with c.mu held.
func (c *cache) take(n uint64) *buf {
	var b *buf
	if len(c.bufs) < c.cap {
		b = &buf{data: make([]byte, BlockSize)}
	} else if e := c.free.Back(); e != nil {
		b = e.Value.(*buf)
		c.free.Remove(e)
		b.elem = nil
		delete(c.bufs, b.blockno)
	} else {
		return nil
	}
	c.misses++
	b.blockno, b.valid, b.ref = n, false, 1
	c.bufs[n] = b
	return b
}

// get returns block n locked, reading it from the device if needed.
func (c *cache) get(n uint64) (*buf, error) {
	b := c.lookup(n)
	b.mu.Lock()
	if !b.valid {
		if err := c.dev.ReadBlock(n, b.data); err != nil {
			c.release(b)
			return nil, ioError("read", n, err)
		}
		b.valid = true
	}
	return b, nil
}

// getAhead is get for a block read in sequence: on a miss it also reads
// up to more of the blocks after n that are not cached, in the same
// device request (readRun), stopping at the first that is. It takes only
// buffers it can have at once, so it never waits for one while holding
// others.
func (c *cache) getAhead(n uint64, more int) (*buf, error) {
	b := c.lookup(n)
	b.mu.Lock()
	if b.valid {
		return b, nil
	}
	run := []*buf{b}
	for i := 1; i <= more; i++ {
		x := c.claim(n + uint64(i))
		if x == nil {
			break
		}
		run = append(run, x)
	}
	data := make([][]byte, len(run))
	for i, x := range run {
		data[i] = x.data
	}
	err := readRun(c.dev, n, data)
	for i, x := range run {
		x.valid = err == nil
		if i > 0 {
			c.release(x)
		}
	}
	if err != nil {
		c.release(b)
		return nil, ioError("read", n, err)
	}
	c.mu.Lock()
	c.readAheads++
	c.readAheadBlocks += uint64(len(run) - 1)
	c.mu.Unlock()
	return b, nil
}

// peek returns block n locked if it is cached, valid and nobody holds its
// lock; otherwise nil. It never waits.
func (c *cache) peek(n uint64) *buf {
	c.mu.Lock()
	b, ok := c.bufs[n]
	if !ok || !b.mu.TryLock() {
		c.mu.Unlock()
		return nil
	}
	if !b.valid { // being read, or a failed read
		b.mu.Unlock()
		c.mu.Unlock()
		return nil
	}
	if b.elem != nil {
		c.free.Remove(b.elem)
		b.elem = nil
	}
	b.ref++
	c.hits++
	c.mu.Unlock()
	return b
}

// cached reports whether block n is in the cache (it may be gone by the
// time the caller acts on it).
func (c *cache) cached(n uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.bufs[n]
	return ok
}

// claim returns a new buffer for block n, held and locked, if n is not
// cached and a buffer is free at once; otherwise nil.
func (c *cache) claim(n uint64) *buf {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.bufs[n]; ok {
		return nil
	}
	b := c.take(n)
	if b == nil {
		return nil
	}
	// Nobody holds a buffer that was free or new, so this never waits
	// (the one place a buffer lock is taken under the cache lock).
	b.mu.Lock()
	return b
}

// getZero returns block n locked and zeroed without reading it: for a
// block just allocated, whose old contents do not matter.
func (c *cache) getZero(n uint64) *buf {
	b := c.lookup(n)
	b.mu.Lock()
	clear(b.data)
	b.valid = true
	return b
}

// release unlocks b and drops the caller's hold.
func (c *cache) release(b *buf) {
	b.mu.Unlock()
	c.mu.Lock()
	b.ref--
	c.makeFree(b)
	c.mu.Unlock()
}

// makeFree puts b on the free list if nothing keeps it. Called with c.mu.
func (c *cache) makeFree(b *buf) {
	if b.ref == 0 && !b.pinned && b.elem == nil {
		if !b.valid {
			// A failed read: forget the block rather than cache garbage.
			delete(c.bufs, b.blockno)
		} else {
			b.elem = c.free.PushFront(b)
		}
		c.cond.Signal()
	}
}

// pin keeps b in the cache until unpin; the journal pins what it logs.
func (c *cache) pin(b *buf) {
	c.mu.Lock()
	b.pinned = true
	c.mu.Unlock()
}

func (c *cache) unpin(b *buf) {
	c.mu.Lock()
	b.pinned = false
	c.makeFree(b)
	c.mu.Unlock()
}

// stats returns the cache's counters.
func (c *cache) stats(s *Stats) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s.CacheHits, s.CacheMisses = c.hits, c.misses
	s.CacheBlocks, s.CacheEvictable = uint64(len(c.bufs)), uint64(c.free.Len())
	s.ReadAheads, s.ReadAheadBlocks = c.readAheads, c.readAheadBlocks
}

// drop forgets every evictable buffer, as Linux's drop_caches does the
// page cache, and returns how many it dropped.  They are clean (see
// cache), so nothing is lost; their memory is garbage for the collector.
// Held and pinned buffers stay.
func (c *cache) drop() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for e := c.free.Front(); e != nil; e = c.free.Front() {
		b := c.free.Remove(e).(*buf)
		b.elem = nil
		delete(c.bufs, b.blockno)
		n++
	}
	if len(c.bufs) == 0 {
		// A Go map keeps its buckets after deletes; a new one gives the
		// memory of a full cache's index back too.
		c.bufs = make(map[uint64]*buf)
	}
	return n
}
