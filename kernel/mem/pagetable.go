// Package mem is user memory: the address space of a process as Linux
// shows it (regions made by the ELF loader, brk and mmap, demand paging,
// munmap, mprotect, madvise, fork) over a page table the machine layer
// keeps.  Everything here is ordinary Go; the page table is an interface,
// so the logic is tested on the host against Fake.
package mem

// PageTable is what an address space needs from the hardware:
// machine.AddressSpace in the kernel, Fake in tests.
type PageTable interface {
	// Map backs the page-aligned [va, va+size) with zeroed pages with
	// protection prot (ProtWrite, ProtExec; pages are always readable).
	Map(va uintptr, size int, prot int) error
	// MapPage maps one page holding data (then zeroes), filled before
	// it is present: other threads never see it half made.
	MapPage(va uintptr, data []byte, prot int) error
	// Unmap frees the present pages of [va, va+size).
	Unmap(va uintptr, size int) error
	// Protect sets the write and execute permission of the present pages;
	// a page shared copy-on-write stays read-only whatever prot says.
	Protect(va uintptr, size int, prot int) error
	// Share maps the present pages of [va, va+size) into child, a page
	// table of the same kind, at the same addresses, sharing the frames
	// read-only in both (copy-on-write) until Unshare.
	Share(child PageTable, va uintptr, size int) error
	// Unshare gives the present page at va the protection prot, which
	// includes ProtWrite, on a frame of its own: a frame still shared is
	// copied first, one no longer shared is only made writable.
	Unshare(va uintptr, prot int) error
	// Alias maps the frame present at srcVA in src, a page table of the
	// same kind, at va with protection prot, writable if prot says so:
	// both then see each other's writes (MAP_SHARED).  The frame counts
	// as shared, so Protect keeps it read-only afterwards.
	Alias(src PageTable, srcVA, va uintptr, prot int) error
	// New returns an empty page table of the same kind, to hold frames
	// that several address spaces map.
	New() (PageTable, error)
	// CopyIn and CopyOut copy through present pages (CopyOut needs them
	// writable, so never writes a shared frame).
	CopyIn(b []byte, va uintptr) error
	CopyOut(va uintptr, b []byte) error
	// MapVDSO maps the shared vDSO and returns its address.
	MapVDSO() (uintptr, error)
	// Free releases every page and table.
	Free() error
}

// PageSize is the size of a page.
const PageSize = 4096

func pageDown(v uintptr) uintptr { return v &^ (PageSize - 1) }
func pageUp(v uintptr) uintptr   { return (v + PageSize - 1) &^ (PageSize - 1) }
