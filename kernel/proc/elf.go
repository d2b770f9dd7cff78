package proc

import (
	"debug/elf"
	"io"
	"syscall"

	"scone/kernel/mem"
)

// pieBase is where a static-PIE (ET_DYN) program is loaded, Linux's
// ELF_ET_DYN_BASE without randomisation.
const pieBase = 0x5555_5555_4000

// image is what loading an ELF file decided, for the initial stack.
type image struct {
	entry, phdr  uint64
	phnum, phent uint64
	brk          uint64
	execStack    bool
}

// loadELF maps the PT_LOAD segments of the ELF file r into as, each as a
// private file mapping with its own protection, and returns the entry
// point and program headers' address.  Anything but a static x86-64
// executable (ET_EXEC or static-PIE) is ENOEXEC.
func loadELF(as *mem.AddressSpace, r io.ReaderAt) (image, error) {
	f, err := elf.NewFile(r)
	if err != nil {
		return image{}, syscall.ENOEXEC
	}
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_X86_64 || f.Data != elf.ELFDATA2LSB {
		return image{}, syscall.ENOEXEC
	}
	var base uint64
	switch f.Type {
	case elf.ET_EXEC:
	case elf.ET_DYN:
		base = pieBase
	default:
		return image{}, syscall.ENOEXEC
	}
	img := image{entry: base + f.Entry, phnum: uint64(len(f.Progs)), phent: 56, execStack: true}
	var phoff uint64
	if h, err := elfPhoff(r); err == nil {
		phoff = h
	}
	loads := 0
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			return image{}, syscall.ENOEXEC // no dynamic linking
		case elf.PT_GNU_STACK:
			img.execStack = p.Flags&elf.PF_X != 0
		case elf.PT_PHDR:
			img.phdr = base + p.Vaddr
		case elf.PT_LOAD:
			if err := loadSegment(as, r, base, p); err != nil {
				return image{}, err
			}
			if img.phdr == 0 && phoff >= p.Off && phoff < p.Off+p.Filesz {
				img.phdr = base + p.Vaddr + phoff - p.Off
			}
			img.brk = max(img.brk, base+p.Vaddr+p.Memsz)
			loads++
		}
	}
	if loads == 0 {
		return image{}, syscall.ENOEXEC
	}
	return img, nil
}

// loadSegment maps one PT_LOAD segment.
func loadSegment(as *mem.AddressSpace, r io.ReaderAt, base uint64, p *elf.Prog) error {
	if p.Filesz > p.Memsz || p.Vaddr%mem.PageSize != p.Off%mem.PageSize {
		return syscall.ENOEXEC
	}
	va := base + p.Vaddr
	if va+p.Memsz < va || va+p.Memsz > mem.StackTop-mem.StackSize || va < mem.PageSize {
		return syscall.ENOEXEC
	}
	start := va &^ (mem.PageSize - 1)
	end := (va + p.Memsz + mem.PageSize - 1) &^ (mem.PageSize - 1)
	if end == start {
		return nil
	}
	prot := 0
	if p.Flags&elf.PF_R != 0 {
		prot |= mem.ProtRead
	}
	if p.Flags&elf.PF_W != 0 {
		prot |= mem.ProtWrite
	}
	if p.Flags&elf.PF_X != 0 {
		prot |= mem.ProtExec
	}
	off := int64(p.Off - (va - start))
	fileLen := uintptr(va + p.Filesz - start)
	var file io.ReaderAt = r
	if p.Filesz == 0 {
		file = nil
	}
	return as.Region(uintptr(start), uintptr(end), prot, file, off, fileLen)
}

// elfPhoff reads e_phoff from the ELF header.
func elfPhoff(r io.ReaderAt) (uint64, error) {
	var b [8]byte
	if _, err := r.ReadAt(b[:], 32); err != nil {
		return 0, err
	}
	return le.Uint64(b[:]), nil
}
