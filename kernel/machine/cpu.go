// Package machine is the bottom of Scone: it makes a PC look like Linux to
// the stock Go runtime, which runs in ring 0 on top of it.
//
// Every SYSCALL the runtime executes, every interrupt and every exception
// lands in trap, which answers as Linux would: threads, futexes, a clock,
// virtual memory with demand paging, epoll and eventfd, signals.  All of
// that code runs "under the Go scheduler" on a kernel stack with interrupts
// off, so it is nosplit, never allocates and stores no pointers into Go
// memory (see docs/machine.md).  Ordinary Go code uses the small API in
// api.go: port I/O, WaitIRQ, the memory map, Exit.
package machine

import "unsafe"

// Assembly helpers (cpu_amd64.s, entry_amd64.s).

func In8(port uint16) uint8
func Out8(port uint16, v uint8)
func In16(port uint16) uint16
func Out16(port uint16, v uint16)
func In32(port uint16) uint32
func Out32(port uint16, v uint32)

func rdmsr(msr uint32) uint64
func wrmsr(msr uint32, v uint64)
func rdtsc() uint64
func cpuid(leaf, sub uint32) (a, b, c, d uint32)
func rdrand() (v uint64, ok bool)
func readCR2() uintptr
func readCR3() uintptr
func writeCR3(v uintptr)
func invlpg(va uintptr)
func lgdt(desc uintptr)
func lidt(desc uintptr)
func ltr(sel uint16)
func memclr(p, n uintptr)
func memcopy(dst, src, n uintptr)
func stop()
func tripleFault()
func entry()
func syscallEntry()
func idleLoop()
func codeAddr(i int) uintptr

// Indexes for codeAddr: 0-47 are the interrupt vectors' stubs.
const (
	codeSyscallEntry = 48 + iota
	codeIdleLoop
	codeVDSO
	codeTrap
	codeVDSOEnd
)

// Segment selectors.  The user selectors are unused until user processes
// exist; they are laid out for SYSRET (user data = STAR base + 8, user code
// = STAR base + 16).
const (
	selKernelCode = 0x08
	selKernelData = 0x10
	selUserData   = 0x18 | 3
	selUserCode   = 0x20 | 3
	selTSS        = 0x28
)

const (
	msrEFER   = 0xc0000080
	msrSTAR   = 0xc0000081
	msrLSTAR  = 0xc0000082
	msrFMASK  = 0xc0000084
	msrFSBase = 0xc0000100

	eferSCE = 1 << 0
	eferNXE = 1 << 11

	// rflagsMask is cleared on SYSCALL: TF, IF, DF, IOPL, NT, AC.
	rflagsMask = 0x100 | 0x200 | 0x400 | 0x3000 | 0x4000 | 0x40000
)

// Stacks.  kstack is the one kernel stack: every entry (syscall, interrupt,
// exception) runs on it with interrupts off, to completion, so one CPU needs
// only one.  NMI, #DF and #MC get their own (IST2) so that they work even
// when the kernel stack is the problem.
const (
	kstackSize    = 64 << 10
	kstackBytes   = kstackSize + pageSize // plus an unmapped guard page at the bottom
	altstackSize  = 16 << 10
	initStackSize = 256 << 10
)

var (
	kstack    [kstackBytes]byte
	altstack  [altstackSize]byte
	initStack [initStackSize]byte // the Go runtime's m0 stack (argc, argv, ...)
	dummyTLS  [16]uint64          // FS before the runtime's arch_prctl
	syscallSP uintptr             // the caller's RSP during syscallEntry
)

var (
	gdt  [7]uint64
	tss  [26]uint32 // 104 bytes: the 64-bit TSS
	idt  [512]uint64
	gdtr [2]uint64 // limit (2 bytes) then base (8 bytes)
	idtr [2]uint64
)

// ptr turns an address of memory the Go heap does not own (page tables,
// the direct map, stacks the runtime handed us) into a pointer.
//
//go:nosplit
func ptr(a uintptr) unsafe.Pointer { return unsafe.Add(nil, a) }

//go:nosplit
func addr[T any](p *T) uintptr { return uintptr(unsafe.Pointer(p)) }

// kstackGuard returns the page at the bottom of kstack that is never
// mapped, so that a kernel stack overflow faults instead of corrupting the
// variables below it.
//
//go:nosplit
func kstackGuard() uintptr { return roundPage(addr(&kstack)) }

//go:nosplit
func stackTop(base uintptr, size uintptr) uintptr { return (base + size) &^ 15 }

// initCPU loads the GDT, TSS and IDT and programs the SYSCALL MSRs.
//
//go:nosplit
func initCPU() {
	gdt[1] = 0x00af9a000000ffff // kernel code, 64-bit
	gdt[2] = 0x00cf92000000ffff // kernel data
	gdt[3] = 0x00cff2000000ffff // user data, DPL 3
	gdt[4] = 0x00affa000000ffff // user code, 64-bit, DPL 3
	// Everything the CPU reaches by itself on an interrupt or a system
	// call (descriptor tables, stacks, entry points) is given by its
	// trampoline alias, so that it stays reachable under every page table.
	base := uint64(alias(addr(&tss)))
	limit := uint64(len(tss)*4 - 1)
	gdt[5] = limit&0xffff | (base&0xffffff)<<16 | 0x89<<40 | (limit>>16&0xf)<<48 | (base>>24&0xff)<<56
	gdt[6] = base >> 32

	k := uint64(alias(stackTop(addr(&kstack), kstackBytes)))
	a := uint64(alias(stackTop(addr(&altstack), altstackSize)))
	tss[1], tss[2] = uint32(k), uint32(k>>32)   // RSP0, for traps from ring 3 later
	tss[9], tss[10] = uint32(k), uint32(k>>32)  // IST1: every vector
	tss[11], tss[12] = uint32(a), uint32(a>>32) // IST2: NMI, #DF, #MC
	tss[25] = 104 << 16                         // no I/O permission bitmap

	for v := 0; v < 48; v++ {
		ist := uint64(1)
		if v == 2 || v == 8 || v == 18 {
			ist = 2
		}
		h := uint64(alias(codeAddr(v)))
		attr := uint64(0x8e) // present interrupt gate, DPL 0
		if v == 3 || v == 4 {
			attr = 0xee // int3 and into may be executed by ring 3 (DPL 3)
		}
		idt[2*v] = h&0xffff | selKernelCode<<16 | ist<<32 | attr<<40 | (h>>16&0xffff)<<48
		idt[2*v+1] = h >> 32
	}
	setDesc(&gdtr, uint16(len(gdt)*8-1), alias(addr(&gdt)))
	setDesc(&idtr, uint16(len(idt)*8-1), alias(addr(&idt)))
	lgdt(addr(&gdtr))
	ltr(selTSS)
	lidt(addr(&idtr))

	efer := rdmsr(msrEFER) | eferSCE
	if _, _, _, d := cpuid(0x80000001, 0); d&(1<<20) != 0 {
		efer |= eferNXE // user pages without PROT_EXEC get the NX bit
		nxOK = true
	}
	wrmsr(msrEFER, efer)
	wrmsr(msrSTAR, uint64(selUserData-8)<<48|uint64(selKernelCode)<<32)
	wrmsr(msrLSTAR, uint64(alias(codeAddr(codeSyscallEntry))))
	wrmsr(msrFMASK, rflagsMask)
}

//go:nosplit
func setDesc(d *[2]uint64, limit uint16, base uintptr) {
	p := addr(d)
	*(*uint16)(ptr(p)) = limit
	*(*uint64)(ptr(p + 2)) = uint64(base)
}
