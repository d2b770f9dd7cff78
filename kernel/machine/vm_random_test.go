package machine

import (
	"math/rand/v2"
	"testing"
)

// TestRegionsRandom applies random mmap-like (replace) and munmap-like
// (remove) operations over 64 pages to the region table and to a model
// with one protection per page, and checks after each that the table is
// sorted, disjoint, merged, and says what the model says.  (Not a fuzz
// target: fuzzing instruments the nosplit code past the linker's limit.)
func TestRegionsRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ops := make([]byte, 4*5000)
	for i := range ops {
		ops[i] = byte(rng.Uint32())
	}
	{
		const pages = 64
		const base = uintptr(0x10000000)
		var model [pages]uint32 // 0 = unmapped
		nvmas = 0
		for len(ops) >= 4 {
			op, first, n, prot := ops[0]%2, int(ops[1]%pages), int(ops[2]%pages)+1, uint32(ops[3]%3)+1
			ops = ops[4:]
			last := min(first+n, pages)
			start, end := base+uintptr(first)*pageSize, base+uintptr(last)*pageSize
			if !removeVMAs(start, end) {
				t.Fatal("region table full")
			}
			for p := first; p < last; p++ {
				model[p] = 0
			}
			if op == 0 {
				if !insertVMA(start, end, prot) {
					t.Fatal("region table full")
				}
				for p := first; p < last; p++ {
					model[p] = prot
				}
			}
			checkRegions(t, base, model[:])
		}
	}
}

func checkRegions(t *testing.T, base uintptr, model []uint32) {
	t.Helper()
	for i := 0; i < nvmas; i++ {
		v := vmas[i]
		if v.start >= v.end || !pageAligned(v.start) || !pageAligned(v.end) {
			t.Fatalf("region %d is %#x-%#x", i, v.start, v.end)
		}
		if i > 0 && vmas[i-1].end > v.start {
			t.Fatalf("regions %d and %d overlap or are out of order", i-1, i)
		}
		if i > 0 && vmas[i-1].end == v.start && vmas[i-1].prot == v.prot {
			t.Fatalf("regions %d and %d should have merged", i-1, i)
		}
	}
	for p, want := range model {
		va := base + uintptr(p)*pageSize
		i := findVMA(va)
		got := uint32(0)
		if i >= 0 {
			got = vmas[i].prot
		}
		if got != want {
			t.Fatalf("page %d: prot %d, model says %d (regions %x)", p, got, want, vmas[:nvmas])
		}
	}
}
