package machine

// Physical memory: the BIOS memory map, and the allocator of 4 KiB frames.
//
// Free memory starts as a list of ranges handed out by bumping a cursor; a
// freed frame goes onto a free list threaded through the frames themselves
// (through the direct map).  So initialisation writes nothing to the free
// memory, and allocation and release are O(1).

const pageSize = 4096

// MemRegion is one entry of the BIOS (multiboot) memory map.
type MemRegion struct {
	Base, Len uint64
	Type      uint32 // 1 usable, 2 reserved, 3 ACPI reclaimable, 4 ACPI NVS, 5 bad
}

const maxMemRegions = 32

var (
	memMap    [maxMemRegions]MemRegion
	memMapLen int
	maxPhys   uint64 // end of the highest usable byte

	ranges     [maxMemRegions]struct{ next, end uintptr }
	nranges    int
	freeList   uintptr // physical address of the first freed frame; 0 = none
	freeFrames uint64
	usedFrames uint64 // frames in usable RAM not free (kernel, page tables, data)
)

// reservedRange is memory the allocator must not hand out at boot.
type reservedRange struct{ start, end uint64 }

// initFrames builds the free ranges: usable RAM above 1 MiB minus the
// reserved ranges (the boot stub, the kernel image).
//
//go:nosplit
func initFrames(res *[2]reservedRange) {
	for i := 0; i < memMapLen; i++ {
		r := memMap[i]
		if r.Type != 1 {
			continue
		}
		start := (r.Base + pageSize - 1) &^ (pageSize - 1)
		end := (r.Base + r.Len) &^ (pageSize - 1)
		if end > maxPhys {
			maxPhys = end
		}
		usedFrames += (end - start) / pageSize
		if start < 1<<20 {
			start = 1 << 20 // leave the BIOS area alone
		}
		addFree(start, end, res)
	}
}

// addFree adds [start, end) minus the reserved ranges, which are sorted
// by start.
//
//go:nosplit
func addFree(start, end uint64, res *[2]reservedRange) {
	for _, r := range res {
		if r.end <= start || r.start >= end {
			continue
		}
		if r.start > start {
			addRange(start, r.start&^(pageSize-1))
		}
		start = (r.end + pageSize - 1) &^ (pageSize - 1)
	}
	addRange(start, end)
}

//go:nosplit
func addRange(start, end uint64) {
	if start >= end || nranges == len(ranges) {
		return
	}
	ranges[nranges].next = uintptr(start)
	ranges[nranges].end = uintptr(end)
	nranges++
	n := (end - start) / pageSize
	freeFrames += n
	usedFrames -= n
}

// allocFrame returns the physical address of a free frame, or 0.  The
// frame's contents are undefined.
//
//go:nosplit
func allocFrame() uintptr {
	if freeList != 0 {
		f := freeList
		freeList = *(*uintptr)(ptr(phys2virt(f)))
		freeFrames--
		usedFrames++
		return f
	}
	for i := 0; i < nranges; i++ {
		r := &ranges[i]
		if r.next < r.end {
			f := r.next
			r.next += pageSize
			freeFrames--
			usedFrames++
			return f
		}
	}
	return 0
}

// allocZeroFrame returns a zeroed frame, or 0.
//
//go:nosplit
func allocZeroFrame() uintptr {
	f := allocFrame()
	if f != 0 {
		memclr(phys2virt(f), pageSize)
	}
	return f
}

//go:nosplit
func freeFrame(f uintptr) {
	*(*uintptr)(ptr(phys2virt(f))) = freeList
	freeList = f
	freeFrames++
	usedFrames--
}
