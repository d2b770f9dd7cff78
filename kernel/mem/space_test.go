package mem

import (
	"bytes"
	"errors"
	"strings"
	"syscall"
	"testing"
)

func TestDemandPagingAndCopy(t *testing.T) {
	f := NewFake()
	as := New(f)
	va, err := as.Mmap(0, 3*PageSize, ProtRead|ProtWrite, MapPrivate|MapAnonymous, nil, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Pages) != 0 {
		t.Fatalf("mmap backed %d pages eagerly", len(f.Pages))
	}
	if err := as.CopyOut(va+PageSize-2, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 5)
	if err := as.CopyIn(got, va+PageSize-2); err != nil || string(got) != "hello" {
		t.Fatalf("read back %q, %v", got, err)
	}
	if len(f.Pages) != 2 {
		t.Fatalf("%d pages present, want the 2 touched", len(f.Pages))
	}
	if s, err := as.CopyInString(va+PageSize-2, 100); err != nil || s != "hello" {
		t.Fatalf("string %q, %v", s, err)
	}
	if _, err := as.CopyInString(va+PageSize-2, 3); !errors.Is(err, syscall.ENAMETOOLONG) {
		t.Fatalf("unterminated string: %v", err)
	}
	for _, bad := range []uintptr{0, va + 3*PageSize, UserTop - 2, ^uintptr(0) - 1} {
		if err := as.CopyIn(got, bad); !errors.Is(err, syscall.EFAULT) {
			t.Errorf("CopyIn at %#x: %v, want EFAULT", bad, err)
		}
	}
}

func TestProtection(t *testing.T) {
	as := New(NewFake())
	ro, _ := as.Mmap(0, PageSize, ProtRead, MapPrivate|MapAnonymous, nil, 0, 0)
	none, _ := as.Mmap(0, PageSize, 0, MapPrivate|MapAnonymous, nil, 0, 0)
	tests := []struct {
		va    uintptr
		write bool
		want  error
	}{
		{ro, false, nil},
		{ro, true, ErrAccess},
		{none, false, ErrAccess},
		{0x1000, false, ErrNotMapped},
	}
	for _, tc := range tests {
		if err := as.Fault(tc.va, tc.write); err != tc.want {
			t.Errorf("fault %#x write=%v: %v, want %v", tc.va, tc.write, err, tc.want)
		}
	}
	if err := as.FetchFault(ro); err != ErrAccess {
		t.Errorf("instruction fetch from a mapping without PROT_EXEC: %v", err)
	}
	if err := as.CopyOut(ro, []byte{1}); !errors.Is(err, syscall.EFAULT) {
		t.Errorf("kernel write to a read-only mapping: %v", err)
	}
	if err := as.Mprotect(ro, PageSize, ProtRead|ProtWrite); err != nil {
		t.Fatal(err)
	}
	if err := as.CopyOut(ro, []byte{1}); err != nil {
		t.Errorf("after mprotect: %v", err)
	}
	if err := as.Mprotect(0x1000, PageSize, ProtRead); !errors.Is(err, syscall.ENOMEM) {
		t.Errorf("mprotect of nothing: %v", err)
	}
}

func TestFileBackedAndDontneed(t *testing.T) {
	f := NewFake()
	as := New(f)
	data := bytes.Repeat([]byte("x"), PageSize+100)
	va, err := as.Mmap(0, 3*PageSize, ProtRead|ProtWrite, MapPrivate, bytes.NewReader(data), 0, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 3*PageSize)
	if err := as.CopyIn(b, va); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b[:len(data)], data) || strings.Trim(string(b[len(data):]), "\x00") != "" {
		t.Fatal("file mapping: wrong bytes or no zeroes after the file")
	}
	as.CopyOut(va, []byte("yy"))
	if err := as.Madvise(va, 3*PageSize, MadvDontneed); err != nil {
		t.Fatal(err)
	}
	if len(f.Pages) != 0 {
		t.Fatalf("DONTNEED kept %d pages", len(f.Pages))
	}
	as.CopyIn(b[:2], va)
	if string(b[:2]) != "xx" {
		t.Fatalf("after DONTNEED a private file page reads %q, want the file's", b[:2])
	}
	anon, _ := as.Mmap(0, PageSize, ProtRead|ProtWrite, MapPrivate|MapAnonymous, nil, 0, 0)
	as.CopyOut(anon, []byte{7})
	as.Madvise(anon, PageSize, MadvDontneed)
	as.CopyIn(b[:1], anon)
	if b[0] != 0 {
		t.Fatal("after DONTNEED an anonymous page is not zero")
	}
}

