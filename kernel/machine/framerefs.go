package machine

// Frame reference counts and copy-on-write sharing of user pages.
//
// Fork shares the parent's present pages with the child instead of
// copying them (SysUserShare): both page tables map the same frame without
// the write bit, and the frame's count of extra mappings goes up.  The
// first write, from ring 3 or from a kernel copy, comes to kernel/mem,
// which asks for the page back writable (SysUserUnshare): a frame still
// shared is copied into a new one; a frame whose other mappings are gone
// is just made writable again.  Unmapping a page (munmap, MADV_DONTNEED,
// exit, exec) drops one mapping; the last frees the frame.
//
// The counts are an array of uint16, one per frame of RAM, carved out of
// free memory at boot and reached through the direct map.  A frame holds
// the number of its mappings beyond the first, so every frame that is not
// shared (kernel memory, page tables, user pages mapped once) has 0 and
// nothing but sharing and unmapping needs to know the array exists.  A
// count is at most the number of address spaces, far below 65535.
//
// MAP_SHARED anonymous memory maps one frame writable in several page
// tables (SysUserAlias): kernel/mem keeps the frames of a shared object in
// a page table of its own and maps them from there.  Such a frame counts
// as shared too, so mprotect never gives it the write bit (a write faults
// and kernel/mem maps it again) and it is never passed to Unshare.
//
// TLB rule: taking the write bit away from the parent's pages needs no
// invlpg and no shootdown, because a process's page table is live only
// while a thread runs in ring 3 on the machine's one CPU, every entry from
// ring 3 loads the kernel's CR3 (flushing the process's translations: no
// global user pages, no PCID), and these calls run in kernel context.  A
// thread of the parent that runs again reloads CR3 and sees the read-only
// entries.  With a second CPU or PCID, Share would have to shoot down the
// parent's entries on every CPU running it before returning.

import "syscall"

// Private system calls for copy-on-write.
const (
	SysUserShare   = 1014
	SysUserUnshare = 1015
	SysUserAlias   = 1016
)

const (
	maxSharePages = 4096   // present pages one SysUserShare shares with interrupts off
	maxFrameRefs  = 0xffff // the largest count a uint16 holds
)

var (
	refBase   uintptr // physical address of the frame the first count is for
	refFrames uintptr // frames counted
	frameRefs uintptr // virtual address of the counts; 0 until initFrameRefs
)

// initFrameRefs makes the counts for the frames of [lo, hi), taking the
// memory from the free ranges.  The direct map must be live.
//
//go:nosplit
func initFrameRefs(lo, hi uintptr) bool {
	n := (hi - lo) / pageSize
	size := roundPage(n * 2)
	for i := 0; i < nranges; i++ {
		r := &ranges[i]
		if r.end-r.next < size {
			continue
		}
		frameRefs = phys2virt(r.next)
		r.next += size
		freeFrames -= uint64(size / pageSize)
		usedFrames += uint64(size / pageSize)
		memclr(frameRefs, size)
		refBase, refFrames = lo, n
		return true
	}
	return false
}

// extraRefs returns the count of f's mappings beyond the first, or nil
// for a frame outside the counted memory (which is never shared).
//
//go:nosplit
func extraRefs(f uintptr) *uint16 {
	if frameRefs == 0 || f < refBase || (f-refBase)/pageSize >= refFrames {
		return nil
	}
	return (*uint16)(ptr(frameRefs + (f-refBase)/pageSize*2))
}

// shared reports whether another page table maps f too.
//
//go:nosplit
func shared(f uintptr) bool {
	r := extraRefs(f)
	return r != nil && *r > 0
}

// putUserFrame drops one mapping of the user page f; the last frees it.
//
//go:nosplit
func putUserFrame(f uintptr) {
	if r := extraRefs(f); r != nil && *r > 0 {
		*r--
		return
	}
	freeUserFrame(f)
}

