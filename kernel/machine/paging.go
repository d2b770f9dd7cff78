package machine

// Page tables.  One address space for now, the kernel's (see docs/machine.md
// for the plan with user processes):
//
//	0x0000_0000_0040_0000  the kernel image, identity-mapped with 4 KiB pages
//	...below 2^47          the Go runtime's mmap regions, demand-paged
//	0xffff_8000_0000_0000  the direct map of all physical memory (2 MiB pages)
//	0xffff_ff80_0000_0000  the trampoline (PML4 slot 511): an alias of the
//	                       kernel image's present pages, through which the
//	                       CPU enters the kernel; user page tables will
//	                       share this slot
//
// Page 0 is never mapped: the runtime's nil checks rely on the fault.

const (
	directMap  = 0xffff_8000_0000_0000
	trampoline = 0xffff_ff80_0000_0000
	userTop    = 1 << 47 // the lower half: kernel image and mmap regions

	ptePresent  = 1 << 0
	pteWrite    = 1 << 1
	pteUser     = 1 << 2
	pteHuge     = 1 << 7
	pteAddrMask = 0x000f_ffff_ffff_f000
	pteNX       = 1 << 63 // no instruction fetch (EFER.NXE on)
)

var (
	physOff    uintptr // virtual = physical + physOff (0 until the direct map is live)
	kernelRoot uintptr // physical address of the kernel's PML4
)

//go:nosplit
func phys2virt(p uintptr) uintptr { return p + physOff }

// alias returns the trampoline address of a kernel-image address.
//
//go:nosplit
func alias(va uintptr) uintptr { return trampoline + va }

// walk returns the virtual address of the 4 KiB PTE for va in the page
// table at root, creating intermediate tables if create is set.  It returns
// 0 if a table is missing (and not created), if a frame cannot be had, or
// if va is covered by a huge page.  Tables created in a user address space
// allow user access (the leaf decides).
//
//go:nosplit
func walk(root, va uintptr, create bool) uintptr {
	tflags := uint64(ptePresent | pteWrite)
	if root != kernelRoot {
		tflags |= pteUser
	}
	table := root
	for shift := uint(39); shift > 12; shift -= 9 {
		e := phys2virt(table) + (va>>shift&511)*8
		pte := *(*uint64)(ptr(e))
		if pte&ptePresent == 0 {
			if !create {
				return 0
			}
			f := allocZeroFrame()
			if f == 0 {
				return 0
			}
			if root != kernelRoot {
				userFrames++
			}
			pte = uint64(f) | tflags
			*(*uint64)(ptr(e)) = pte
		} else if pte&pteHuge != 0 {
			return 0
		}
		table = uintptr(pte & pteAddrMask)
	}
	return phys2virt(table) + (va>>12&511)*8
}

// mapPage maps the 4 KiB page at va to the frame pa.
//
//go:nosplit
func mapPage(root, va, pa uintptr, flags uint64) bool {
	e := walk(root, va, true)
	if e == 0 {
		return false
	}
	*(*uint64)(ptr(e)) = uint64(pa) | flags | ptePresent
	return true
}

// unmapPages removes every 4 KiB mapping in [start, end), freeing the
// frames.
//
//go:nosplit
func unmapPages(root, start, end uintptr) {
	for va := start; va < end; va += pageSize {
		if va = nextPTE(root, va, end); va >= end {
			return
		}
		e := walk(root, va, false)
		pte := *(*uint64)(ptr(e))
		if pte&ptePresent != 0 {
			*(*uint64)(ptr(e)) = 0
			flushPage(root, va)
			if f := uintptr(pte & pteAddrMask); isVDSOFrame(f) {
				// shared by every address space, never freed
			} else if root != kernelRoot {
				putUserFrame(f) // copy-on-write: maybe mapped elsewhere too
			} else {
				freeFrame(f)
			}
		}
	}
}

// nextPTE returns the first address at or after va, below end, that has a
// page table entry in root (present or not), skipping absent tables whole;
// or end.
//
//go:nosplit
func nextPTE(root, va, end uintptr) uintptr {
	for va < end {
		skip := pageTableGap(root, va)
		if skip == 0 {
			return va
		}
		next := (va + skip) &^ (skip - 1)
		if next <= va { // wrapped past the top
			return end
		}
		va = next
	}
	return end
}

// flushPage drops va from the TLB if root is the live page table.  A
// process's page table is live only in ring 3, and every entry from there
// reloads CR3, which flushes its entries (no global pages, no PCID).
//
//go:nosplit
func flushPage(root, va uintptr) {
	if root == kernelRoot {
		invlpg(va)
	}
}

