package machine

import "syscall"

// Virtual memory of the kernel's own address space, as the Go runtime sees
// it through mmap, munmap, madvise and mprotect.
//
// A region (vma) is a page-aligned range with a protection.  Pages are not
// backed when mapped: the first touch faults, and pageFault gives the page
// a zeroed frame if a region allows the access.  munmap and MADV_DONTNEED
// free the frames, so a later touch sees zeroes again, which is what the
// runtime's default madvdontneed=1 relies on.

const (
	protRead  = 0x1
	protWrite = 0x2
	protExec  = 0x4

	mapShared         = 0x01
	mapPrivate        = 0x02
	mapFixed          = 0x10
	mapAnonymous      = 0x20
	mapFixedNoReplace = 0x100000

	madvDontneed = 4
	madvFree     = 8

	// mmapBase is where mmap places regions when the caller gives no
	// usable hint; the range below it stays free for the kernel image.
	mmapBase = 0x0000_1000_0000_0000

	maxVMAs = 1024
)

// vmaKernel marks the kernel image: it is mapped eagerly and can never be
// unmapped or replaced.
const vmaKernel = 1 << 8

type vma struct {
	start, end uintptr
	prot       uint32 // protRead|protWrite|protExec, or vmaKernel|...
}

var (
	vmas  [maxVMAs]vma
	nvmas int
)

// findVMA returns the index of the region containing va, or -1.
//
//go:nosplit
func findVMA(va uintptr) int {
	i := firstAtOrAfter(va)
	if i < nvmas && vmas[i].start <= va {
		return i
	}
	return -1
}

