package machine

// Memory for device drivers: device registers (MMIO) and buffers devices
// read and write themselves (DMA).
//
// MMIO ranges are mapped uncached (PCD|PWT) at their place in the direct
// map, directMap+phys, which RAM never occupies there.  DMA memory is
// physically contiguous frames, zeroed, reached through the direct map;
// it is never freed (drivers allocate their rings and buffers once).
// Both are private system calls so that the page tables and the frame
// allocator are only ever changed in kernel context.

import "syscall"

// Private system calls behind MapMMIO and AllocDMA.
const (
	SysMapMMIO  = 1001
	SysAllocDMA = 1002
)

const (
	ptePWT = 1 << 3
	ptePCD = 1 << 4

	maxPhysAddr = 1 << 46 // leaves the direct map inside its 64 TiB
	maxDMA      = 4 << 20
)

// sysMapMMIO maps [phys, phys+n) uncached and returns its virtual address.
//
//go:nosplit
func sysMapMMIO(phys, n uintptr) int64 {
	start := phys &^ (pageSize - 1)
	end := roundPage(phys + n)
	if n == 0 || end > maxPhysAddr || end < start {
		return -int64(syscall.EINVAL)
	}
	if holdsRAM(uint64(start), uint64(end-start)) {
		return -int64(syscall.EINVAL) // RAM is not a device
	}
	for pa := start; pa < end; pa += pageSize {
		e := walk(kernelRoot, directMap+pa, true)
		if e == 0 {
			return -int64(syscall.ENOMEM)
		}
		*(*uint64)(ptr(e)) = uint64(pa) | ptePresent | pteWrite | ptePCD | ptePWT
		invlpg(directMap + pa)
	}
	return int64(directMap + phys)
}

// sysAllocDMA returns the physical address of n bytes of contiguous, zeroed
// frames.  Contiguous runs come only from memory never handed out, which at
// boot is nearly all of it.
//
//go:nosplit
func sysAllocDMA(n uintptr) int64 {
	if n == 0 || n > maxDMA {
		return -int64(syscall.EINVAL)
	}
	n = roundPage(n)
	for i := 0; i < nranges && i < len(ranges); i++ {
		r := &ranges[i]
		if r.end-r.next >= n {
			pa := r.next
			r.next += n
			frames := uint64(n / pageSize)
			freeFrames -= frames
			usedFrames += frames
			memclr(phys2virt(pa), n)
			return int64(pa)
		}
	}
	return -int64(syscall.ENOMEM)
}
