package mem

import (
	"io"
	"sort"
)

// Linux's protection bits (mmap, mprotect).
const (
	ProtRead  = 0x1
	ProtWrite = 0x2
	ProtExec  = 0x4
)

// A region is a page-aligned range with one protection and one backing:
// zeroes, or a file's bytes from off up to fileEnd (zeroes after, as in a
// segment's bss).  Private file mappings are copied in on first touch.
type region struct {
	start, end uintptr
	prot       int
	file       io.ReaderAt
	off        int64   // file offset at start
	fileEnd    uintptr // file bytes end here; beyond is zeroes
	shm        *shm    // MAP_SHARED anonymous: the object the pages are in
	shmOff     uintptr // offset in shm at start
}

// regions is a sorted list of non-overlapping regions.
type regions []region

// find returns the index of the region holding va, or -1.
func (rs regions) find(va uintptr) int {
	i := sort.Search(len(rs), func(i int) bool { return rs[i].end > va })
	if i < len(rs) && rs[i].start <= va {
		return i
	}
	return -1
}

// split makes va a region boundary if it falls inside one.
func (rs *regions) split(va uintptr) {
	i := rs.find(va)
	if i < 0 || (*rs)[i].start == va {
		return
	}
	r := (*rs)[i]
	lo, hi := r, r
	lo.end = va
	hi.start = va
	if hi.file != nil {
		hi.off += int64(va - r.start)
	}
	if hi.shm != nil {
		hi.shmOff += va - r.start
	}
	*rs = append(*rs, region{})
	copy((*rs)[i+2:], (*rs)[i+1:])
	(*rs)[i], (*rs)[i+1] = lo, hi
	hold(r.file) // two regions now hold the file (or the object)
	r.shm.hold()
}

// Refs is a mapped file with a reference count (a file.Description): each
// region that maps it holds a reference.
type Refs interface {
	IncRef()
	DecRef() error
}

func hold(f io.ReaderAt) {
	if r, ok := f.(Refs); ok {
		r.IncRef()
	}
}

func drop(f io.ReaderAt) {
	if r, ok := f.(Refs); ok {
		r.DecRef()
	}
}

// remove deletes [start, end) from the list and returns what it held.
func (rs *regions) remove(start, end uintptr) []region {
	rs.split(start)
	rs.split(end)
	var gone []region
	kept := (*rs)[:0]
	for _, r := range *rs {
		if r.start >= start && r.end <= end {
			gone = append(gone, r)
		} else {
			kept = append(kept, r)
		}
	}
	*rs = kept
	for _, r := range gone {
		drop(r.file)
		r.shm.put()
	}
	return gone
}

// insert adds r, which overlaps nothing.
func (rs *regions) insert(r region) {
	i := sort.Search(len(*rs), func(i int) bool { return (*rs)[i].start >= r.end })
	*rs = append(*rs, region{})
	copy((*rs)[i+1:], (*rs)[i:])
	(*rs)[i] = r
	rs.merge()
}

// merge joins neighbours that are anonymous with equal protection, so the
// runtime's heap stays a handful of regions.
func (rs *regions) merge() {
	out := (*rs)[:0]
	for _, r := range *rs {
		if n := len(out); n > 0 && out[n-1].end == r.start && out[n-1].prot == r.prot &&
			out[n-1].file == nil && r.file == nil && out[n-1].shm == nil && r.shm == nil {
			out[n-1].end = r.end
			continue
		}
		out = append(out, r)
	}
	*rs = out
}

// free reports whether [start, end) overlaps no region.
func (rs regions) free(start, end uintptr) bool {
	i := sort.Search(len(rs), func(i int) bool { return rs[i].end > start })
	return i == len(rs) || rs[i].start >= end
}
