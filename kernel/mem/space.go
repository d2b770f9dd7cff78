package mem

import (
	"errors"
	"io"
	"sync"
	"syscall"
)

// Layout of a user address space (below 2^47, the lower half).
const (
	UserTop   = 1 << 47
	StackTop  = 0x7fff_ff00_0000 // the main thread's stack ends here
	StackSize = 8 << 20
	mmapTop   = StackTop - StackSize - 1<<30 // mmap places regions below here, top down
	mmapFloor = 0x1_0000_0000
)

// ErrNoMemory is ENOMEM: a fault or mapping that would take the frames
// kept for the kernel.
var ErrNoMemory = syscall.ENOMEM

// FreeFrames reports how many physical frames are free; Reserve is how
// many user memory may never take.  The kernel sets FreeFrames to the
// machine's count; nil (host tests) means plenty.
var (
	FreeFrames func() uint64
	Reserve    uint64 = 4096 // 16 MiB for the kernel's own heap and buffers
)

// AddressSpace is a process's user memory.  Its methods are safe for
// concurrent use by the process's threads.
type AddressSpace struct {
	mu      sync.Mutex
	pt      PageTable
	rs      regions
	present map[uintptr]bool // page -> known writable (false: read-only, or maybe shared copy-on-write)
	brkBase uintptr
	brk     uintptr
	vdso    uintptr
	users   int // processes sharing it (vfork, CLONE_VM)
	peak    int // most pages ever present at once (ru_maxrss)
}

// New returns an empty address space over pt.
func New(pt PageTable) *AddressSpace {
	return &AddressSpace{pt: pt, present: make(map[uintptr]bool), users: 1}
}

// Share returns as with one more user (a CLONE_VM child).
func (as *AddressSpace) Share() *AddressSpace {
	as.mu.Lock()
	as.users++
	as.mu.Unlock()
	return as
}

// PageTable returns the page table, for running threads in it.
func (as *AddressSpace) PageTable() PageTable { return as.pt }

// Pages returns how many pages are present.
func (as *AddressSpace) Pages() int {
	as.mu.Lock()
	defer as.mu.Unlock()
	return len(as.present)
}

// MaxRSS returns the most pages that were ever present at once.
func (as *AddressSpace) MaxRSS() int {
	as.mu.Lock()
	defer as.mu.Unlock()
	return as.peak
}

// grew notes a page made present.  as.mu is held.
func (as *AddressSpace) grew() { as.peak = max(as.peak, len(as.present)) }

// Release drops one user; the last frees every page and the page table.
func (as *AddressSpace) Release() error {
	as.mu.Lock()
	defer as.mu.Unlock()
	if as.users--; as.users > 0 {
		return nil
	}
	for _, r := range as.rs {
		drop(r.file)
		r.shm.put()
	}
	as.rs, as.present = nil, nil
	return as.pt.Free()
}

// MapVDSO maps the vDSO and returns its address (AT_SYSINFO_EHDR).
func (as *AddressSpace) MapVDSO() (uintptr, error) {
	as.mu.Lock()
	defer as.mu.Unlock()
	va, err := as.pt.MapVDSO()
	as.vdso = va
	return va, err
}

// Region adds a mapping at the page-aligned [start, end): zeroes, or
// file's bytes from off for fileLen bytes then zeroes.  It replaces
// whatever was mapped there.
func (as *AddressSpace) Region(start, end uintptr, prot int, file io.ReaderAt, off int64, fileLen uintptr) error {
	as.mu.Lock()
	defer as.mu.Unlock()
	return as.region(start, end, prot, file, off, fileLen)
}

func (as *AddressSpace) region(start, end uintptr, prot int, file io.ReaderAt, off int64, fileLen uintptr) error {
	if start%PageSize != 0 || end%PageSize != 0 || start == 0 || end <= start || end > UserTop {
		return syscall.EINVAL
	}
	as.unmap(start, end)
	r := region{start: start, end: end, prot: prot}
	if file != nil {
		r.file, r.off, r.fileEnd = file, off, start+fileLen
		hold(file)
	}
	as.rs.insert(r)
	return nil
}

// SetBrk sets where the program break starts (the page after the bss).
func (as *AddressSpace) SetBrk(base uintptr) {
	as.mu.Lock()
	as.brkBase, as.brk = pageUp(base), pageUp(base)
	as.mu.Unlock()
}

