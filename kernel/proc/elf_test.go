package proc

import (
	"bytes"
	"debug/elf"
	"os"
	"syscall"
	"testing"

	"scone/kernel/mem"
)

// TestLoadELF loads this test binary (a static ET_EXEC under
// CGO_ENABLED=0, or a PIE) into a fake address space and reads its
// segments back through the mappings.
func TestLoadELF(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Skip("dynamically linked test binary")
		}
	}
	as := mem.New(mem.NewFake())
	img, err := loadELF(as, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	base := uint64(0)
	if f.Type == elf.ET_DYN {
		base = pieBase
	}
	if img.entry != base+f.Entry || img.phnum != uint64(len(f.Progs)) || img.phdr == 0 {
		t.Fatalf("entry %#x phdr %#x phnum %d", img.entry, img.phdr, img.phnum)
	}
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD || p.Filesz == 0 {
			continue
		}
		got := make([]byte, 64)
		if err := as.CopyIn(got, uintptr(base+p.Vaddr)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data[p.Off:p.Off+64]) {
			t.Errorf("segment at %#x: wrong bytes", p.Vaddr)
		}
		// Text is not writable by the program or the kernel on its behalf.
		if p.Flags&elf.PF_W == 0 {
			if err := as.CopyOut(uintptr(base+p.Vaddr), []byte{0}); err == nil {
				t.Errorf("read-only segment at %#x took a write", p.Vaddr)
			}
		}
	}
	for _, bad := range [][]byte{[]byte("\x7fELF garbage"), data[:64]} {
		if _, err := loadELF(mem.New(mem.NewFake()), bytes.NewReader(bad)); err != syscall.ENOEXEC {
			t.Errorf("garbage: %v, want ENOEXEC", err)
		}
	}
}