// pageTableGap returns the size of the region around va that has no page
// table at some level (512 GiB, 1 GiB or 2 MiB), or 0 if va has a PTE.
//
//go:nosplit
func pageTableGap(root, va uintptr) uintptr {
	table := root
	for shift := uint(39); shift > 12; shift -= 9 {
		pte := *(*uint64)(ptr(phys2virt(table) + (va>>shift&511)*8))
		if pte&ptePresent == 0 || pte&pteHuge != 0 {
			return 1 << shift
		}
		table = uintptr(pte & pteAddrMask)
	}
	return 0
}

// setWritable sets or clears the write bit of every present page in
// [start, end), except the shared vDSO pages.
//
//go:nosplit
func setWritable(root, start, end uintptr, w bool) {
	setPerm(root, start, end, w, false, false) // kernel pages have no user bit
}

// setPerm sets the write, NX and (in a user address space) user bits of
// every present page in [start, end), except the shared vDSO pages.  A
// frame shared copy-on-write stays read-only: its first write must fault.
//
//go:nosplit
func setPerm(root, start, end uintptr, w, nx, user bool) {
	for va := start; va < end; va += pageSize {
		if va = nextPTE(root, va, end); va >= end {
			return
		}
		if e := walk(root, va, false); e != 0 {
			pte := *(*uint64)(ptr(e))
			// The shared vDSO pages stay read-only whatever is asked.
			if pte&ptePresent != 0 && !isVDSOFrame(uintptr(pte&pteAddrMask)) {
				if w && !shared(uintptr(pte&pteAddrMask)) {
					pte |= pteWrite
				} else {
					pte &^= pteWrite
				}
				if nx {
					pte |= pteNX
				} else {
					pte &^= pteNX
				}
				if user {
					pte |= pteUser
				} else {
					pte &^= pteUser
				}
				*(*uint64)(ptr(e)) = pte
				flushPage(root, va)
			}
		}
	}
}

// holdsRAM reports whether [pa, pa+n) overlaps a memory-map region that is
// RAM (usable, ACPI or reserved-but-below-maxPhys firmware memory).
//
//go:nosplit
func holdsRAM(pa, n uint64) bool {
	for i := 0; i < memMapLen && i < len(memMap); i++ {
		r := &memMap[i]
		if r.Type != 2 && r.Base < pa+n && pa < r.Base+r.Len {
			return true
		}
	}
	return pa < 1<<20 // the first MiB: BIOS data, VGA, ROMs
}

// initPaging builds the kernel's page table and switches to it.  It runs on
// the boot stub's identity map, so frames are reached by their physical
// address until the switch.
//
//go:nosplit
func initPaging() bool {
	kernelRoot = allocZeroFrame()
	if kernelRoot == 0 {
		return false
	}
	// The kernel image: text and data at once; of the bss only the pages
	// with machine variables (see kdata.go).  The rest of the bss goes back
	// to the allocator and is demand-paged, zero-filled.
	for va := kernelStart &^ (pageSize - 1); va < kernelEnd; va += pageSize {
		if va == kstackGuard() || va >= fileEnd && !isKernelData(va) {
			freeFrame(va)
			continue
		}
		if !mapPage(kernelRoot, va, va, pteWrite) || !mapPage(kernelRoot, alias(va), va, pteWrite) {
			return false
		}
	}
	// The direct map, 2 MiB pages, of every chunk that holds RAM.  Chunks
	// with none (the PCI hole below 4 GiB) stay unmapped, so that device
	// registers can be mapped there uncached, with 4 KiB pages (mmio.go).
	for pa := uintptr(0); pa < uintptr(maxPhys); pa += 1 << 21 {
		if !holdsRAM(uint64(pa), 1<<21) {
			continue
		}
		va := directMap + pa
		table := kernelRoot
		for shift := uint(39); shift > 21; shift -= 9 {
			e := table + (va>>shift&511)*8
			pte := *(*uint64)(ptr(e))
			if pte&ptePresent == 0 {
				f := allocZeroFrame()
				if f == 0 {
					return false
				}
				pte = uint64(f) | ptePresent | pteWrite
				*(*uint64)(ptr(e)) = pte
			}
			table = uintptr(pte & pteAddrMask)
		}
		*(*uint64)(ptr(table + (va>>21&511)*8)) = uint64(pa) | ptePresent | pteWrite | pteHuge
	}
	writeCR3(kernelRoot)
	physOff = directMap
	return true
}
