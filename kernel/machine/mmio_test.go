package machine

import (
	"testing"
	"unsafe"
)

func TestAllocDMA(t *testing.T) {
	ram := fakeMachine(t, 64*pageSize)
	defer keep(ram)
	free := freeFrames
	a := sysAllocDMA(3*pageSize - 100)
	b := sysAllocDMA(pageSize)
	if a <= 0 || b <= 0 || a%pageSize != 0 {
		t.Fatalf("allocations %#x %#x", a, b)
	}
	if b != a+3*pageSize {
		t.Errorf("second allocation at %#x, want right after the first (%#x)", b, a+3*pageSize)
	}
	if freeFrames != free-4 || usedFrames != 1+4 {
		t.Errorf("accounting: free %d used %d", freeFrames, usedFrames)
	}
	mem := unsafe.Slice((*byte)(ptr(uintptr(a))), 3*pageSize)
	for i, c := range mem {
		if c != 0 {
			t.Fatalf("DMA byte %d = %#x, want zero", i, c)
		}
	}
	for _, n := range []uintptr{0, maxDMA + 1, 1 << 30} {
		if r := sysAllocDMA(n); r >= 0 {
			t.Errorf("sysAllocDMA(%d) = %#x, want an error", n, r)
		}
	}
}

func TestMMIOAccess(t *testing.T) {
	buf := make([]uint64, 4)
	m := MMIO{base: uintptr(unsafe.Pointer(&buf[0])), size: 32}
	m.Write32(4, 0xdeadbeef)
	m.Write16(8, 0x1234)
	m.Write8(10, 0x56)
	m.Write64(16, 0x0102030405060708)
	if got := m.Read32(4); got != 0xdeadbeef {
		t.Errorf("Read32 = %#x", got)
	}
	if got := m.Read16(8); got != 0x1234 || m.Read8(10) != 0x56 {
		t.Errorf("Read16 = %#x, Read8 = %#x", got, m.Read8(10))
	}
	if buf[0] != 0xdeadbeef<<32 || buf[2] != 0x0102030405060708 {
		t.Errorf("memory %#x", buf)
	}
	for _, off := range []uintptr{30, 32, 2, ^uintptr(0)} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Read32(%#x) outside or misaligned did not panic", off)
				}
			}()
			m.Read32(off)
		}()
	}
}

func TestHoldsRAM(t *testing.T) {
	memMapLen = 3
	memMap[0] = MemRegion{0, 0x9fc00, 1}
	memMap[1] = MemRegion{0x100000, 0x1ff00000, 1}
	memMap[2] = MemRegion{0xfffc0000, 0x40000, 2}
	defer func() { memMapLen = 0 }()
	tests := []struct {
		pa, n uint64
		want  bool
	}{
		{0, 1 << 21, true},
		{0x1fe00000, 1 << 21, true},
		{0x20000000, 1 << 21, false},
		{0xfebe0000, 0x20000, false},
		{0xfffc0000, 0x1000, false}, // reserved: firmware ROM, not RAM
	}
	for _, tt := range tests {
		if got := holdsRAM(tt.pa, tt.n); got != tt.want {
			t.Errorf("holdsRAM(%#x, %#x) = %v, want %v", tt.pa, tt.n, got, tt.want)
		}
	}
}
