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

// FakePage is one page of a Fake.
type FakePage struct {
	Data     [PageSize]byte
	Writable bool
	Exec     bool
	User     bool // ring 3 may touch it: false for PROT_NONE
}

func fakePage(prot int) *FakePage {
	return &FakePage{Writable: prot&ProtWrite != 0, Exec: prot&ProtExec != 0, User: prot&(ProtRead|ProtWrite|ProtExec) != 0}
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
	for p := range f.Pages {
		if p >= va && p < end {
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
		if p >= va && p < va+uintptr(size) {
			n := fakePage(prot)
			pg.Writable, pg.Exec, pg.User = n.Writable, n.Exec, n.User
		}
	}
	return nil
}

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
	f.Pages[FakeVDSO] = &FakePage{User: true}
	return FakeVDSO, nil
}

// Free implements PageTable.
func (f *Fake) Free() error {
	f.Pages, f.Freed = nil, true
	return nil
}
