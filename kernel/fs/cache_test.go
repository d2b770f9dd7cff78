package fs

import (
	"math/rand"
	"sync"
	"testing"
)

// TestCacheLRU: the least recently released buffer is evicted first, and
// pinned buffers never are.
func TestCacheLRU(t *testing.T) {
	dev := newMemDev(100)
	c := newCache(dev, 3)
	use := func(n uint64) {
		b, err := c.get(n)
		if err != nil {
			t.Fatal(err)
		}
		c.release(b)
	}
	use(1)
	use(2)
	use(3)
	use(1) // 2 is now the least recently used
	use(4)
	if _, ok := c.bufs[2]; ok {
		t.Error("block 2 still cached; LRU should have evicted it")
	}
	for _, n := range []uint64{1, 3, 4} {
		if _, ok := c.bufs[n]; !ok {
			t.Errorf("block %d evicted", n)
		}
	}
	b, _ := c.get(3)
	c.pin(b)
	c.release(b)
	use(5)
	use(6)
	use(7)
	if _, ok := c.bufs[3]; !ok {
		t.Error("pinned block 3 was evicted")
	}
	c.unpin(b)
}

// TestCacheDrop: drop forgets every evictable buffer and keeps held and
// pinned ones; a dropped block reads back from the device.
func TestCacheDrop(t *testing.T) {
	dev := newMemDev(16)
	want := make([]byte, BlockSize)
	want[0] = 7
	dev.WriteBlock(5, want)
	c := newCache(dev, 8)
	for n := uint64(1); n <= 6; n++ {
		b, err := c.get(n)
		if err != nil {
			t.Fatal(err)
		}
		c.release(b)
	}
	held, _ := c.get(1)
	pinned, _ := c.get(2)
	c.pin(pinned)
	c.release(pinned)
	if n := c.drop(); n != 4 {
		t.Errorf("dropped %d, want 4 (blocks 3-6)", n)
	}
	var s Stats
	if c.stats(&s); s.CacheBlocks != 2 || s.CacheEvictable != 0 {
		t.Errorf("after drop: %d blocks, %d evictable; want 2, 0", s.CacheBlocks, s.CacheEvictable)
	}
	b, err := c.get(5)
	if err != nil || b.data[0] != 7 {
		t.Errorf("block 5 after drop: %v, first byte %d", err, b.data[0])
	}
	c.release(b)
	c.release(held)
	c.unpin(pinned)
	if n := c.drop(); n != 3 || len(c.bufs) != 0 {
		t.Errorf("second drop: %d dropped, %d left; want 3, 0", n, len(c.bufs))
	}
}

// TestCacheConcurrent: many goroutines on a small cache never exceed its
// bound and always see each block's own contents.
func TestCacheConcurrent(t *testing.T) {
	dev := newMemDev(64)
	for n := uint64(0); n < 64; n++ {
		b := make([]byte, BlockSize)
		b[0] = byte(n)
		dev.WriteBlock(n, b)
	}
	c := newCache(dev, 8)
	var mu sync.Mutex // memDev is not safe for concurrent use
	c.dev = lockedDev{dev, &mu}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(g)))
			for i := 0; i < 2000; i++ {
				n := uint64(rng.Intn(64))
				b, err := c.get(n)
				if err != nil {
					t.Error(err)
					return
				}
				if b.data[0] != byte(n) {
					t.Errorf("block %d holds %d", n, b.data[0])
				}
				c.release(b)
			}
		}()
	}
	wg.Wait()
	if len(c.bufs) > 8 {
		t.Errorf("cache holds %d buffers, bound 8", len(c.bufs))
	}
}

type lockedDev struct {
	*memDev
	mu *sync.Mutex
}

func (d lockedDev) ReadBlock(n uint64, b []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.memDev.ReadBlock(n, b)
}

// TestCacheSizes: stats count the cached blocks and, of them, the ones
// that could be evicted now (not held, not pinned), which /proc/meminfo
// reports as Cached and as reclaimable.
func TestCacheSizes(t *testing.T) {
	c := newCache(newMemDev(100), 8)
	var held []*buf
	for n := range uint64(5) {
		b, err := c.get(n)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, b)
	}
	c.pin(held[4])
	for _, b := range held[:3] {
		c.release(b)
	}
	c.release(held[4]) // pinned: stays unevictable
	var s Stats
	if c.stats(&s); s.CacheBlocks != 5 || s.CacheEvictable != 3 {
		t.Errorf("stats: %d blocks, %d evictable; want 5, 3", s.CacheBlocks, s.CacheEvictable)
	}
}

// runDev is a memDev that also reads runs, counting requests.
type runDev struct {
	*memDev
	requests int
}

func (d *runDev) ReadBlock(n uint64, b []byte) error {
	d.requests++
	return d.memDev.ReadBlock(n, b)
}

func (d *runDev) ReadBlocks(n uint64, bufs [][]byte) error {
	d.requests++
	for i, b := range bufs {
		d.memDev.ReadBlock(n+uint64(i), b)
	}
	return nil
}

func (d *runDev) WriteBlocks(n uint64, bufs [][]byte) error {
	for i, b := range bufs {
		d.memDev.WriteBlock(n+uint64(i), b)
	}
	return nil
}

// TestGetAhead: a miss reads the blocks after it in the same request, up
// to the first one cached, each with its own contents; with every other
// buffer held it reads the one block alone rather than wait.
func TestGetAhead(t *testing.T) {
	dev := &runDev{memDev: newMemDev(100)}
	for n := uint64(0); n < 100; n++ {
		b := make([]byte, BlockSize)
		b[0] = byte(n)
		dev.memDev.WriteBlock(n, b)
	}
	c := newCache(dev, 16)
	b, _ := c.get(15) // cached: the run from 10 stops before it
	c.release(b)
	dev.requests = 0
	b, err := c.getAhead(10, 8)
	if err != nil {
		t.Fatal(err)
	}
	c.release(b)
	if dev.requests != 1 {
		t.Errorf("%d requests, want 1", dev.requests)
	}
	for n := uint64(10); n < 16; n++ {
		b, _ := c.get(n)
		if !b.valid || b.data[0] != byte(n) {
			t.Errorf("block %d: valid %v, holds %d", n, b.valid, b.data[0])
		}
		c.release(b)
	}
	if dev.requests != 1 {
		t.Errorf("blocks 11..14 were not read ahead: %d requests", dev.requests)
	}
	var s Stats
	if c.stats(&s); s.ReadAheads != 1 || s.ReadAheadBlocks != 4 {
		t.Errorf("stats: %d read-aheads of %d blocks; want 1 of 4", s.ReadAheads, s.ReadAheadBlocks)
	}

	// Hold all 16 buffers but one: the read-ahead finds none free and
	// reads block 50 alone.
	var held []*buf
	for n := uint64(30); n < 45; n++ {
		b, _ := c.get(n)
		held = append(held, b)
	}
	b, err = c.getAhead(50, 8)
	if err != nil || b.data[0] != 50 {
		t.Fatalf("getAhead(50) with the cache busy: %v", err)
	}
	c.release(b)
	for _, b := range held {
		c.release(b)
	}
	if c.cached(51) {
		t.Error("read ahead into a buffer it had to wait for")
	}
}
