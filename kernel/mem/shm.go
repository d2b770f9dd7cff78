package mem

import (
	"sync"
	"sync/atomic"
)

// shm is the memory behind a MAP_SHARED|MAP_ANONYMOUS mapping: the object
// every process that inherits the mapping by fork maps, so each sees the
// others' writes (Linux backs it with a shmem file).  Its frames live in
// a page table of their own, page i at shmBase + i*PageSize, zeroed on
// the first touch by any sharer; a process's fault maps the frame there
// into its own page table too (PageTable.Alias), writable, never
// copy-on-write.  Each region that refers to the object holds a
// reference; the last one gone frees the table and with it the object's
// hold on the frames, which go when their last mapping does.
type shm struct {
	mu    sync.Mutex
	pt    PageTable
	pages map[uintptr]bool // offsets of the pages made so far
	refs  int              // regions referring to it
}

const shmBase = PageSize // the object's page table refuses page 0

// shmPages counts the pages of every live object: /proc/meminfo's Shmem.
var shmPages atomic.Int64

// SharedPages returns how many pages MAP_SHARED anonymous objects hold.
func SharedPages() int64 { return shmPages.Load() }

// newShm returns an object with one reference, over a page table of the
// same kind as like.
func newShm(like PageTable) (*shm, error) {
	pt, err := like.New()
	if err != nil {
		return nil, err
	}
	return &shm{pt: pt, pages: make(map[uintptr]bool), refs: 1}, nil
}

// hold adds a reference (a region split in two, or copied by fork).
func (s *shm) hold() {
	if s != nil {
		s.mu.Lock()
		s.refs++
		s.mu.Unlock()
	}
}

// put drops a reference; the last frees the object.
func (s *shm) put() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refs--; s.refs > 0 {
		return
	}
	shmPages.Add(-int64(len(s.pages)))
	s.pages = nil
	s.pt.Free()
}

// mapInto maps the object's page at offset off at va of pt with
// protection prot, making (zeroing) the page first if no sharer has
// touched it yet.
func (s *shm) mapInto(pt PageTable, off, va uintptr, prot int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.pages[off] {
		if err := s.pt.Map(shmBase+off, PageSize, ProtRead|ProtWrite); err != nil {
			return err
		}
		s.pages[off] = true
		shmPages.Add(1)
	}
	return pt.Alias(s.pt, shmBase+off, va, prot)
}

// faultShared makes the page of the shared region r present for an
// access: mapped from the object, writable if r is.  A present page that
// is read-only (after mprotect or fork) is mapped again.
func (as *AddressSpace) faultShared(r *region, page uintptr, write bool) error {
	if pw, ok := as.present[page]; ok {
		if pw || !write {
			return nil
		}
		as.pt.Unmap(page, PageSize)
		delete(as.present, page)
	}
	if FreeFrames != nil && FreeFrames() < Reserve+4 {
		return ErrNoMemory
	}
	if err := r.shm.mapInto(as.pt, r.shmOff+page-r.start, page, r.prot); err != nil {
		return ErrNoMemory
	}
	as.present[page] = r.prot&ProtWrite != 0
	as.grew()
	return nil
}

// FutexKey returns what names the word at va for futexes: for MAP_SHARED
// anonymous memory the object and the offset in it, the same in every
// process that maps it; otherwise as itself and va.
func (as *AddressSpace) FutexKey(va uintptr) (any, uintptr) {
	as.mu.Lock()
	defer as.mu.Unlock()
	if i := as.rs.find(va); i >= 0 && as.rs[i].shm != nil {
		r := &as.rs[i]
		return r.shm, r.shmOff + va - r.start
	}
	return as, va
}
