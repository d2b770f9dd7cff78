package mem

import (
	"io"
	"syscall"
)

// Linux's mmap flags that matter here.
const (
	MapShared    = 0x01
	MapPrivate   = 0x02
	MapFixed     = 0x10
	MapAnonymous = 0x20
	MapNoReplace = 0x100000
)

// Linux's madvise advice that changes contents.
const (
	MadvDontneed = 4
	MadvFree     = 8
)

// Mmap maps length bytes as mmap(2) does, anonymous or from file, and
// returns the address.  Private mappings keep the program's writes its
// own; MAP_SHARED anonymous memory is one object that fork passes on, so
// parent and child see each other's writes (shm.go).  A writable
// MAP_SHARED of a file is ENODEV (no shared file pages yet).
func (as *AddressSpace) Mmap(hint uintptr, length uintptr, prot, flags int, file io.ReaderAt, off int64, fileSize int64) (uintptr, error) {
	if length == 0 || length > UserTop || off%PageSize != 0 {
		return 0, syscall.EINVAL
	}
	if flags&(MapShared|MapPrivate) == 0 {
		return 0, syscall.EINVAL
	}
	if file != nil && flags&MapShared != 0 && prot&ProtWrite != 0 {
		return 0, syscall.ENODEV
	}
	n := pageUp(length)
	as.mu.Lock()
	defer as.mu.Unlock()
	var va uintptr
	switch {
	case flags&(MapFixed|MapNoReplace) != 0:
		if hint%PageSize != 0 || hint == 0 || hint+n > UserTop || hint+n < hint {
			return 0, syscall.EINVAL
		}
		if flags&MapNoReplace != 0 && !as.rs.free(hint, hint+n) {
			return 0, syscall.EEXIST
		}
		va = hint
	case hint != 0 && pageDown(hint) >= mmapFloor && pageDown(hint)+n <= mmapTop && as.rs.free(pageDown(hint), pageDown(hint)+n):
		va = pageDown(hint)
	default:
		var ok bool
		if va, ok = as.place(n); !ok {
			return 0, syscall.ENOMEM
		}
	}
	var fileLen uintptr
	if file != nil {
		if rest := fileSize - off; rest > 0 {
			fileLen = min(uintptr(rest), n)
		}
		if fileLen == 0 {
			file = nil
		}
	}
	if file == nil && flags&MapShared != 0 {
		return va, as.shared(va, va+n, prot)
	}
	if err := as.region(va, va+n, prot, file, off, fileLen); err != nil {
		return 0, err
	}
	return va, nil
}

// shared maps [start, end) to a new MAP_SHARED anonymous object.
func (as *AddressSpace) shared(start, end uintptr, prot int) error {
	if end > UserTop-shmBase {
		return syscall.ENOMEM // beyond what the object's page table holds
	}
	s, err := newShm(as.pt)
	if err != nil {
		return ErrNoMemory
	}
	as.unmap(start, end)
	as.rs.insert(region{start: start, end: end, prot: prot, shm: s})
	return nil
}

// place finds a free range of n bytes, the highest below mmapTop.
func (as *AddressSpace) place(n uintptr) (uintptr, bool) {
	top := uintptr(mmapTop)
	for i := len(as.rs) - 1; i >= -1; i-- {
		lo := uintptr(mmapFloor)
		if i >= 0 {
			if as.rs[i].start >= top {
				continue
			}
			lo = max(lo, as.rs[i].end)
		}
		if top >= lo+n {
			return top - n, true
		}
		if i >= 0 {
			top = min(top, as.rs[i].start)
		}
	}
	return 0, false
}

// Munmap removes the mappings in [va, va+length).
func (as *AddressSpace) Munmap(va, length uintptr) error {
	if va%PageSize != 0 || length == 0 || va+length > UserTop || va+length < va {
		return syscall.EINVAL
	}
	as.mu.Lock()
	defer as.mu.Unlock()
	as.unmap(va, va+pageUp(length))
	return nil
}