// sysUserShare maps the present pages of address space h in [va, va+n)
// into the address space ch at the same addresses, read-only in both, for
// copy-on-write.  It stops after maxSharePages pages, to keep interrupts
// off briefly, and returns where to go on from (va+n when done).  The
// shared vDSO pages are skipped: the child maps its own.
//
//go:nosplit
func sysUserShare(h, ch, va, n uintptr) int64 {
	root, end, ok := userRange(h, va, n)
	child, cok := validRoot(ch)
	if !ok || !cok || child == root {
		return -int64(syscall.EINVAL)
	}
	for done := 0; done < maxSharePages; va += pageSize {
		if va = nextPTE(root, va, end); va >= end {
			break
		}
		e := walk(root, va, false)
		pte := *(*uint64)(ptr(e))
		f := uintptr(pte & pteAddrMask)
		if pte&ptePresent == 0 || isVDSOFrame(f) {
			continue
		}
		r := extraRefs(f)
		if r == nil || *r == maxFrameRefs {
			return -int64(syscall.ENOMEM)
		}
		ce := walk(child, va, true)
		if ce == 0 {
			return -int64(syscall.ENOMEM)
		}
		if *(*uint64)(ptr(ce))&ptePresent != 0 {
			return -int64(syscall.EEXIST)
		}
		pte &^= pteWrite
		*(*uint64)(ptr(e)) = pte
		flushPage(root, va)
		*(*uint64)(ptr(ce)) = pte
		*r++
		done++
	}
	return int64(min(va, end))
}

// sysUserUnshare gives the present page at va of h the protection prot,
// which includes write, on a frame of its own: a frame another page table
// still maps is copied first (the copy-on-write fault); one no longer
// shared is only made writable.
//
//go:nosplit
func sysUserUnshare(h, va, prot uintptr) int64 {
	root, _, ok := userRange(h, va, pageSize)
	if !ok || prot&ProtWrite == 0 {
		return -int64(syscall.EINVAL)
	}
	e := walk(root, va, false)
	if e == 0 {
		return -int64(syscall.EFAULT)
	}
	pte := *(*uint64)(ptr(e))
	f := uintptr(pte & pteAddrMask)
	if pte&ptePresent == 0 || isVDSOFrame(f) {
		return -int64(syscall.EFAULT)
	}
	if r := extraRefs(f); r != nil && *r > 0 {
		nf := allocFrame()
		if nf == 0 {
			return -int64(syscall.ENOMEM)
		}
		userFrames++
		memcopy(phys2virt(nf), phys2virt(f), pageSize)
		*r--
		f = nf
	}
	*(*uint64)(ptr(e)) = uint64(f) | userPTE(prot)
	flushPage(root, va)
	return 0
}

// sysUserAlias maps the frame present at sva in address space sh at va in
// h, with protection prot (write included, if asked): one more mapping of
// the same frame, for memory that processes share (MAP_SHARED).  va must
// not be present in h.
//
//go:nosplit
func sysUserAlias(sh, sva, h, va, prot uintptr) int64 {
	sroot, _, sok := userRange(sh, sva, pageSize)
	root, _, ok := userRange(h, va, pageSize)
	if !ok || !sok || sroot == root {
		return -int64(syscall.EINVAL)
	}
	se := walk(sroot, sva, false)
	if se == 0 {
		return -int64(syscall.EFAULT)
	}
	spte := *(*uint64)(ptr(se))
	f := uintptr(spte & pteAddrMask)
	if spte&ptePresent == 0 || isVDSOFrame(f) {
		return -int64(syscall.EFAULT)
	}
	r := extraRefs(f)
	if r == nil || *r == maxFrameRefs {
		return -int64(syscall.ENOMEM)
	}
	e := walk(root, va, true)
	if e == 0 {
		return -int64(syscall.ENOMEM)
	}
	if *(*uint64)(ptr(e))&ptePresent != 0 {
		return -int64(syscall.EEXIST)
	}
	*(*uint64)(ptr(e)) = uint64(f) | userPTE(prot)
	*r++
	return 0
}
