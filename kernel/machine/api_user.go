package machine

import (
	"fmt"
	"syscall"
	"unsafe"
)

// AddressSpace is the page table of a user program: user pages below 2^47
// plus the shared trampoline.  Its pages are backed when mapped (Map);
// faults in ring 3 come back from Run for the caller to handle.
type AddressSpace struct {
	root uintptr
}

// NewAddressSpace returns an empty address space.
func NewAddressSpace() (*AddressSpace, error) {
	r, _, e := syscall.Syscall(SysNewAddressSpace, 0, 0, 0)
	if e != 0 {
		return nil, fmt.Errorf("machine: new address space: %w", e)
	}
	return &AddressSpace{root: r}, nil
}

// Free releases every page of the address space and its page tables.  No
// thread may be running in it.
func (as *AddressSpace) Free() error {
	if _, _, e := syscall.Syscall(SysFreeAddressSpace, as.root, 0, 0); e != 0 {
		return fmt.Errorf("machine: free address space: %w", e)
	}
	as.root = 0
	return nil
}

// Map backs [va, va+size) with zeroed pages, readable by ring 3, and
// writable and executable as prot (ProtWrite, ProtExec) says.  va must be page-aligned; no
// page of the range may be mapped already.  A range is mapped a chunk per
// system call (each zeroes its pages with interrupts off); if one fails,
// the chunks before it are unmapped again.
func (as *AddressSpace) Map(va uintptr, size int, prot int) error {
	for done := 0; done < size; done += maxUserMapChunk {
		n := min(size-done, maxUserMapChunk)
		if err := as.pages(SysUserMap, "map", va+uintptr(done), n, prot); err != nil {
			if done > 0 {
				as.Unmap(va, done)
			}
			return err
		}
	}
	return nil
}

// MapPage maps the page at va with data (at most a page; the rest is
// zeroes), filled before the program can see it.
func (as *AddressSpace) MapPage(va uintptr, data []byte, prot int) error {
	p := uintptr(0)
	if len(data) > 0 {
		p = uintptr(unsafe.Pointer(&data[0]))
	}
	if _, _, e := syscall.Syscall6(SysUserMapPage, as.root, va, p, uintptr(len(data)), uintptr(prot), 0); e != 0 {
		return fmt.Errorf("machine: map page %#x: %w", va, e)
	}
	return nil
}

// Unmap frees the pages in [va, va+size); pages not mapped are skipped.
func (as *AddressSpace) Unmap(va uintptr, size int) error {
	return as.pages(SysUserUnmap, "unmap", va, size, 0)
}

// Protect gives the mapped pages in [va, va+size) protection prot
// (ProtWrite, ProtExec).
func (as *AddressSpace) Protect(va uintptr, size int, prot int) error {
	return as.pages(SysUserProtect, "protect", va, size, prot)
}

// Share maps the present pages of [va, va+size) into child at the same
// addresses, copy-on-write: the frames are shared, read-only in both
// address spaces, until Unshare gives a writer its own copy.  The shared
// vDSO pages are left out.
func (as *AddressSpace) Share(child *AddressSpace, va uintptr, size int) error {
	for end := va + uintptr(size); va < end; {
		r, _, e := syscall.Syscall6(SysUserShare, as.root, child.root, va, end-va, 0, 0)
		if e != 0 {
			return fmt.Errorf("machine: share %#x+%#x: %w", va, end-va, e)
		}
		if r <= va {
			return fmt.Errorf("machine: share %#x: no progress", va)
		}
		va = r
	}
	return nil
}

// Unshare makes the present page at va writable with protection prot
// (which includes ProtWrite) on a frame of its own, copying the frame if
// another address space still shares it: the copy-on-write fault.
func (as *AddressSpace) Unshare(va uintptr, prot int) error {
	if _, _, e := syscall.Syscall(SysUserUnshare, as.root, va, uintptr(prot)); e != 0 {
		return fmt.Errorf("machine: unshare %#x: %w", va, e)
	}
	return nil
}