// Brk moves the program break to to, if it can, and returns the break.
func (as *AddressSpace) Brk(to uintptr) uintptr {
	as.mu.Lock()
	defer as.mu.Unlock()
	if to < as.brkBase || to > as.brkBase+1<<40 {
		return as.brk
	}
	old, nw := pageUp(as.brk), pageUp(to)
	switch {
	case nw > old:
		if !as.rs.free(old, nw) {
			return as.brk
		}
		as.rs.insert(region{start: old, end: nw, prot: ProtRead | ProtWrite})
	case nw < old:
		as.unmap(nw, old)
	}
	as.brk = to
	return as.brk
}

// unmap removes the regions and pages in [start, end).
func (as *AddressSpace) unmap(start, end uintptr) {
	as.rs.remove(start, end)
	as.drop(start, end)
}

// drop frees the present pages of [start, end), keeping the regions.
func (as *AddressSpace) drop(start, end uintptr) {
	n := 0
	if uintptr(len(as.present)) < (end-start)/PageSize {
		for p := range as.present {
			if p >= start && p < end {
				delete(as.present, p)
				n++
			}
		}
	} else {
		for p := start; p < end; p += PageSize {
			if _, ok := as.present[p]; ok {
				delete(as.present, p)
				n++
			}
		}
	}
	if n > 0 {
		as.pt.Unmap(start, int(end-start))
	}
}

// Errors from Fault, which the process layer turns into signals.
var (
	ErrNotMapped = errors.New("mem: no mapping at the address")  // SIGSEGV, SEGV_MAPERR
	ErrAccess    = errors.New("mem: access the mapping forbids") // SIGSEGV, SEGV_ACCERR
)

// Fault makes the page holding va present for an access (write or not),
// as the CPU asked: it maps a zeroed page or the file's bytes.
func (as *AddressSpace) Fault(va uintptr, write bool) error {
	as.mu.Lock()
	defer as.mu.Unlock()
	return as.fault(va, write)
}

// FetchFault handles an instruction fetch the CPU refused at va: a
// present page whose region is not executable is SIGSEGV (SEGV_ACCERR);
// otherwise it is made present like a read.
func (as *AddressSpace) FetchFault(va uintptr) error {
	as.mu.Lock()
	defer as.mu.Unlock()
	i := as.rs.find(va)
	if i < 0 {
		return ErrNotMapped
	}
	if as.rs[i].prot&ProtExec == 0 {
		return ErrAccess
	}
	return as.fault(va, false)
}

func (as *AddressSpace) fault(va uintptr, write bool) error {
	i := as.rs.find(va)
	if i < 0 {
		return ErrNotMapped
	}
	r := &as.rs[i]
	if r.prot&(ProtRead|ProtWrite|ProtExec) == 0 || write && r.prot&ProtWrite == 0 {
		return ErrAccess
	}
	page := pageDown(va)
	if r.shm != nil {
		return as.faultShared(r, page, write)
	}
	w := r.prot&ProtWrite != 0
	if pw, ok := as.present[page]; ok {
		if write && !pw {
			return as.unshare(page, r.prot)
		}
		return nil // another thread got there first
	}
	if FreeFrames != nil && FreeFrames() < Reserve+4 {
		return ErrNoMemory
	}
	if r.file == nil || page >= r.fileEnd {
		if err := as.pt.Map(page, PageSize, r.prot); err != nil {
			return ErrNoMemory
		}
		as.present[page] = w
		as.grew()
		return nil
	}
	// A file page: read, then mapped already filled, so that another
	// thread running the program can never execute or read it half made.
	// A read of a read-only mapping (code, constants) maps its
	// neighbours too.
	lo, hi := page, page+PageSize
	if !w {
		lo = max(r.start, page&^(faultAround*PageSize-1))
		hi = min(r.end, pageUp(r.fileEnd), lo+faultAround*PageSize)
	}
	buf := make([]byte, min(hi, r.fileEnd)-lo)
	n, err := r.file.ReadAt(buf, r.off+int64(lo-r.start))
	if err != nil && err != io.EOF {
		return err
	}
	buf = buf[:n]
	for p := lo; p < hi; p += PageSize {
		if _, ok := as.present[p]; ok {
			continue
		}
		if p != page && FreeFrames != nil && FreeFrames() < Reserve+4 {
			continue // the neighbours only while memory is plentiful
		}
		data := buf[min(int(p-lo), len(buf)):min(int(p-lo)+PageSize, len(buf))]
		if err := as.pt.MapPage(p, data, r.prot); err != nil {
			if p == page {
				return ErrNoMemory
			}
			continue
		}
		as.present[p] = w
	}
	as.grew()
	return nil
}

