package machine

import (
	"testing"
	"unsafe"
)

// The machine layer's logic runs on the host too: "physical memory" is a
// Go buffer, the direct-map offset is 0, and page tables live in it.  Only
// the privileged instructions (invlpg, port I/O, MSRs, CR3) cannot run here,
// so the tests stay away from the paths that execute them.

// fakeMachine resets the machine state over a fresh buffer of n bytes of
// "RAM" and returns it (the caller keeps it alive).
func fakeMachine(t *testing.T, n int) []byte {
	t.Helper()
	buf := make([]byte, n+pageSize)
	start := (uintptr(unsafe.Pointer(&buf[0])) + pageSize - 1) &^ (pageSize - 1)
	physOff = 0
	nranges, freeList, freeFrames, usedFrames = 0, 0, 0, 0
	frameRefs, refBase, refFrames = 0, 0, 0 // no sharing unless a test asks (initFrameRefs)
	addRange(uint64(start), uint64(start)+uint64(n))
	usedFrames = 0
	kernelRoot = allocZeroFrame()
	if kernelRoot == 0 {
		t.Fatal("no frame for the root table")
	}
	nvmas = 0
	threads = [maxThreads]thread{}
	hiThread = maxThreads // tests fill slots directly
	urgent = 0
	cur = 1
	threads[1] = thread{state: tRunnable, tid: 1, altFlags: ssDisable}
	nthreads = 1
	curFX = fxArea(1)
	resched = false
	tscStart, nsMult = rdtsc(), 1<<32 // 1 ns per TSC tick is fine for deadlines here
	return buf
}

func TestFrames(t *testing.T) {
	buf := fakeMachine(t, 16*pageSize)
	defer keep(buf)
	free := freeFrames
	if free != 15 { // one went to the root table
		t.Fatalf("free frames = %d, want 15", free)
	}
	seen := map[uintptr]bool{}
	for i := uint64(0); i < free; i++ {
		f := allocFrame()
		if f == 0 || f&(pageSize-1) != 0 || seen[f] {
			t.Fatalf("allocation %d: bad or repeated frame %#x", i, f)
		}
		seen[f] = true
	}
	if allocFrame() != 0 || freeFrames != 0 {
		t.Fatalf("allocator not empty after taking every frame")
	}
	for f := range seen {
		freeFrame(f)
	}
	if freeFrames != free || usedFrames != 1 {
		t.Fatalf("after freeing all: free %d used %d, want %d and 1", freeFrames, usedFrames, free)
	}
	if f := allocZeroFrame(); f == 0 || !seen[f] {
		t.Fatalf("freed frames are not reused")
	} else if b := unsafe.Slice((*byte)(ptr(f)), pageSize); b[0] != 0 || b[8] != 0 || b[pageSize-1] != 0 {
		t.Fatalf("allocZeroFrame returned a dirty frame")
	}
}

func TestAddFreeSkipsReserved(t *testing.T) {
	nranges, freeFrames, usedFrames = 0, 0, 0
	res := [2]reservedRange{{0x100000, 0x105c00}, {0x400000, 0x26a5000}}
	addFree(0x100000, 0x1ffe0000, &res)
	want := []struct{ next, end uintptr }{{0x106000, 0x400000}, {0x26a5000, 0x1ffe0000}}
	if nranges != len(want) {
		t.Fatalf("%d ranges, want %d", nranges, len(want))
	}
	for i, w := range want {
		if ranges[i].next != w.next || ranges[i].end != w.end {
			t.Errorf("range %d = %#x-%#x, want %#x-%#x", i, ranges[i].next, ranges[i].end, w.next, w.end)
		}
	}
}

func TestRegions(t *testing.T) {
	const rw, r = protRead | protWrite, protRead
	type op struct {
		insert     bool
		start, end uintptr
		prot       uint32
	}
	tests := []struct {
		name string
		ops  []op
		want []vma
	}{
		{"merge left", []op{{true, 0x1000, 0x3000, rw}, {true, 0x3000, 0x5000, rw}}, []vma{{0x1000, 0x5000, rw}}},
		{"merge both", []op{{true, 0x1000, 0x2000, rw}, {true, 0x3000, 0x4000, rw}, {true, 0x2000, 0x3000, rw}}, []vma{{0x1000, 0x4000, rw}}},
		{"no merge across prot", []op{{true, 0x1000, 0x2000, rw}, {true, 0x2000, 0x3000, r}}, []vma{{0x1000, 0x2000, rw}, {0x2000, 0x3000, r}}},
		{"split middle", []op{{true, 0x1000, 0x9000, rw}, {false, 0x3000, 0x5000, 0}}, []vma{{0x1000, 0x3000, rw}, {0x5000, 0x9000, rw}}},
		{"trim ends", []op{{true, 0x1000, 0x3000, rw}, {true, 0x5000, 0x8000, r}, {false, 0x2000, 0x6000, 0}}, []vma{{0x1000, 0x2000, rw}, {0x6000, 0x8000, r}}},
		{"remove all", []op{{true, 0x1000, 0x3000, rw}, {true, 0x5000, 0x8000, r}, {false, 0, 0x10000, 0}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nvmas = 0
			for _, o := range tt.ops {
				ok := removeVMAs(o.start, o.end)
				if o.insert {
					ok = insertVMA(o.start, o.end, o.prot)
				}
				if !ok {
					t.Fatalf("op %+v failed", o)
				}
			}
			got := vmas[:nvmas]
			if len(got) != len(tt.want) {
				t.Fatalf("regions %x, want %x", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("regions %x, want %x", got, tt.want)
				}
			}
		})
	}
}

