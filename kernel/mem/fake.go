package mem

import (
	"errors"
	"syscall"
)

// Fake is a PageTable in ordinary Go memory, for host tests of the memory,
// process and system-call layers.
type Fake struct {
	Pages map[uintptr]*FakePage
	Freed bool
}

// FakePage is one page of a Fake: a mapping of a frame.
type FakePage struct {
	*FakeFrame
	Writable bool
	Exec     bool
	User     bool // ring 3 may touch it: false for PROT_NONE
}

// FakeFrame is the memory behind FakePages: one page table's, or shared
// copy-on-write by forked ones.
type FakeFrame struct {
	Data [PageSize]byte
	Refs int // pages mapping it
}

// fakeFrames counts the frames of every Fake that some page still maps.
var fakeFrames int

// fakeVDSO is the vDSO's frame, which every Fake maps and none frees.
var fakeVDSO = &FakeFrame{Refs: 1}

func fakePage(prot int) *FakePage {
	fakeFrames++
	pg := &FakePage{FakeFrame: &FakeFrame{Refs: 1}}
	pg.setProt(prot)
	return pg
}

// setProt gives pg the protection prot; a shared frame stays read-only.
func (pg *FakePage) setProt(prot int) {
	pg.Writable = prot&ProtWrite != 0 && pg.Refs == 1
	pg.Exec = prot&ProtExec != 0
	pg.User = prot&(ProtRead|ProtWrite|ProtExec) != 0
}

// put drops pg's mapping of its frame; the last frees the frame.
func (pg *FakePage) put() {
	if pg.FakeFrame == fakeVDSO {
		return
	}
	if pg.Refs--; pg.Refs == 0 {
		fakeFrames--
	}
}

// NewFake returns an empty fake page table.
func NewFake() *Fake { return &Fake{Pages: make(map[uintptr]*FakePage)} }

var errFake = errors.New("mem: fake page table: bad range")

func (f *Fake) check(va uintptr, size int) error {
	if va%PageSize != 0 || size <= 0 || va+uintptr(size) > UserTop || va == 0 {
		return errFake
	}
	return nil
}

// Map implements PageTable.
func (f *Fake) Map(va uintptr, size int, prot int) error {
	if err := f.check(va, size); err != nil {
		return err
	}
	for p := va; p < va+uintptr(size); p += PageSize {
		if f.Pages[p] != nil {
			return syscall.EEXIST
		}
		f.Pages[p] = fakePage(prot)
	}
	return nil
}

// MapPage implements PageTable.
func (f *Fake) MapPage(va uintptr, data []byte, prot int) error {
	if err := f.check(va, PageSize); err != nil || len(data) > PageSize {
		return errFake
	}
	if f.Pages[va] != nil {
		return syscall.EEXIST
	}
	pg := fakePage(prot)
	copy(pg.Data[:], data)
	f.Pages[va] = pg
	return nil
}

// Unmap implements PageTable.
func (f *Fake) Unmap(va uintptr, size int) error {
	if err := f.check(va, size); err != nil {
		return err
	}
	end := va + uintptr(pageUp(uintptr(size)))
	for p, pg := range f.Pages {
		if p >= va && p < end {
			pg.put()
			delete(f.Pages, p)
		}
	}
	return nil
}

// Protect implements PageTable.
func (f *Fake) Protect(va uintptr, size int, prot int) error {
	if err := f.check(va, size); err != nil {
		return err
	}
	for p, pg := range f.Pages {
		if p >= va && p < va+uintptr(size) && pg.FakeFrame != fakeVDSO {
			pg.setProt(prot)
		}
	}
	return nil
}

// fake returns f, also through a type that embeds it.
func (f *Fake) fake() *Fake { return f }

// Share implements PageTable.
func (f *Fake) Share(child PageTable, va uintptr, size int) error {
	c, ok := child.(interface{ fake() *Fake })
	if err := f.check(va, size); err != nil || !ok || c.fake() == f {
		return errFake
	}
	cf := c.fake()
	for p, pg := range f.Pages {
		if p < va || p >= va+uintptr(size) || pg.FakeFrame == fakeVDSO {
			continue
		}
		if cf.Pages[p] != nil {
			return syscall.EEXIST
		}
		pg.Refs++
		pg.Writable = false
		cp := *pg
		cf.Pages[p] = &cp
	}
	return nil
}

// Unshare implements PageTable.
func (f *Fake) Unshare(va uintptr, prot int) error {
	pg := f.Pages[va]
	if pg == nil || pg.FakeFrame == fakeVDSO {
		return syscall.EFAULT
	}
	if prot&ProtWrite == 0 {
		return errFake
	}
	if pg.Refs > 1 {
		pg.Refs--
		fakeFrames++
		pg.FakeFrame = &FakeFrame{Data: pg.Data, Refs: 1}
	}
	pg.setProt(prot)
	return nil
}

// Alias implements PageTable.
func (f *Fake) Alias(src PageTable, srcVA, va uintptr, prot int) error {
	s, ok := src.(interface{ fake() *Fake })
	if err := f.check(va, PageSize); err != nil || !ok || s.fake() == f {
		return errFake
	}
	pg := s.fake().Pages[srcVA]
	if pg == nil || pg.FakeFrame == fakeVDSO {
		return syscall.EFAULT
	}
	if f.Pages[va] != nil {
		return syscall.EEXIST
	}
	pg.Refs++
	np := &FakePage{FakeFrame: pg.FakeFrame}
	np.setProt(prot)
	np.Writable = prot&ProtWrite != 0 // shared on purpose: not copy-on-write
	f.Pages[va] = np
	return nil
}

// New implements PageTable.
func (f *Fake) New() (PageTable, error) { return NewFake(), nil }

func (f *Fake) copy(va uintptr, b []byte, out bool) error {
	for len(b) > 0 {
		pg := f.Pages[pageDown(va)]
		if pg == nil || out && !(pg.Writable && pg.User) { // as the machine: reads need only a present page
			return syscall.EFAULT
		}
		off := int(va % PageSize)
		var n int
		if out {
			n = copy(pg.Data[off:], b)
		} else {
			n = copy(b, pg.Data[off:])
		}
		b, va = b[n:], va+uintptr(n)
	}
	return nil
}

// CopyIn implements PageTable.
func (f *Fake) CopyIn(b []byte, va uintptr) error { return f.copy(va, b, false) }

// CopyOut implements PageTable.
func (f *Fake) CopyOut(va uintptr, b []byte) error { return f.copy(va, b, true) }

// FakeVDSO is where Fake says the vDSO is.
const FakeVDSO = 0x7fff_ffff_e000

// MapVDSO implements PageTable.
func (f *Fake) MapVDSO() (uintptr, error) {
	f.Pages[FakeVDSO] = &FakePage{FakeFrame: fakeVDSO, User: true}
	return FakeVDSO, nil
}

// Free implements PageTable.
func (f *Fake) Free() error {
	for _, pg := range f.Pages {
		pg.put()
	}
	f.Pages, f.Freed = nil, true
	return nil
}
