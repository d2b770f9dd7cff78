package selftest

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"unsafe"
)

// testMap fills a map with 1,000,000 entries, reads them back, deletes
// half and checks the rest: the map grows through many rehashes.
func testMap() error {
	const n = 1_000_000
	m := make(map[int]int)
	for i := 0; i < n; i++ {
		m[i] = i * 7
	}
	if len(m) != n {
		return fmt.Errorf("len = %d, want %d", len(m), n)
	}
	for i := 0; i < n; i += 2 {
		delete(m, i)
	}
	for i := 0; i < n; i++ {
		v, ok := m[i]
		if ok != (i%2 == 1) || (ok && v != i*7) {
			return fmt.Errorf("m[%d] = %d, %v after deleting the evens", i, v, ok)
		}
	}
	if len(m) != n/2 {
		return fmt.Errorf("len = %d after deletes, want %d", len(m), n/2)
	}
	return nil
}

// testAlloc allocates at least 1 GiB in buffers of several sizes, keeping a
// few alive so that collections have work, and returning memory to the OS
// now and then with debug.FreeOSMemory (MADV_DONTNEED). Every new buffer
// must read as zeros (the runtime trusts fresh and released pages to be
// zero: a stale byte means the machine layer leaked old contents) and every
// kept buffer must still hold its pattern when it is dropped. At least 20
// collections must have run.
func testAlloc() error {
	const total, keep, freeEvery = 1 << 30, 8, 64
	sizes := []int{16 << 10, 256 << 10, 1 << 20, 3 << 20, 64 << 10, 4<<20 + 8}
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	kept := make([][]byte, keep)
	allocated := 0
	for i := 0; allocated < total; i++ {
		if old := kept[i%keep]; old != nil {
			if off := checkPattern(old, uint64(i-keep)); off >= 0 {
				return fmt.Errorf("buffer %d (%d bytes) corrupted at byte %d", i-keep, len(old), off)
			}
		}
		b := make([]byte, sizes[i%len(sizes)])
		if off := checkPattern(b, zeroSeed); off >= 0 {
			return fmt.Errorf("new buffer %d (%d bytes) has a stale byte at %d", i, len(b), off)
		}
		fillPattern(b, uint64(i))
		kept[i%keep] = b
		allocated += len(b)
		if i%freeEvery == freeEvery-1 {
			debug.FreeOSMemory()
		}
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if gcs := after.NumGC - before.NumGC; gcs < 20 {
		return fmt.Errorf("only %d GCs while allocating %d MiB", gcs, allocated>>20)
	}
	return nil
}

// zeroSeed selects the all-zero pattern in checkPattern.
const zeroSeed = ^uint64(0)

// words views b (whose length is a multiple of 8) as 64-bit words, so the
// checks run at word speed: they touch over 2 GiB under emulation.
func words(b []byte) []uint64 {
	return unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/8)
}

func patternWord(seed uint64, j int) uint64 {
	if seed == zeroSeed {
		return 0
	}
	return seed<<40 ^ uint64(j)*0x9E3779B97F4A7C15 | 1
}

func fillPattern(b []byte, seed uint64) {
	w := words(b)
	for j := range w {
		w[j] = patternWord(seed, j)
	}
}

// checkPattern returns the offset of the first byte of b that differs from
// the pattern for seed, or -1.
func checkPattern(b []byte, seed uint64) int {
	for j, w := range words(b) {
		if w != patternWord(seed, j) {
			return 8 * j
		}
	}
	return -1
}

// testStack recurses on a fresh goroutine until its stack is past 64 MiB:
// the runtime doubles and copies the stack, through the machine layer's
// mmap, many times on the way.
func testStack() error {
	const want = 64 << 20
	prev := debug.SetMaxStack(512 << 20)
	defer debug.SetMaxStack(prev)
	res := make(chan uint64, 1)
	go func() {
		res <- recurse(want/frameBytes + 1000)
	}()
	if got := <-res; got < want {
		return fmt.Errorf("stack in use at the bottom was %d MiB, want over %d MiB", got>>20, want>>20)
	}
	return nil
}

// frameBytes is at least the size of one recurse frame.
const frameBytes = 1024

// recurse descends n frames of at least frameBytes each and returns the
// runtime's count of stack bytes in use at the bottom.
//
//go:noinline
func recurse(n int) uint64 {
	var pad [frameBytes]byte
	pad[n%frameBytes] = byte(n)
	if n == 0 {
		return stackInuse() + uint64(pad[0])
	}
	return recurse(n-1) + uint64(pad[(n+1)%frameBytes])
}

// stackInuse is apart from recurse so that the large MemStats is not in
// every one of its frames.
//
//go:noinline
func stackInuse() uint64 {
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	return s.StackInuse
}