func TestMmapPlacementAndMunmap(t *testing.T) {
	as := New(NewFake())
	// The Go runtime's pattern: reserve PROT_NONE, commit with MAP_FIXED.
	res, err := as.Mmap(0xc000000000, 64<<20, 0, MapPrivate|MapAnonymous, nil, 0, 0)
	if err != nil || res != 0xc000000000 {
		t.Fatalf("hint not taken: %#x, %v", res, err)
	}
	c, err := as.Mmap(res, 4<<20, ProtRead|ProtWrite, MapPrivate|MapAnonymous|MapFixed, nil, 0, 0)
	if err != nil || c != res {
		t.Fatalf("MAP_FIXED: %#x %v", c, err)
	}
	if err := as.CopyOut(res+100, []byte{1}); err != nil {
		t.Fatal(err)
	}
	if _, err := as.Mmap(res, PageSize, ProtRead, MapPrivate|MapAnonymous|MapNoReplace, nil, 0, 0); !errors.Is(err, syscall.EEXIST) {
		t.Errorf("MAP_FIXED_NOREPLACE over a mapping: %v", err)
	}
	a, _ := as.Mmap(0, PageSize, ProtRead, MapPrivate|MapAnonymous, nil, 0, 0)
	b, _ := as.Mmap(0, PageSize, ProtRead, MapPrivate|MapAnonymous, nil, 0, 0)
	if a == b || a >= mmapTop || b >= mmapTop {
		t.Errorf("placed %#x and %#x", a, b)
	}
	if err := as.Munmap(res, 64<<20); err != nil {
		t.Fatal(err)
	}
	if err := as.Fault(res, false); err != ErrNotMapped {
		t.Errorf("after munmap: %v", err)
	}
	if as.Pages() != 0 {
		t.Errorf("%d pages left", as.Pages())
	}
}

func TestBrkForkAndShare(t *testing.T) {
	as := New(NewFake())
	as.SetBrk(0x600123)
	base := as.Brk(0)
	if base != 0x601000 {
		t.Fatalf("brk starts at %#x", base)
	}
	if got := as.Brk(base + 10000); got != base+10000 {
		t.Fatalf("brk grew to %#x", got)
	}
	as.CopyOut(base+9999, []byte{5})
	child := NewFake()
	cs, err := as.Fork(child)
	if err != nil {
		t.Fatal(err)
	}
	as.CopyOut(base+9999, []byte{6})
	b := []byte{0}
	cs.CopyIn(b, base+9999)
	if b[0] != 5 {
		t.Fatalf("child sees %d: the parent's later write leaked in", b[0])
	}
	if got := as.Brk(base); got != base {
		t.Fatalf("brk shrank to %#x", got)
	}
	if err := as.CopyIn(b, base+9999); !errors.Is(err, syscall.EFAULT) {
		t.Fatalf("after shrinking brk: %v", err)
	}
	s := cs.Share()
	s.Release()
	if child.Freed {
		t.Fatal("released with a user left")
	}
	cs.Release()
	if !child.Freed {
		t.Fatal("last release kept the page table")
	}
}

func TestReserve(t *testing.T) {
	old := FreeFrames
	defer func() { FreeFrames = old }()
	FreeFrames = func() uint64 { return Reserve }
	as := New(NewFake())
	va, _ := as.Mmap(0, PageSize, ProtRead|ProtWrite, MapPrivate|MapAnonymous, nil, 0, 0)
	if err := as.Fault(va, true); err != ErrNoMemory {
		t.Fatalf("fault into the reserve: %v", err)
	}
}

// noBlankMaps is a page table that fails the test if a page is made
// present empty (Map) where it must arrive filled (MapPage).
type noBlankMaps struct {
	*Fake
	t *testing.T
}

func (p noBlankMaps) Map(va uintptr, size int, prot int) error {
	p.t.Errorf("page %#x made present before it was filled", va)
	return p.Fake.Map(va, size, prot)
}

// TestFilePageArrivesFilled: another thread of the program may run while
// a fault is handled, so a file page must never be present and blank.
func TestFilePageArrivesFilled(t *testing.T) {
	as := New(noBlankMaps{NewFake(), t})
	code := bytes.Repeat([]byte{0x90}, 2*PageSize)
	if err := as.Region(0x400000, 0x402000, ProtRead|ProtExec, bytes.NewReader(code), 0, uintptr(len(code))); err != nil {
		t.Fatal(err)
	}
	if err := as.Fault(0x401000, false); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if err := as.CopyIn(b, 0x401fff); err != nil || b[0] != 0x90 {
		t.Fatalf("read %#x, %v", b[0], err)
	}
}

