package machine

// The vDSO: without one, every nanotime in the runtime is a clock_gettime
// system call (more than half of all of them).  The kernel hands the
// runtime (AT_SYSINFO_EHDR) a minimal ELF image whose dynamic symbol
// __vdso_clock_gettime, version LINUX_2.6, is a few instructions that read
// the TSC and scale it with the same figures as nanotime, which they find
// in the vvar page.  The image holds only what the runtime's parser
// (runtime/vdso_linux.go) reads: one PT_LOAD, a dynamic table, a SysV hash
// table, the symbol and version tables and strings.
//
// Two frames, built once at boot and mapped read-only at the same two
// addresses at the top of the lower half of every address space: the
// kernel's (supervisor) and each user program's (MapVDSO, user).  The
// code is position independent and finds the vvar page by its address.
const (
	vdsoAddr = userTop - 2*pageSize // the ELF image, then the code at vdsoCode
	vvarAddr = userTop - pageSize   // tscStart, nsMult, wallOffset
	vdsoCode = 512                  // offset of the code in the vDSO page
)

// vdsoClockGettime's bytes are copied into the vDSO page; vdsoEnd follows
// it in the text and marks its end.
func vdsoClockGettime()
func vdsoEnd()

var vdsoFrame, vvarFrame uintptr

// Offsets in the image.
const (
	vdsoPhdrs  = 64
	vdsoDyn    = 176
	vdsoHash   = 320
	vdsoSymtab = 344
	vdsoVersym = 392
	vdsoVerdef = 400
	vdsoStrtab = 456
	vdsoSize   = 496

	vdsoStrFunc    = 1  // "__vdso_clock_gettime"
	vdsoStrVersion = 22 // "LINUX_2.6"
	vdsoStrBase    = 32 // "scone"
	vdsoStrings    = "\x00__vdso_clock_gettime\x00LINUX_2.6\x00scone\x00"

	linux26Hash = 0x3ae75f6 // ELF hash of "LINUX_2.6"
)

//go:nosplit
func vdsoPut(off uintptr, v uint64, size uintptr) {
	p := phys2virt(vdsoFrame) + off
	switch size {
	case 2:
		*(*uint16)(ptr(p)) = uint16(v)
	case 1:
		*(*byte)(ptr(p)) = byte(v)
	case 4:
		*(*uint32)(ptr(p)) = uint32(v)
	default:
		*(*uint64)(ptr(p)) = v
	}
}

// buildVDSO builds the vDSO and vvar pages, maps them into the kernel's
// address space, and returns the vDSO's address.  It runs after the
// clock is calibrated.
//
//go:nosplit
func buildVDSO() uintptr {
	vdsoFrame, vvarFrame = allocZeroFrame(), allocZeroFrame()
	code, end := codeAddr(codeVDSO), codeAddr(codeVDSOEnd)
	if vdsoFrame == 0 || vvarFrame == 0 || end <= code || end-code > pageSize-vdsoCode {
		fatal("cannot build the vDSO", nil)
	}
	memcopy(phys2virt(vdsoFrame)+vdsoCode, code, end-code)
	vv := phys2virt(vvarFrame)
	*(*uint64)(ptr(vv)) = tscStart
	*(*uint64)(ptr(vv + 8)) = nsMult
	*(*int64)(ptr(vv + 16)) = wallOffset
	if !mapPage(kernelRoot, vdsoAddr, vdsoFrame, 0) || !mapPage(kernelRoot, vvarAddr, vvarFrame, 0) ||
		!insertVMA(vdsoAddr, userTop, vmaKernel|protRead|protExec) {
		fatal("cannot map the vDSO", nil)
	}
	// ELF header: 64-bit, little-endian, shared object, x86-64.
	vdsoPut(0, 0x00010102464c457f, 8)
	vdsoPut(16, 3, 2)  // ET_DYN
	vdsoPut(18, 62, 2) // EM_X86_64
	vdsoPut(20, 1, 4)
	vdsoPut(32, vdsoPhdrs, 8)
	vdsoPut(52, 64, 2) // e_ehsize
	vdsoPut(54, 56, 2) // e_phentsize
	vdsoPut(56, 2, 2)  // e_phnum
	// PT_LOAD of the whole image at vaddr 0, then PT_DYNAMIC.
	for i, ph := range [2]struct{ typ, off, size uint64 }{{1, 0, vdsoSize}, {2, vdsoDyn, vdsoHash - vdsoDyn}} {
		p := uintptr(vdsoPhdrs + i*56)
		vdsoPut(p, ph.typ, 4)
		vdsoPut(p+4, 4|1, 4) // R+X
		vdsoPut(p+8, ph.off, 8)
		vdsoPut(p+16, ph.off, 8)
		vdsoPut(p+24, ph.off, 8)
		vdsoPut(p+32, ph.size, 8)
		vdsoPut(p+40, ph.size, 8)
		vdsoPut(p+48, 8, 8)
	}
	dyn := [...][2]uint64{
		{4, vdsoHash}, {5, vdsoStrtab}, {6, vdsoSymtab}, {10, uint64(len(vdsoStrings))}, {11, 24},
		{0x6ffffff0, vdsoVersym}, {0x6ffffffc, vdsoVerdef}, {0x6ffffffd, 2}, {0, 0},
	}
	for i := range dyn {
		vdsoPut(vdsoDyn+uintptr(i)*16, dyn[i][0], 8)
		vdsoPut(vdsoDyn+uintptr(i)*16+8, dyn[i][1], 8)
	}
	// Hash table: one bucket holding symbol 1, whose chain ends.
	vdsoPut(vdsoHash, 1, 4)   // nbucket
	vdsoPut(vdsoHash+4, 2, 4) // nchain
	vdsoPut(vdsoHash+8, 1, 4) // bucket[0]
	// Symbol 1: a global function in some section, valued relative to the
	// image's load address (the runtime adds that address back).
	sym := uintptr(vdsoSymtab + 24)
	vdsoPut(sym, vdsoStrFunc, 4)
	vdsoPut(sym+4, 0x12, 2)     // st_info STB_GLOBAL|STT_FUNC, st_other 0
	vdsoPut(sym+6, 1, 2)        // st_shndx: defined
	vdsoPut(sym+8, vdsoCode, 8) // relative to the image, which is at vaddr 0
	vdsoPut(vdsoVersym+2, 2, 2) // symbol 1 has version index 2
	// Version definitions: the base (the image's name), then LINUX_2.6.
	for i, d := range [2]struct{ flags, ndx, hash, name, next uint64 }{{1, 1, 0, vdsoStrBase, 28}, {0, 2, linux26Hash, vdsoStrVersion, 0}} {
		p := uintptr(vdsoVerdef + i*28)
		vdsoPut(p, 1, 2) // vd_version
		vdsoPut(p+2, d.flags, 2)
		vdsoPut(p+4, d.ndx, 2)
		vdsoPut(p+6, 1, 2) // vd_cnt
		vdsoPut(p+8, d.hash, 4)
		vdsoPut(p+12, 20, 4) // vd_aux: right after
		vdsoPut(p+16, d.next, 4)
		vdsoPut(p+20, d.name, 4) // vda_name
	}
	for i := 0; i < len(vdsoStrings); i++ {
		vdsoPut(vdsoStrtab+uintptr(i), uint64(vdsoStrings[i]), 1)
	}
	return vdsoAddr
}

// isVDSOFrame reports whether f is one of the frames every address space
// shares, which unmapping and freeing an address space must leave alone.
//
//go:nosplit
func isVDSOFrame(f uintptr) bool { return f == vdsoFrame || f == vvarFrame }