// faultAround is how many pages, an aligned window of them, a read fault
// of a read-only file mapping maps at once, as Linux's fault_around_bytes
// (64 KiB) does: a program's start reads most of its code, and every
// fault is a trip into the kernel that flushes the TLB twice
// (docs/machine.md, "The cost of a trip to ring 3").
const faultAround = 16

// unshare makes the present page writable for a write the region allows:
// the copy-on-write fault, which copies a frame another address space
// shares (so it needs a frame) or just makes it writable again.
func (as *AddressSpace) unshare(page uintptr, prot int) error {
	if FreeFrames != nil && FreeFrames() < Reserve+4 {
		return ErrNoMemory
	}
	if err := as.pt.Unshare(page, prot); err != nil {
		return ErrNoMemory
	}
	as.present[page] = true
	return nil
}

// touch makes every page of [va, va+n) present for the access, or says
// EFAULT.
func (as *AddressSpace) touch(va uintptr, n int, write bool) error {
	if n == 0 {
		return nil
	}
	if va+uintptr(n) < va || va+uintptr(n) > UserTop {
		return syscall.EFAULT
	}
	for p := pageDown(va); p < va+uintptr(n); p += PageSize {
		if pw, ok := as.present[p]; ok && (pw || !write) {
			// Present, but a PROT_NONE page is EFAULT, as in Linux.
			if i := as.rs.find(p); i < 0 || as.rs[i].prot&(ProtRead|ProtWrite|ProtExec) == 0 {
				return syscall.EFAULT
			}
			continue
		}
		if err := as.fault(p, write); err != nil {
			if err == ErrNoMemory {
				return err
			}
			return syscall.EFAULT
		}
	}
	return nil
}

// Accessible makes the pages of [va, va+n) present for the access, in
// order, and returns how many bytes from va it could: n unless a page
// is bad. It is Linux's fault_in_writeable, for a call that must not
// take data (a TCP receive queue's) that it then cannot copy out.
func (as *AddressSpace) Accessible(va uintptr, n int, write bool) int {
	as.mu.Lock()
	defer as.mu.Unlock()
	done := 0
	for done < n {
		p := va + uintptr(done)
		step := min(n-done, int(PageSize-p%PageSize))
		if as.touch(p, step, write) != nil {
			break
		}
		done += step
	}
	return done
}

// CopyIn copies len(dst) bytes from user address va.  A bad address is
// EFAULT.
func (as *AddressSpace) CopyIn(dst []byte, va uintptr) error {
	as.mu.Lock()
	defer as.mu.Unlock()
	if err := as.touch(va, len(dst), false); err != nil {
		return err
	}
	if len(dst) > 0 && as.pt.CopyIn(dst, va) != nil {
		return syscall.EFAULT
	}
	return nil
}

// CopyOut copies src to user address va, which must be writable.
func (as *AddressSpace) CopyOut(va uintptr, src []byte) error {
	as.mu.Lock()
	defer as.mu.Unlock()
	if err := as.touch(va, len(src), true); err != nil {
		return err
	}
	if len(src) > 0 && as.pt.CopyOut(va, src) != nil {
		return syscall.EFAULT
	}
	return nil
}

// CopyInString reads a NUL-terminated string of at most max bytes from
// va: EFAULT for a bad address, ENAMETOOLONG if no NUL comes in time.
func (as *AddressSpace) CopyInString(va uintptr, max int) (string, error) {
	var out []byte
	for len(out) < max {
		n := min(int(PageSize-va%PageSize), max-len(out))
		buf := make([]byte, n)
		if err := as.CopyIn(buf, va); err != nil {
			return "", err
		}
		for i, c := range buf {
			if c == 0 {
				return string(append(out, buf[:i]...)), nil
			}
		}
		out = append(out, buf...)
		va += uintptr(n)
	}
	return "", syscall.ENAMETOOLONG
}