// A present page made PROT_NONE keeps its bytes but ring 3 and system
// calls can no longer touch it (guard pages, the Go runtime's arenas);
// fork keeps it the same, and mprotect back makes it readable again.
func TestProtNonePresentPage(t *testing.T) {
	fake := NewFake()
	as := New(fake)
	va, err := as.Mmap(0, PageSize, ProtRead|ProtWrite, MapPrivate|MapAnonymous, nil, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := as.CopyOut(va, []byte("guard")); err != nil {
		t.Fatal(err)
	}
	if err := as.Mprotect(va, PageSize, 0); err != nil {
		t.Fatal(err)
	}
	if pg := fake.Pages[va]; pg == nil || pg.User || pg.Writable {
		t.Fatalf("PROT_NONE page: %+v, want present without user access", pg != nil && pg.User)
	}
	b := make([]byte, 5)
	if err := as.CopyIn(b, va); !errors.Is(err, syscall.EFAULT) {
		t.Errorf("system call read of a PROT_NONE page: %v, want EFAULT", err)
	}
	if err := as.Fault(va, false); err != ErrAccess {
		t.Errorf("read fault on a PROT_NONE page: %v, want ErrAccess", err)
	}
	cfake := NewFake()
	c, err := as.Fork(cfake)
	if err != nil {
		t.Fatal(err)
	}
	if pg := cfake.Pages[va]; pg == nil || pg.User || string(pg.Data[:5]) != "guard" {
		t.Errorf("forked PROT_NONE page: %v", pg != nil && pg.User)
	}
	for _, s := range []*AddressSpace{as, c} {
		if err := s.Mprotect(va, PageSize, ProtRead); err != nil {
			t.Fatal(err)
		}
		if err := s.CopyIn(b, va); err != nil || string(b) != "guard" {
			t.Errorf("after mprotect(PROT_READ): %q, %v", b, err)
		}
	}
	if !fake.Pages[va].User || !cfake.Pages[va].User {
		t.Error("mprotect(PROT_READ) left the page without user access")
	}
}

// TestFaultAround: a read fault of a read-only file mapping maps the
// aligned 16-page window around it, filled from the file, clipped to the
// region and to the file's pages; a writable mapping faults a page at a
// time, and pages already present stay as they are.
func TestFaultAround(t *testing.T) {
	f := NewFake()
	as := New(noBlankMaps{f, t})
	code := make([]byte, 20*PageSize+100) // the file ends in page 20
	for i := range code {
		code[i] = byte(i/PageSize + 1)
	}
	const base = 0x400000 // 16-page aligned
	if err := as.Region(base, base+40*PageSize, ProtRead|ProtExec, bytes.NewReader(code), 0, uintptr(len(code))); err != nil {
		t.Fatal(err)
	}
	if err := as.Region(base+40*PageSize, base+60*PageSize, ProtRead|ProtWrite, bytes.NewReader(code), 0, uintptr(len(code))); err != nil {
		t.Fatal(err)
	}
	if err := as.Fault(base+3*PageSize+5, false); err != nil {
		t.Fatal(err)
	}
	if len(f.Pages) != 16 {
		t.Errorf("a read fault mapped %d pages, want 16", len(f.Pages))
	}
	if err := as.Fault(base+17*PageSize, false); err != nil {
		t.Fatal(err)
	}
	// The second window is pages 16-20: the file's last page, 20, is
	// partly file and partly zeroes; 21-39 are the region's zero pages,
	// left to be faulted one by one.
	if len(f.Pages) != 21 {
		t.Errorf("after the second window %d pages are mapped, want 21", len(f.Pages))
	}
	for i := 0; i < 21; i++ {
		pg := f.Pages[base+uintptr(i)*PageSize]
		if pg == nil {
			t.Fatalf("page %d not mapped", i)
		}
		if pg.Data[0] != byte(i+1) || pg.Writable {
			t.Errorf("page %d holds %d (writable %v), want %d read-only", i, pg.Data[0], pg.Writable, i+1)
		}
	}
	if last := f.Pages[base+20*PageSize]; last.Data[99] != 21 || last.Data[100] != 0 {
		t.Errorf("the file's last page: %d %d, want 21 then zero", last.Data[99], last.Data[100])
	}
	before := len(f.Pages)
	if err := as.Fault(base+40*PageSize+7, false); err != nil {
		t.Fatal(err)
	}
	if n := len(f.Pages) - before; n != 1 {
		t.Errorf("a writable file mapping's fault mapped %d pages, want 1", n)
	}
}
