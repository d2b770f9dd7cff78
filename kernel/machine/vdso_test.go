package machine

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"testing"
	"unsafe"
)

// TestVDSOImage reads the vDSO image the way the runtime's parser does
// (runtime/vdso_linux.go), with debug/elf for the headers.
func TestVDSOImage(t *testing.T) {
	ram := fakeMachine(t, 64*pageSize)
	defer keep(ram)
	tscStart, nsMult, wallOffset = 11, 22, 33
	if got := buildVDSO(); got != vdsoAddr {
		t.Fatalf("vDSO at %#x, want %#x", got, vdsoAddr)
	}
	img := unsafe.Slice((*byte)(ptr(phys2virt(vdsoFrame))), pageSize)
	if vv := unsafe.Slice((*uint64)(ptr(phys2virt(vvarFrame))), 3); vv[0] != 11 || vv[1] != 22 || vv[2] != 33 {
		t.Errorf("vvar page %v, want the clock's figures", vv)
	}
	if i := findVMA(vdsoAddr); i < 0 || vmas[i].prot&vmaKernel == 0 || findVMA(vvarAddr) != i {
		t.Errorf("the vDSO pages are not a fixed region of the kernel's address space")
	}
	f, err := elf.NewFile(bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_X86_64 || f.Type != elf.ET_DYN {
		t.Fatalf("header: %v %v %v", f.Class, f.Machine, f.Type)
	}
	var load, dyn *elf.Prog
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_LOAD:
			load = p
		case elf.PT_DYNAMIC:
			dyn = p
		}
	}
	if load == nil || dyn == nil || load.Off != 0 || load.Vaddr != 0 {
		t.Fatalf("program headers: load %v dynamic %v", load, dyn)
	}
	le := binary.LittleEndian
	tags := map[elf.DynTag]uint64{}
	for off := dyn.Off; ; off += 16 {
		tag := elf.DynTag(le.Uint64(img[off:]))
		if tag == elf.DT_NULL {
			break
		}
		tags[tag] = le.Uint64(img[off+8:])
	}
	str := func(off uint64) string {
		s := img[tags[elf.DT_STRTAB]+off:]
		return string(s[:bytes.IndexByte(s, 0)])
	}
	// The hash lookup of __vdso_clock_gettime.
	hash := img[tags[elf.DT_HASH]:]
	nbucket := le.Uint32(hash)
	i := le.Uint32(hash[8+4*(0xd35ec75%nbucket):])
	sym := img[tags[elf.DT_SYMTAB]+24*uint64(i):]
	if name := str(uint64(le.Uint32(sym))); name != "__vdso_clock_gettime" {
		t.Fatalf("hash bucket leads to symbol %d %q", i, name)
	}
	if sym[4] != byte(elf.STB_GLOBAL)<<4|byte(elf.STT_FUNC) || le.Uint16(sym[6:]) == 0 {
		t.Errorf("symbol info %#x shndx %d", sym[4], le.Uint16(sym[6:]))
	}
	// The symbol is the code, copied whole from vdsoClockGettime.
	value := le.Uint64(sym[8:])
	code, end := codeAddr(codeVDSO), codeAddr(codeVDSOEnd)
	want := unsafe.Slice((*byte)(ptr(code)), end-code)
	if value != vdsoCode || !bytes.Equal(img[value:value+uint64(len(want))], want) {
		t.Errorf("symbol value %#x: want the code of vdsoClockGettime at %#x", value, vdsoCode)
	}
	// Its version: the verdef with LINUX_2.6's hash and name, not the base.
	ver := le.Uint16(img[tags[elf.DT_VERSYM]+2*uint64(i):])
	found := false
	for off := tags[elf.DT_VERDEF]; ; {
		d := img[off:]
		flags, ndx, h := le.Uint16(d[2:]), le.Uint16(d[4:]), le.Uint32(d[8:])
		name := str(uint64(le.Uint32(d[le.Uint32(d[12:]):])))
		if flags&1 == 0 && h == linux26Hash && name == "LINUX_2.6" && ndx == ver {
			found = true
		}
		next := le.Uint32(d[16:])
		if next == 0 {
			break
		}
		off += uint64(next)
	}
	if !found {
		t.Errorf("no LINUX_2.6 version definition with index %d", ver)
	}
}