// Alias maps the frame present at srcVA in src at va with protection
// prot, writable if prot says so: both address spaces then see each
// other's writes (MAP_SHARED memory).  The frame lives until its last
// mapping goes.
func (as *AddressSpace) Alias(src *AddressSpace, srcVA, va uintptr, prot int) error {
	if _, _, e := syscall.Syscall6(SysUserAlias, src.root, srcVA, as.root, va, uintptr(prot), 0); e != 0 {
		return fmt.Errorf("machine: alias %#x at %#x: %w", srcVA, va, e)
	}
	return nil
}

// pages makes one of the page-range system calls.
func (as *AddressSpace) pages(nr uintptr, what string, va uintptr, size int, prot int) error {
	if _, _, e := syscall.Syscall6(nr, as.root, va, uintptr(size), uintptr(prot), 0, 0); e != 0 {
		return fmt.Errorf("machine: %s %#x+%#x: %w", what, va, size, e)
	}
	return nil
}

// VDSOClockGettime is the offset of __vdso_clock_gettime in the vDSO (its
// symbol says the same, for programs that look it up).
const VDSOClockGettime = vdsoCode

// MapVDSO maps the kernel's vDSO (with __vdso_clock_gettime, as the Go
// runtime looks for it) and its data page, read-only, at the top of the
// lower half: the two pages below 2^47.  It returns the vDSO's address,
// for the program's AT_SYSINFO_EHDR.  Unmap and Free leave the shared
// pages themselves alone.
func (as *AddressSpace) MapVDSO() (uintptr, error) {
	r, _, e := syscall.Syscall(SysUserMapVDSO, as.root, 0, 0)
	if e != 0 {
		return 0, fmt.Errorf("machine: map the vDSO: %w", e)
	}
	return r, nil
}

// CopyOut copies b to user address va, which must be writable by the
// program (to fill read-only code, Map it writable, copy, then Protect).
func (as *AddressSpace) CopyOut(va uintptr, b []byte) error {
	return as.copy(va, b, 1)
}

// CopyIn copies len(b) bytes from user address va into b.
func (as *AddressSpace) CopyIn(b []byte, va uintptr) error {
	return as.copy(va, b, 0)
}

func (as *AddressSpace) copy(va uintptr, b []byte, toUser uintptr) error {
	for len(b) > 0 {
		n := min(len(b), maxUserCopy)
		_, _, e := syscall.Syscall6(SysUserCopy, as.root, va, uintptr(unsafe.Pointer(&b[0])), uintptr(n), toUser, 0)
		if e != 0 {
			return fmt.Errorf("machine: copy %d bytes at user address %#x: %w", n, va, e)
		}
		b, va = b[n:], va+uintptr(n)
	}
	return nil
}

// KickUser makes every thread now in ring 3 come back from Run (as
// UserInterrupt) at its next timer tick, within a millisecond, so that its
// goroutine sees a signal or a kill even if the program never traps.
func KickUser() {
	syscall.Syscall(SysKickUser, 0, 0, 0)
}

// Run runs regs in ring 3 in the address space until the program traps,
// and returns why (UserSyscall, UserFault, UserException, UserInterrupt)
// with regs updated.  The calling goroutine's thread is in the kernel
// meanwhile, as in any blocking system call, so the goroutine's P moves
// on to other goroutines.  (Keeping the P, as a raw call, was tried and
// measured: no faster per trip, and slower wherever processes wake each
// other; see docs/proc.md, "Scale".)  Run returns UserInterrupt at the
// end of the time slice, when a device interrupt woke a driver (also at
// once, if the driver woke while the caller ran kernel code), when a
// signal is pending for the machine thread and after KickUser; the
// caller should then yield (runtime.Gosched).  regs should be heap
// memory that stays reachable for the call.
func (as *AddressSpace) Run(regs *UserRegs) (int, error) {
	r, _, e := syscall.Syscall(SysRunUser, as.root, uintptr(unsafe.Pointer(regs)), 0)
	if e != 0 {
		return 0, fmt.Errorf("machine: run user code: %w", e)
	}
	return int(r), nil
}

// Nanotime is the machine's monotonic clock in nanoseconds (the TSC,
// scaled), cheaper than time.Now for measuring the kernel's own spans.
func Nanotime() int64 { return nanotime() }
