package mem

import (
	"bytes"
	"errors"
	"syscall"
	"testing"
)

// cowSpace is an address space with n anonymous read-write pages at va,
// each holding its index, all present.
func cowSpace(t *testing.T, n int) (*AddressSpace, *Fake, uintptr) {
	t.Helper()
	f := NewFake()
	as := New(f)
	if _, err := as.MapVDSO(); err != nil {
		t.Fatal(err)
	}
	va, err := as.Mmap(0, uintptr(n)*PageSize, ProtRead|ProtWrite, MapPrivate|MapAnonymous, nil, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := as.CopyOut(va+uintptr(i)*PageSize, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	return as, f, va
}

func fork(t *testing.T, as *AddressSpace) (*AddressSpace, *Fake) {
	t.Helper()
	f := NewFake()
	c, err := as.Fork(f)
	if err != nil {
		t.Fatal(err)
	}
	return c, f
}

func readByte(t *testing.T, as *AddressSpace, va uintptr) byte {
	t.Helper()
	b := []byte{0}
	if err := as.CopyIn(b, va); err != nil {
		t.Fatalf("read %#x: %v", va, err)
	}
	return b[0]
}

// userWrite is a write from ring 3: the CPU faults on a page that is not
// writable, the fault is handled, and the store is retried.
func userWrite(as *AddressSpace, pt *Fake, va uintptr, b byte) error {
	for try := 0; try < 2; try++ {
		if pg := pt.Pages[pageDown(va)]; pg != nil && pg.Writable && pg.User {
			pg.Data[va%PageSize] = b
			return nil
		}
		if err := as.Fault(va, true); err != nil {
			return err
		}
	}
	return errors.New("the fault did not make the page writable")
}

// TestForkSharesFrames: fork copies no page; each side then writes and
// sees only its own bytes, with one new frame per page written while
// shared; and every frame is freed whichever side exits first.
func TestForkSharesFrames(t *testing.T) {
	const n = 4
	tests := []struct {
		name             string
		parent, child    []int // pages each side writes, in order (parent first)
		newFrames        int   // frames the writes take
		parentExitsFirst bool
	}{
		{"nobody writes", nil, nil, 0, true},
		{"parent writes", []int{0, 1}, nil, 2, true},
		{"child writes", nil, []int{2}, 1, false},
		{"both write the same page", []int{3}, []int{3}, 1, true}, // the child's is no longer shared
		{"both write everything", []int{0, 1, 2, 3}, []int{0, 1, 2, 3}, 4, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := fakeFrames
			as, pf, va := cowSpace(t, n)
			c, cf := fork(t, as)
			if fakeFrames != base+n {
				t.Fatalf("fork took %d frames, want none", fakeFrames-base-n)
			}
			for i := 0; i < n; i++ {
				p := va + uintptr(i)*PageSize
				if pf.Pages[p].FakeFrame != cf.Pages[p].FakeFrame || pf.Pages[p].Writable || cf.Pages[p].Writable {
					t.Fatalf("page %d: not shared read-only", i)
				}
			}
			for _, i := range tc.parent {
				if err := userWrite(as, pf, va+uintptr(i)*PageSize, 0x50+byte(i)); err != nil {
					t.Fatal(err)
				}
			}
			for _, i := range tc.child {
				if err := userWrite(c, cf, va+uintptr(i)*PageSize, 0xc0+byte(i)); err != nil {
					t.Fatal(err)
				}
			}
			if got := fakeFrames - base - n; got != tc.newFrames {
				t.Errorf("the writes took %d frames, want %d", got, tc.newFrames)
			}
			for i := 0; i < n; i++ {
				want := map[*AddressSpace]byte{as: byte(i), c: byte(i)}
				for _, j := range tc.parent {
					if j == i {
						want[as] = 0x50 + byte(i)
					}
				}
				for _, j := range tc.child {
					if j == i {
						want[c] = 0xc0 + byte(i)
					}
				}
				for s, w := range want {
					if got := readByte(t, s, va+uintptr(i)*PageSize); got != w {
						t.Errorf("page %d: %#x, want %#x", i, got, w)
					}
				}
			}
			first, second := as, c
			if !tc.parentExitsFirst {
				first, second = c, as
			}
			first.Release()
			for i := 0; i < n; i++ {
				readByte(t, second, va+uintptr(i)*PageSize)
			}
			second.Release()
			if fakeFrames != base {
				t.Errorf("%d frames left after both exited", fakeFrames-base)
			}
		})
	}
}

// TestCowThreeGenerations: a grandchild shares what the child shares with
// the parent; each writes its own copy; the last one standing keeps the
// original frame and writes it in place.
func TestCowThreeGenerations(t *testing.T) {
	base := fakeFrames
	as, pf, va := cowSpace(t, 2)
	c, cf := fork(t, as)
	g, gf := fork(t, c)
	if pg := gf.Pages[va]; pg.FakeFrame != pf.Pages[va].FakeFrame || pg.Refs != 3 {
		t.Fatalf("grandchild's page: %d mappings of the frame, want 3 shared", pg.Refs)
	}
	for i, w := range []struct {
		as *AddressSpace
		pt *Fake
	}{{as, pf}, {c, cf}, {g, gf}} {
		if err := userWrite(w.as, w.pt, va, byte(10+i)); err != nil {
			t.Fatal(err)
		}
	}
	if fakeFrames-base != 2+2 { // page 0 copied twice; the last writer kept the original
		t.Errorf("%d frames, want 4", fakeFrames-base)
	}
	for i, s := range []*AddressSpace{as, c, g} {
		if got := readByte(t, s, va); got != byte(10+i) {
			t.Errorf("generation %d reads %d", i, got)
		}
		if got := readByte(t, s, va+PageSize); got != 1 {
			t.Errorf("generation %d: unwritten page reads %d", i, got)
		}
	}
	c.Release()
	as.Release()
	if pg := gf.Pages[va+PageSize]; pg.Refs != 1 {
		t.Errorf("after two exits the grandchild's page has %d mappings", pg.Refs)
	}
	g.Release()
	if fakeFrames != base {
		t.Errorf("%d frames left", fakeFrames-base)
	}
}

// TestCowAfterFork: what the parent or child does to a shared page after
// fork never shows on the other side, and counts stay right.
func TestCowAfterFork(t *testing.T) {
	tests := []struct {
		name string
		do   func(t *testing.T, as *AddressSpace, pt *Fake, va uintptr) // on one side, page 0
		want byte                                                       // what that side reads after
	}{
		{"munmap", func(t *testing.T, as *AddressSpace, pt *Fake, va uintptr) {
			if err := as.Munmap(va, PageSize); err != nil {
				t.Fatal(err)
			}
			as.Mmap(va, PageSize, ProtRead|ProtWrite, MapPrivate|MapAnonymous|MapFixed, nil, 0, 0)
		}, 0},
		{"MADV_DONTNEED", func(t *testing.T, as *AddressSpace, pt *Fake, va uintptr) {
			if err := as.Madvise(va, PageSize, MadvDontneed); err != nil {
				t.Fatal(err)
			}
		}, 0},
		{"mprotect read-only then read-write, then a user write", func(t *testing.T, as *AddressSpace, pt *Fake, va uintptr) {
			as.Mprotect(va, PageSize, ProtRead)
			as.Mprotect(va, PageSize, ProtRead|ProtWrite)
			if pt.Pages[va].Writable {
				t.Error("mprotect made a shared page writable")
			}
			if err := userWrite(as, pt, va, 0x77); err != nil {
				t.Fatal(err)
			}
		}, 0x77},
		{"kernel write (read(2) into the page)", func(t *testing.T, as *AddressSpace, pt *Fake, va uintptr) {
			if err := as.CopyOut(va, []byte{0x66}); err != nil {
				t.Fatal(err)
			}
		}, 0x66},
		{"kernel read (write(2) from the page) copies nothing", func(t *testing.T, as *AddressSpace, pt *Fake, va uintptr) {
			n := fakeFrames
			readByte(t, as, va)
			if fakeFrames != n || pt.Pages[va].Refs != 2 {
				t.Error("a read broke the sharing")
			}
		}, 0},
		{"PROT_NONE then read-write", func(t *testing.T, as *AddressSpace, pt *Fake, va uintptr) {
			as.Mprotect(va, PageSize, 0)
			if err := as.CopyOut(va, []byte{1}); !errors.Is(err, syscall.EFAULT) {
				t.Errorf("kernel write to PROT_NONE: %v", err)
			}
			if err := as.Fault(va, true); err != ErrAccess {
				t.Errorf("user write to PROT_NONE: %v", err)
			}
			as.Mprotect(va, PageSize, ProtRead|ProtWrite)
			if err := userWrite(as, pt, va, 0x55); err != nil {
				t.Fatal(err)
			}
		}, 0x55},
	}
	for _, tc := range tests {
		for _, side := range []string{"parent", "child"} {
			t.Run(tc.name+"/"+side, func(t *testing.T) {
				base := fakeFrames
				as, pf, va := cowSpace(t, 2)
				c, cf := fork(t, as)
				doer, doerPT, other := as, pf, c
				if side == "child" {
					doer, doerPT, other = c, cf, as
				}
				tc.do(t, doer, doerPT, va)
				if got := readByte(t, doer, va); got != tc.want {
					t.Errorf("%s reads %#x, want %#x", side, got, tc.want)
				}
				if got := readByte(t, other, va); got != 0 {
					t.Errorf("the other side reads %#x, want its own 0", got)
				}
				if err := other.CopyOut(va, []byte{9}); err != nil || readByte(t, doer, va) != tc.want {
					t.Errorf("the other side's write: %v, or it leaked", err)
				}
				as.Release()
				c.Release()
				if fakeFrames != base {
					t.Errorf("%d frames left", fakeFrames-base)
				}
			})
		}
	}
}

// TestCowPages: a page read-only before fork (code, a file's page) stays
// shared in both; a private file page written after fork is the writer's
// own; a PROT_NONE page is shared as it is.
func TestCowPages(t *testing.T) {
	base := fakeFrames
	as := New(NewFake())
	file := bytes.Repeat([]byte("f"), 2*PageSize)
	if err := as.Region(0x400000, 0x402000, ProtRead|ProtExec, bytes.NewReader(file), 0, 2*PageSize); err != nil {
		t.Fatal(err)
	}
	data, _ := as.Mmap(0, PageSize, ProtRead|ProtWrite, MapPrivate, bytes.NewReader(file), 0, int64(len(file)))
	none, _ := as.Mmap(0, PageSize, ProtRead|ProtWrite, MapPrivate|MapAnonymous, nil, 0, 0)
	as.CopyOut(none, []byte("guard"))
	as.Mprotect(none, PageSize, 0)
	readByte(t, as, 0x400000)
	readByte(t, as, data)
	pf := as.PageTable().(*Fake)
	c, cf := fork(t, as)
	for _, p := range []uintptr{0x400000, data, none} {
		if pf.Pages[p].FakeFrame != cf.Pages[p].FakeFrame {
			t.Errorf("%#x not shared", p)
		}
	}
	if cf.Pages[none].User {
		t.Error("the child's PROT_NONE page is user-accessible")
	}
	if err := c.CopyOut(data, []byte("c")); err != nil {
		t.Fatal(err)
	}
	if readByte(t, as, data) != 'f' || readByte(t, c, data) != 'c' {
		t.Error("a private file page's write leaked")
	}
	if err := c.Fault(0x400000, true); err != ErrAccess {
		t.Errorf("write to shared code: %v, want ErrAccess", err)
	}
	as.Release()
	c.Mprotect(none, PageSize, ProtRead)
	b := make([]byte, 5)
	if err := c.CopyIn(b, none); err != nil || string(b) != "guard" {
		t.Errorf("child's PROT_NONE page after the parent exited: %q %v", b, err)
	}
	c.Release()
	if fakeFrames != base {
		t.Errorf("%d frames left", fakeFrames-base)
	}
}

// TestCowReserve: a write that must copy a shared page when only the
// reserve is left fails with ErrNoMemory (the process is killed); reads
// still work, and so does fork itself until its page tables would dip in.
func TestCowReserve(t *testing.T) {
	old := FreeFrames
	defer func() { FreeFrames = old }()
	as, pf, va := cowSpace(t, 2)
	c, _ := fork(t, as)
	FreeFrames = func() uint64 { return Reserve }
	if err := userWrite(as, pf, va, 1); err != ErrNoMemory {
		t.Errorf("copy-on-write fault into the reserve: %v, want ErrNoMemory", err)
	}
	if err := as.CopyOut(va, []byte{1}); err != ErrNoMemory {
		t.Errorf("kernel write into the reserve: %v, want ErrNoMemory", err)
	}
	if readByte(t, as, va+PageSize) != 1 {
		t.Error("read failed")
	}
	if _, err := as.Fork(NewFake()); err != ErrNoMemory {
		t.Errorf("fork at the reserve: %v", err)
	}
	FreeFrames = old
	if err := userWrite(as, pf, va, 1); err != nil {
		t.Errorf("with memory back: %v", err)
	}
	as.Release()
	c.Release()
}
