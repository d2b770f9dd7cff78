package machine

// Boot: from the stub's hand-over to the Go runtime's first instruction.

import "unsafe"

// bootInfo is what boot/boot.S leaves for the kernel (all fields 64-bit).
type bootInfo struct {
	magic                  uint64
	cmdline, cmdlineLen    uint64
	mmap, mmapLen          uint64
	kernelStart, kernelEnd uint64
	stubStart, stubEnd     uint64
	moduleStart, moduleEnd uint64
	fileEnd                uint64 // end of the kernel's file-backed data; bss follows
}

const bootMagic = 0x4f4f424e4f4353 // "SCONBOO"

var (
	bootInfoAddr uintptr // set by entry
	cmdline      [1024]byte
	cmdlineLen   int
	argv, envp   [32]uintptr // for buildInitStack; globals, to keep the nosplit stack small
	kernelStart  uintptr
	kernelEnd    uintptr
	fileEnd      uintptr
)

// boot0 sets the machine up and returns the stack pointer to enter the Go
// runtime with.  It runs on kstack, interrupts off, before any Go runtime
// code: nothing here may touch the runtime.
//
//go:nosplit
func boot0() uintptr {
	serialInit()
	bi := (*bootInfo)(ptr(bootInfoAddr))
	if bi.magic != bootMagic {
		fatal("bad boot information from the stub", nil)
	}
	cmdlineLen = int(min(bi.cmdlineLen, uint64(len(cmdline))))
	memcopy(addr(&cmdline), uintptr(bi.cmdline), uintptr(cmdlineLen))
	readMemoryMap(uintptr(bi.mmap), uintptr(bi.mmapLen))
	kernelStart, kernelEnd = uintptr(bi.kernelStart), uintptr(bi.kernelEnd)
	fileEnd = uintptr(bi.fileEnd)

	res := [2]reservedRange{{bi.stubStart, bi.stubEnd}, {bi.kernelStart, bi.kernelEnd}}
	if res[0].start > res[1].start {
		res[0], res[1] = res[1], res[0]
	}
	initFrames(&res)
	if !initPaging() {
		fatal("no memory for the kernel page table", nil)
	}
	if !initFrameRefs(0, uintptr(maxPhys)) {
		fatal("no memory for the frame reference counts", nil)
	}
	initCPU()
	initPIC()
	initClock()
	initRandom()
	initThreads()
	initFDs()
	vmas[0] = vma{kernelStart &^ (pageSize - 1), roundPage(kernelEnd), vmaKernel | protRead | protWrite | protExec}
	nvmas = 1
	return buildInitStack(buildVDSO())
}

// readMemoryMap copies the multiboot memory map: entries of (size, base,
// length, type) where size does not count itself.
//
//go:nosplit
func readMemoryMap(p, n uintptr) {
	for off := uintptr(0); off+24 <= n && memMapLen < len(memMap); {
		size := uintptr(*(*uint32)(ptr(p + off)))
		memMap[memMapLen] = MemRegion{
			Base: *(*uint64)(ptr(p + off + 4)),
			Len:  *(*uint64)(ptr(p + off + 12)),
			Type: *(*uint32)(ptr(p + off + 20)),
		}
		memMapLen++
		off += size + 4
	}
}

// defaultEnv is given to the runtime unless the command line sets GODEBUG:
// prctl(PR_SET_VMA) is not supported, so don't try it.
const defaultEnv = "GODEBUG=decoratemappings=0"

// Auxiliary vector tags.
const (
	atNull        = 0
	atPagesz      = 6
	atRandom      = 25
	atSysinfoEhdr = 33
)

// buildInitStack lays out the Linux process stack that _rt0_amd64_linux
// expects at the top of initStack: argc, argv[], NULL, envp[], NULL, auxv,
// with the strings above; vdso is the address for AT_SYSINFO_EHDR. Words
// of the command line become arguments, except NAME=value words with an
// upper-case NAME (GODEBUG=..., GOGC=...), which become environment
// variables, much as Linux does for init.
//
//go:nosplit
func buildInitStack(vdso uintptr) uintptr {
	top := stackTop(addr(&initStack), initStackSize)
	// Strings: the command line with NULs for spaces, then the default
	// environment, then 16 random bytes.
	strs := top - 2048
	memcopy(strs, addr(&cmdline), uintptr(cmdlineLen))
	*(*byte)(ptr(strs + uintptr(cmdlineLen))) = 0
	env := putCString(strs+uintptr(cmdlineLen)+1, defaultEnv)
	name := putCString(env+uintptr(len(defaultEnv))+1, "scone")
	rnd := (name + uintptr(len("scone")) + 16) &^ 15
	fillRandom(rnd, 16)

	argc, envc := 0, 0
	haveGODEBUG := false
	for i := 0; i < cmdlineLen; {
		for i < cmdlineLen && cmdline[i] == ' ' {
			*(*byte)(ptr(strs + uintptr(i))) = 0
			i++
		}
		if i == cmdlineLen {
			break
		}
		start := i
		for i < cmdlineLen && cmdline[i] != ' ' {
			i++
		}
		eq := isEnvWord(start, i)
		*(*byte)(ptr(strs + uintptr(i))) = 0
		switch {
		case eq && envc < len(envp)-1:
			envp[envc] = strs + uintptr(start)
			envc++
			haveGODEBUG = haveGODEBUG || hasPrefix(start, "GODEBUG=")
		case !eq && i-start == 6 && hasPrefix(start, "strace"):
			traceSyscalls = true
		case !eq && i-start == 8 && hasPrefix(start, "tripstat"):
			tripStats = true
		case !eq && argc < len(argv)-1:
			argv[argc] = strs + uintptr(start)
			argc++
		}
	}
	if argc == 0 { // a boot loader that passes no command line at all
		argv[0] = name
		argc = 1
	}
	if !haveGODEBUG && envc < len(envp)-1 {
		envp[envc] = env
		envc++
	}

	words := 1 + argc + 1 + envc + 1 + 8
	sp := (strs - uintptr(words)*8) &^ 15
	w := (*[80]uint64)(unsafe.Pointer(ptr(sp)))
	k := 0
	w[k] = uint64(argc)
	k++
	for i := 0; i < argc; i++ {
		w[k] = uint64(argv[i])
		k++
	}
	w[k] = 0
	k++
	for i := 0; i < envc; i++ {
		w[k] = uint64(envp[i])
		k++
	}
	w[k] = 0
	k++
	auxv := [8]uint64{atPagesz, pageSize, atRandom, uint64(rnd), atSysinfoEhdr, uint64(vdso), atNull, 0}
	for _, v := range auxv {
		w[k] = v
		k++
	}
	return sp
}

// putCString writes s and a NUL at p and returns p.
//
//go:nosplit
func putCString(p uintptr, s string) uintptr {
	for i := 0; i < len(s); i++ {
		*(*byte)(ptr(p + uintptr(i))) = s[i]
	}
	*(*byte)(ptr(p + uintptr(len(s)))) = 0
	return p
}

// isEnvWord reports whether cmdline[start:end] is NAME=value with NAME made
// of upper-case letters, digits and underscores.
//
//go:nosplit
func isEnvWord(start, end int) bool {
	for i := start; i < end && i < len(cmdline); i++ {
		c := cmdline[i]
		switch {
		case c == '=':
			return i > start
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
		default:
			return false
		}
	}
	return false
}

//go:nosplit
func hasPrefix(at int, p string) bool {
	if at+len(p) > cmdlineLen {
		return false
	}
	for i := 0; i < len(p); i++ {
		if cmdline[at+i] != p[i] {
			return false
		}
	}
	return true
}