func TestMmap(t *testing.T) {
	buf := fakeMachine(t, 64*pageSize)
	defer keep(buf)
	const anon = mapAnonymous | mapPrivate
	kernel := uintptr(0x400000)
	insertVMA(kernel, kernel+0x100000, vmaKernel|protRead|protWrite|protExec)

	a := sysMmap(0, 3*pageSize, protRead|protWrite, anon, -1)
	if a < mmapBase || a%pageSize != 0 {
		t.Fatalf("mmap without hint = %#x, want page-aligned at or above %#x", a, mmapBase)
	}
	b := sysMmap(0, pageSize, protNone(), anon, -1)
	if b != a+3*pageSize {
		t.Errorf("second mmap = %#x, want the next gap %#x", b, a+3*pageSize)
	}
	hint := uintptr(0xc000000000)
	if got := sysMmap(hint, 1<<20, protNone(), anon, -1); got != int64(hint) {
		t.Errorf("free hint not taken: %#x", got)
	}
	if got := sysMmap(hint, pageSize, protRead, anon, -1); got == int64(hint) {
		t.Errorf("busy hint taken without MAP_FIXED")
	}
	if got := sysMmap(hint, pageSize, protRead, anon|mapFixedNoReplace, -1); got != -17 {
		t.Errorf("MAP_FIXED_NOREPLACE over a region = %d, want -EEXIST", got)
	}
	if got := sysMmap(kernel, pageSize, protRead, anon|mapFixed, -1); got >= 0 {
		t.Errorf("MAP_FIXED over the kernel image succeeded")
	}
	if got := sysMmap(0, pageSize, protRead, mapPrivate, 3); got != -19 {
		t.Errorf("file mapping = %d, want -ENODEV", got)
	}
	if got := sysMunmap(kernel, pageSize); got >= 0 {
		t.Errorf("munmap of the kernel image succeeded")
	}

	// Demand paging: the first touch maps a zeroed frame, the second reuses it.
	page := uintptr(a) + pageSize
	free := freeFrames
	if !demandPage(page+12, true) {
		t.Fatal("write fault in a RW region refused")
	}
	if freeFrames >= free {
		t.Fatal("no frame taken for the faulting page")
	}
	pte := *(*uint64)(ptr(walk(kernelRoot, page, false)))
	if pte&ptePresent == 0 || pte&pteWrite == 0 {
		t.Fatalf("pte %#x: want present and writable", pte)
	}
	free = freeFrames
	if !touch(page, pageSize, true) || freeFrames != free {
		t.Fatal("touching a present page faulted again")
	}
	if demandPage(uintptr(b), false) {
		t.Error("read fault in a PROT_NONE region allowed")
	}
	if demandPage(0x10, false) {
		t.Error("fault on page 0 allowed")
	}
	if demandPage(uintptr(a)+3*pageSize+16*pageSize, false) {
		t.Error("fault outside every region allowed")
	}
}

func protNone() uint32 { return 0 }

func keep(b []byte) { _ = b[0] }

func TestDaysFromCivil(t *testing.T) {
	tests := []struct{ y, m, d, want int64 }{
		{1970, 1, 1, 0},
		{2000, 3, 1, 11017},
		{2024, 2, 29, 19782},
		{2026, 11, 21, 20778},
	}
	for _, tt := range tests {
		if got := daysFromCivil(tt.y, tt.m, tt.d); got != tt.want {
			t.Errorf("daysFromCivil(%d-%d-%d) = %d, want %d", tt.y, tt.m, tt.d, got, tt.want)
		}
	}
}

func TestExitValue(t *testing.T) {
	tests := []struct{ status, want uint32 }{
		{0, 0}, {1, 1}, {2, 2}, {FatalStatus, FatalStatus}, {127, 127},
		{128, 127}, {255, 127}, // would alias 0 and 127 in QEMU's 8-bit status
		{256, 0}, {257, 1}, // Linux keeps the low byte of exit_group's argument
		{^uint32(0), 127},
	}
	for _, tt := range tests {
		if got := exitValue(tt.status); got != tt.want {
			t.Errorf("exitValue(%d) = %d, want %d", tt.status, got, tt.want)
		}
		if v := exitValue(tt.status); (v<<1|1)&0xff>>1 != v {
			t.Errorf("exitValue(%d) = %d does not survive QEMU's 8-bit exit status", tt.status, v)
		}
	}
}
