package mem

import (
	"syscall"
	"testing"
)

// sharedSpace is an address space with n MAP_SHARED|MAP_ANONYMOUS
// read-write pages at va, none touched yet.
func sharedSpace(t *testing.T, n int) (*AddressSpace, *Fake, uintptr) {
	t.Helper()
	f := NewFake()
	as := New(f)
	va, err := as.Mmap(0, uintptr(n)*PageSize, ProtRead|ProtWrite, MapShared|MapAnonymous, nil, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return as, f, va
}

// TestSharedAnonFork: after fork, parent, child and grandchild see each
// other's writes to MAP_SHARED anonymous memory, from ring 3 and from the
// kernel, whoever touched a page first, and the pages are one set of
// frames, not a copy per process; exit in any order frees them all.
func TestSharedAnonFork(t *testing.T) {
	const n = 4
	for _, order := range [][3]int{{0, 1, 2}, {2, 1, 0}, {1, 0, 2}} {
		frames, shmem := fakeFrames, SharedPages()
		parent, ppt, va := sharedSpace(t, n)
		if err := userWrite(parent, ppt, va, 10); err != nil {
			t.Fatal(err)
		}
		child, cpt := fork(t, parent)
		grand, gpt := fork(t, child)
		as := []*AddressSpace{parent, child, grand}
		pts := []*Fake{ppt, cpt, gpt}
		if got := readByte(t, child, va); got != 10 {
			t.Fatalf("the child reads %d, want the parent's 10", got)
		}
		// Each writes every page in turn; all three see each write.
		for i := range as {
			for p := 0; p < n; p++ {
				b := byte(20*i + p)
				addr := va + uintptr(p)*PageSize + uintptr(i)
				if p%2 == 0 {
					if err := userWrite(as[i], pts[i], addr, b); err != nil {
						t.Fatalf("%d writes page %d: %v", i, p, err)
					}
				} else if err := as[i].CopyOut(addr, []byte{b}); err != nil {
					t.Fatalf("%d copies out to page %d: %v", i, p, err)
				}
				for j := range as {
					if got := readByte(t, as[j], addr); got != b {
						t.Errorf("%d wrote %d to page %d; %d reads %d", i, b, p, j, got)
					}
				}
			}
		}
		if got := fakeFrames - frames; got != n {
			t.Errorf("%d frames for %d shared pages in 3 processes, want %d", got, n, n)
		}
		if got := SharedPages() - shmem; got != n {
			t.Errorf("SharedPages grew by %d, want %d", got, n)
		}
		for _, i := range order {
			if err := as[i].Release(); err != nil {
				t.Fatal(err)
			}
		}
		if fakeFrames != frames || SharedPages() != shmem {
			t.Errorf("exit order %v: %d frames and %d shared pages left", order, fakeFrames-frames, SharedPages()-shmem)
		}
	}
}

// TestSharedAnonUnmap: munmap of all or part of a shared mapping in one
// process leaves the others' view whole, and the contents outlive every
// mapping that touched them while another process still maps the object.
func TestSharedAnonUnmap(t *testing.T) {
	frames := fakeFrames
	parent, ppt, va := sharedSpace(t, 3)
	child, cpt := fork(t, parent)
	for p := uintptr(0); p < 3; p++ {
		if err := userWrite(parent, ppt, va+p*PageSize, byte(1+p)); err != nil {
			t.Fatal(err)
		}
	}
	// The parent unmaps the middle page: its neighbours stay shared.
	if err := parent.Munmap(va+PageSize, PageSize); err != nil {
		t.Fatal(err)
	}
	if err := parent.Fault(va+PageSize, false); err != ErrNotMapped {
		t.Errorf("unmapped page: %v, want ErrNotMapped", err)
	}
	if err := userWrite(child, cpt, va+2*PageSize, 33); err != nil {
		t.Fatal(err)
	}
	if got := readByte(t, parent, va+2*PageSize); got != 33 {
		t.Errorf("after a partial munmap the parent reads %d, want the child's 33", got)
	}
	if got := readByte(t, child, va+PageSize); got != 2 {
		t.Errorf("the child reads %d at the page the parent unmapped, want 2", got)
	}
	// The parent unmaps the rest and exits: the child keeps the bytes,
	// including a page it never touched before.
	if err := parent.Munmap(va, 3*PageSize); err != nil {
		t.Fatal(err)
	}
	parent.Release()
	if got := readByte(t, child, va); got != 1 {
		t.Errorf("the child reads %d after the parent left, want 1", got)
	}
	child.Release()
	if fakeFrames != frames {
		t.Errorf("%d frames left after both exited", fakeFrames-frames)
	}
}

// TestSharedAnonProtectAdvise: mprotect and MADV_DONTNEED act on one
// process's mapping only; the contents stay shared and come back on the
// next touch.  MADV_FREE is refused on shared memory, as Linux does.
func TestSharedAnonProtectAdvise(t *testing.T) {
	parent, ppt, va := sharedSpace(t, 2)
	child, cpt := fork(t, parent)
	defer parent.Release()
	defer child.Release()
	if err := userWrite(child, cpt, va, 5); err != nil {
		t.Fatal(err)
	}
	if err := parent.Mprotect(va, 2*PageSize, ProtRead); err != nil {
		t.Fatal(err)
	}
	if err := parent.Fault(va, true); err != ErrAccess {
		t.Errorf("write to a read-only shared page: %v, want ErrAccess", err)
	}
	if err := userWrite(child, cpt, va, 6); err != nil {
		t.Errorf("the child's mapping lost its write access: %v", err)
	}
	if got := readByte(t, parent, va); got != 6 {
		t.Errorf("read-only parent reads %d, want 6", got)
	}
	if err := parent.Mprotect(va, 2*PageSize, ProtRead|ProtWrite); err != nil {
		t.Fatal(err)
	}
	if err := userWrite(parent, ppt, va, 7); err != nil {
		t.Fatal(err)
	}
	if got := readByte(t, child, va); got != 7 {
		t.Errorf("after mprotect back to read-write the child reads %d, want 7", got)
	}
	if err := parent.Madvise(va, 2*PageSize, MadvDontneed); err != nil {
		t.Fatal(err)
	}
	if ppt.Pages[va] != nil {
		t.Error("MADV_DONTNEED left the page mapped")
	}
	if got := readByte(t, parent, va); got != 7 {
		t.Errorf("after MADV_DONTNEED the parent reads %d, want the shared 7", got)
	}
	if err := parent.Madvise(va, PageSize, MadvFree); err != syscall.EINVAL {
		t.Errorf("MADV_FREE on shared memory: %v, want EINVAL", err)
	}
}

// TestPrivateAnonStaysPrivate: MAP_PRIVATE memory is still copied.
func TestPrivateAnonStaysPrivate(t *testing.T) {
	parent, ppt, va := cowSpace(t, 1)
	child, _ := fork(t, parent)
	defer parent.Release()
	defer child.Release()
	if err := userWrite(parent, ppt, va, 9); err != nil {
		t.Fatal(err)
	}
	if got := readByte(t, child, va); got != 0 {
		t.Errorf("the child of a private mapping reads %d, want its own 0", got)
	}
}