// firstAtOrAfter returns the index of the first region ending after va.
//
//go:nosplit
func firstAtOrAfter(va uintptr) int {
	lo, hi := 0, nvmas
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if vmas[m].end <= va {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// rangeFree reports whether no region overlaps [start, end).
//
//go:nosplit
func rangeFree(start, end uintptr) bool {
	i := firstAtOrAfter(start)
	return i == nvmas || vmas[i].start >= end
}

// rangeHasKernel reports whether [start, end) overlaps the kernel image.
//
//go:nosplit
func rangeHasKernel(start, end uintptr) bool {
	for i := firstAtOrAfter(start); i < nvmas && vmas[i].start < end; i++ {
		if vmas[i].prot&vmaKernel != 0 {
			return true
		}
	}
	return false
}

// insertVMA records [start, end) with prot; the range must be free.  It
// merges with equal neighbours so that a heap grown piece by piece stays
// one region.  It reports false when the table is full.
//
//go:nosplit
func insertVMA(start, end uintptr, prot uint32) bool {
	i := firstAtOrAfter(start)
	left := i > 0 && vmas[i-1].end == start && vmas[i-1].prot == prot
	right := i < nvmas && vmas[i].start == end && vmas[i].prot == prot
	switch {
	case left && right:
		vmas[i-1].end = vmas[i].end
		deleteVMA(i)
	case left:
		vmas[i-1].end = end
	case right:
		vmas[i].start = start
	default:
		if nvmas == maxVMAs {
			return false
		}
		copy(vmas[i+1:nvmas+1], vmas[i:nvmas])
		vmas[i] = vma{start, end, prot}
		nvmas++
	}
	return true
}

//go:nosplit
func deleteVMA(i int) {
	copy(vmas[i:nvmas-1], vmas[i+1:nvmas])
	nvmas--
}

// removeVMAs takes [start, end) out of the region table, splitting regions
// that straddle its ends.  It reports false if the table is full.
//
//go:nosplit
func removeVMAs(start, end uintptr) bool {
	i := firstAtOrAfter(start)
	for i < nvmas && vmas[i].start < end {
		v := vmas[i]
		switch {
		case v.start < start && v.end > end: // split in two
			if nvmas == maxVMAs {
				return false
			}
			copy(vmas[i+2:nvmas+1], vmas[i+1:nvmas])
			vmas[i].end = start
			vmas[i+1] = vma{end, v.end, v.prot}
			nvmas++
			return true
		case v.start < start:
			vmas[i].end = start
			i++
		case v.end > end:
			vmas[i].start = end
			return true
		default:
			deleteVMA(i)
		}
	}
	return true
}

//go:nosplit
func pageAligned(v uintptr) bool { return v&(pageSize-1) == 0 }

//go:nosplit
func roundPage(v uintptr) uintptr { return (v + pageSize - 1) &^ (pageSize - 1) }

// findGap returns the lowest free range of n bytes at or above mmapBase.
//
//go:nosplit
func findGap(n uintptr) uintptr {
	a := uintptr(mmapBase)
	for i := firstAtOrAfter(a); i < nvmas; i++ {
		if vmas[i].start >= a+n {
			break
		}
		a = vmas[i].end
	}
	if a+n > userTop || a+n < a {
		return 0
	}
	return a
}

//go:nosplit
func sysMmap(va, n uintptr, prot, flags uint32, fd int64) int64 {
	if n == 0 || n > userTop {
		return -int64(syscall.EINVAL)
	}
	if flags&mapAnonymous == 0 || fd != -1 {
		return -int64(syscall.ENODEV) // no files in the kernel's own space
	}
	if flags&(mapShared|mapPrivate) == 0 {
		return -int64(syscall.EINVAL)
	}
	n = roundPage(n)
	prot &= protRead | protWrite | protExec
	switch {
	case flags&(mapFixed|mapFixedNoReplace) != 0:
		if !pageAligned(va) || va < pageSize || va+n > userTop || va+n < va {
			return -int64(syscall.EINVAL)
		}
		if !rangeFree(va, va+n) {
			if flags&mapFixedNoReplace != 0 {
				return -int64(syscall.EEXIST)
			}
			if rangeHasKernel(va, va+n) {
				return -int64(syscall.ENOMEM)
			}
			if !removeVMAs(va, va+n) {
				return -int64(syscall.ENOMEM)
			}
			unmapPages(kernelRoot, va, va+n)
		}
	case va >= pageSize && pageAligned(va) && va+n <= userTop && va+n > va && rangeFree(va, va+n):
		// The hint is free: take it.
	default:
		if va = findGap(n); va == 0 {
			return -int64(syscall.ENOMEM)
		}
	}
	if !insertVMA(va, va+n, prot) {
		return -int64(syscall.ENOMEM)
	}
	return int64(va)
}

// checkRange validates a page-aligned range of the lower half that does not
// touch the kernel image.
//
//go:nosplit
func checkRange(va, n uintptr) (uintptr, bool) {
	n = roundPage(n)
	if !pageAligned(va) || va+n > userTop || va+n < va || rangeHasKernel(va, va+n) {
		return 0, false
	}
	return va + n, true
}

//go:nosplit
func sysMunmap(va, n uintptr) int64 {
	end, ok := checkRange(va, n)
	if !ok || n == 0 {
		return -int64(syscall.EINVAL)
	}
	if !removeVMAs(va, end) {
		return -int64(syscall.ENOMEM)
	}
	unmapPages(kernelRoot, va, end)
	return 0
}

//go:nosplit
func sysMadvise(va, n uintptr, advice int64) int64 {
	end, ok := checkRange(va, n)
	if !ok {
		return -int64(syscall.EINVAL)
	}
	if advice == madvDontneed || advice == madvFree {
		// A real discard: the next touch gets a fresh zeroed page.
		unmapPages(kernelRoot, va, end)
	}
	return 0 // other advice (huge pages, ...) is only advice
}

//go:nosplit
func sysMprotect(va, n uintptr, prot uint32) int64 {
	end, ok := checkRange(va, n)
	if !ok {
		return -int64(syscall.EINVAL)
	}
	prot &= protRead | protWrite | protExec
	// Every page of the range must be mapped.
	for a := va; a < end; {
		i := findVMA(a)
		if i < 0 {
			return -int64(syscall.ENOMEM)
		}
		a = vmas[i].end
	}
	if !removeVMAs(va, end) || !insertVMA(va, end, prot) {
		return -int64(syscall.ENOMEM)
	}
	if prot&(protRead|protWrite) == 0 {
		unmapPages(kernelRoot, va, end)
	} else {
		setWritable(kernelRoot, va, end, prot&protWrite != 0)
	}
	return 0
}

// demandPage backs the page holding va if a region allows the access.  It
// reports false if the access is not allowed (the caller raises SIGSEGV).
//
//go:nosplit
func demandPage(va uintptr, write bool) bool {
	if va < pageSize || va >= userTop || va&^(pageSize-1) == kstackGuard() {
		return false
	}
	i := findVMA(va)
	if i < 0 {
		return false
	}
	prot := vmas[i].prot
	if prot&(protRead|protWrite|protExec) == 0 || write && prot&protWrite == 0 {
		return false
	}
	page := va &^ (pageSize - 1)
	e := walk(kernelRoot, page, true)
	if e == 0 {
		fatal("out of memory for page tables", nil)
	}
	pte := *(*uint64)(ptr(e))
	if pte&ptePresent != 0 {
		return !write || pte&pteWrite != 0
	}
	f := allocZeroFrame()
	if f == 0 {
		printStr("\nscone: no free frame for ")
		printHex(uint64(va))
		printStr(", ")
		printDec(int64(usedFrames))
		printStr(" frames in use\n")
		fatal("out of memory", nil)
	}
	var flags uint64
	if prot&protWrite != 0 {
		flags = pteWrite
	}
	*(*uint64)(ptr(e)) = uint64(f) | flags | ptePresent
	return true
}

// touch makes [va, va+n) accessible to the kernel, faulting pages in as the
// CPU would, so that a syscall handler never takes a page fault itself.
//
//go:nosplit
func touch(va, n uintptr, write bool) bool {
	if n == 0 {
		return true
	}
	if va+n < va || va+n > userTop {
		return false
	}
	for p := va &^ (pageSize - 1); p < va+n; p += pageSize {
		e := walk(kernelRoot, p, false)
		if e != 0 {
			pte := *(*uint64)(ptr(e))
			if pte&ptePresent != 0 && (!write || pte&pteWrite != 0) {
				continue
			}
		}
		if !demandPage(p, write) {
			return false
		}
	}
	return true
}