// Mprotect changes the protection of [va, va+length), which must be
// mapped throughout (ENOMEM otherwise, as Linux).
func (as *AddressSpace) Mprotect(va, length uintptr, prot int) error {
	if va%PageSize != 0 || va+length > UserTop || va+length < va {
		return syscall.EINVAL
	}
	end := va + pageUp(length)
	as.mu.Lock()
	defer as.mu.Unlock()
	for p := va; p < end; {
		i := as.rs.find(p)
		if i < 0 {
			return syscall.ENOMEM
		}
		p = as.rs[i].end
	}
	as.rs.split(va)
	as.rs.split(end)
	for i := range as.rs {
		if r := &as.rs[i]; r.start >= va && r.end <= end {
			r.prot = prot
		}
	}
	as.rs.merge()
	// Present pages follow in place: a page made PROT_NONE keeps its
	// contents but ring 3 can no longer touch it (the machine clears its
	// user bit), and touch refuses it to system calls.  A page shared
	// copy-on-write stays read-only, so none is known writable: the next
	// write faults, and unshare copies it or only sets the write bit.
	for p := range as.present {
		if p >= va && p < end {
			as.present[p] = false
			as.pt.Protect(p, PageSize, prot)
		}
	}
	return nil
}

// Madvise applies advice to [va, va+length): DONTNEED and FREE discard the
// pages, so the next touch sees zeroes (or the file's bytes), which the Go
// runtime relies on.  Other advice is accepted and ignored.
func (as *AddressSpace) Madvise(va, length uintptr, advice int) error {
	if va%PageSize != 0 || va+length > UserTop || va+length < va {
		return syscall.EINVAL
	}
	if advice != MadvDontneed && advice != MadvFree {
		return nil
	}
	end := va + pageUp(length)
	as.mu.Lock()
	defer as.mu.Unlock()
	if advice == MadvFree {
		for _, r := range as.rs {
			if r.shm != nil && r.start < end && r.end > va {
				return syscall.EINVAL // as Linux: MADV_FREE is for private memory
			}
		}
	}
	// On shared memory this drops only this mapping: the object keeps the
	// contents, which the next touch maps again.
	as.drop(va, end)
	return nil
}

// Fork returns a copy of the address space over pt: the same regions, and
// every present page shared copy-on-write.  Both sides lose write access
// to the shared pages; the first write to one copies it (fault, unshare).
// Threads of as may run meanwhile: see docs/proc.md for why their TLBs
// need no flush.
func (as *AddressSpace) Fork(pt PageTable) (*AddressSpace, error) {
	as.mu.Lock()
	defer as.mu.Unlock()
	c := New(pt)
	c.rs = append(regions(nil), as.rs...)
	for _, r := range c.rs {
		hold(r.file)
		r.shm.hold()
	}
	c.brkBase, c.brk = as.brkBase, as.brk
	if as.vdso != 0 {
		va, err := pt.MapVDSO()
		if err != nil {
			return nil, err
		}
		c.vdso = va
	}
	// The child's page tables: about a frame per 512 pages.
	if FreeFrames != nil && FreeFrames() < Reserve+uint64(len(as.present)/512)+8 {
		c.Release()
		return nil, ErrNoMemory
	}
	for p := range as.present {
		if i := as.rs.find(p); i >= 0 && as.rs[i].shm != nil {
			continue // stays mapped writable; the child maps it from the object
		}
		as.present[p] = false // before sharing: false is always safe
		c.present[p] = false
	}
	for _, r := range as.rs {
		if r.shm != nil {
			continue // never copy-on-write
		}
		if err := as.pt.Share(pt, r.start, int(r.end-r.start)); err != nil {
			c.Release()
			return nil, ErrNoMemory
		}
	}
	c.grew()
	return c, nil
}
