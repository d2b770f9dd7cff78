// Kernel entry points: the boot entry from boot/boot.S, the interrupt and
// exception vectors, the SYSCALL entry, and the idle loop.
//
// The CPU enters these stubs (and uses the descriptor tables and stacks)
// through the trampoline: the kernel image's alias in PML4 slot 511, which
// every page table will share (docs/machine.md).  The stubs use only
// RIP-relative addresses, so running at the alias they reach the alias of
// their data, the same frames.
//
// Every way into the kernel builds the same Frame on the kernel stack
// (kstack): the CPU's interrupt frame (ss, rsp, rflags, cs, rip), an error
// code, a vector number (256 for SYSCALL), then the general registers.  The
// nosplit Go function trap handles it and may overwrite the Frame with the
// registers of another thread; the common exit restores whatever the Frame
// then holds and returns with IRETQ.  A thread switch is therefore nothing
// more than trap rewriting the Frame and curFX.

#include "go_asm.h"
#include "textflag.h"

// entry is the kernel ELF's entry point (linked with -E).  The boot stub
// jumps here in 64-bit mode with the first 1 GiB identity-mapped and
// RDI = the physical address of its bootinfo.
TEXT ·entry(SB),NOSPLIT|NOFRAME,$0
	CLI
	MOVQ DI, ·bootInfoAddr(SB)
	MOVQ $·kstack+const_kstackBytes(SB), SP
	ANDQ $~15, SP
	// A dummy TLS block: every ABI0->Go wrapper loads g from FS:-8.
	MOVL $0xc0000100, CX
	MOVQ $·dummyTLS+64(SB), AX
	MOVQ AX, DX
	SHRQ $32, DX
	WRMSR
	SUBQ $16, SP
	CALL ·boot0(SB)
	MOVQ 0(SP), AX
	MOVQ AX, SP
	STI
	// Into the Go runtime, for good.  Indirect, because from here on this
	// is no longer kernel context: tools/kcheck follows direct jumps and
	// must not count the runtime's start-up as part of entry.
	MOVQ $_rt0_amd64_linux(SB), AX
	JMP AX

// syscallEntry is LSTAR.  SYSCALL at CPL 0 leaves RSP alone (it may be a
// goroutine stack with little room), so switch to the kernel stack at once.
// FMASK has cleared IF, so nothing can interrupt the next instructions.
TEXT ·syscallEntry(SB),NOSPLIT|NOFRAME,$0
	MOVQ SP, ·syscallSP(SB)
	MOVQ $·kstack+const_kstackBytes(SB), SP
	ANDQ $~15, SP
	// SYSCALL does not say which ring it came from; userMode does (ring 3
	// cannot write it).  The frame gets the caller's selectors, as an
	// interrupt frame would have them.
	CMPB ·userMode(SB), $0
	JNE fromUser
	PUSHQ $0x10
	PUSHQ ·syscallSP(SB)
	PUSHQ R11
	PUSHQ $0x08
	PUSHQ CX
	PUSHQ $0
	PUSHQ $256
	JMP trapCommon<>(SB)
fromUser:
	PUSHQ $const_selUserData
	PUSHQ ·syscallSP(SB)
	PUSHQ R11
	PUSHQ $const_selUserCode
	PUSHQ CX
	PUSHQ $0
	PUSHQ $256
	JMP trapCommon<>(SB)

TEXT trapCommon<>(SB),NOSPLIT|NOFRAME,$0
	PUSHQ AX
	PUSHQ BX
	PUSHQ CX
	PUSHQ DX
	PUSHQ SI
	PUSHQ DI
	PUSHQ BP
	PUSHQ R8
	PUSHQ R9
	PUSHQ R10
	PUSHQ R11
	PUSHQ R12
	PUSHQ R13
	PUSHQ R14
	PUSHQ R15
	// From ring 3 the process's page table is live: switch to the
	// kernel's before touching anything outside the trampoline.
	MOVQ CR3, AX
	MOVQ ·kernelRoot(SB), BX
	CMPQ AX, BX
	JEQ kernelCR3
	MOVQ BX, CR3
kernelCR3:
	MOVQ ·curFX(SB), AX
	FXSAVE64 (AX)
	// Kernel context has no goroutine: point FS at dummyTLS, so that the
	// ABI wrapper of trap loads a nil g instead of reading the runtime's
	// memory.  The exit path below loads the next thread's FS base.
	MOVL $0xc0000100, CX
	MOVQ $·dummyTLS+64(SB), AX
	MOVQ AX, DX
	SHRQ $32, DX
	WRMSR
	MOVQ SP, AX
	SUBQ $16, SP
	MOVQ AX, 0(SP)
	// An indirect call through the table of absolute addresses: the stubs
	// run in the trampoline alias (see below), Go code at its link address.
	// Indirect also means that the linker's nosplit budget (sized for the
	// guard area of a goroutine stack) starts afresh at trap rather than
	// counting these pushes; the stack really in use is kstack, 64 KiB.
	MOVQ vectors<>+(const_codeTrap*8)(SB), BX
	CALL BX
	ADDQ $16, SP
	MOVL $0xc0000100, CX
	MOVQ ·curFSBase(SB), AX
	MOVQ AX, DX
	SHRQ $32, DX
	WRMSR
	MOVL $0xc0000101, CX // GS base: a user program's TLS may use it
	MOVQ ·curGSBase(SB), AX
	MOVQ AX, DX
	SHRQ $32, DX
	WRMSR
	MOVQ ·curFX(SB), AX
	FXRSTOR64 (AX)
	// The next thread's page table (a process's, for ring 3); from here
	// on only the trampoline is touched.
	MOVQ ·curCR3(SB), BX
	MOVQ CR3, AX
	CMPQ AX, BX
	JEQ sameCR3
	MOVQ BX, CR3
sameCR3:
	POPQ R15
	POPQ R14
	POPQ R13
	POPQ R12
	POPQ R11
	POPQ R10
	POPQ R9
	POPQ R8
	POPQ BP
	POPQ DI
	POPQ SI
	POPQ DX
	POPQ CX
	POPQ BX
	POPQ AX
	ADDQ $16, SP
	IRETQ

// idleLoop is what the CPU runs when no thread is runnable: halt until an
// interrupt, whose handler switches to whichever thread it woke.
TEXT ·idleLoop(SB),NOSPLIT|NOFRAME,$0
again:
	STI
	HLT
	JMP again

// The 48 vector stubs: 0-31 the CPU's exceptions, 32-47 the PICs' lines.
// Each pushes its vector number and jumps to trapCommon.  The exceptions
// that push an error code themselves (#DF 8, #TS 10, #NP 11, #SS 12,
// #GP 13, #PF 14, #AC 17, #CP 21, #VC 29, #SX 30) use VECERR; for every
// other vector VEC pushes a zero in its place, so that all Frames have
// the same shape.
#define VEC(sym, n) TEXT sym(SB),NOSPLIT|NOFRAME,$0; PUSHQ $0; PUSHQ $n; JMP trapCommon<>(SB)
#define VECERR(sym, n) TEXT sym(SB),NOSPLIT|NOFRAME,$0; PUSHQ $n; JMP trapCommon<>(SB)

VEC(vec0<>, 0)
VEC(vec1<>, 1)
VEC(vec2<>, 2)
VEC(vec3<>, 3)
VEC(vec4<>, 4)
VEC(vec5<>, 5)
VEC(vec6<>, 6)
VEC(vec7<>, 7)
VECERR(vec8<>, 8)
VEC(vec9<>, 9)
VECERR(vec10<>, 10)
VECERR(vec11<>, 11)
VECERR(vec12<>, 12)
VECERR(vec13<>, 13)
VECERR(vec14<>, 14)
VEC(vec15<>, 15)
VEC(vec16<>, 16)
VECERR(vec17<>, 17)
VEC(vec18<>, 18)
VEC(vec19<>, 19)
VEC(vec20<>, 20)
VECERR(vec21<>, 21)
VEC(vec22<>, 22)
VEC(vec23<>, 23)
VEC(vec24<>, 24)
VEC(vec25<>, 25)
VEC(vec26<>, 26)
VEC(vec27<>, 27)
VEC(vec28<>, 28)
VECERR(vec29<>, 29)
VECERR(vec30<>, 30)
VEC(vec31<>, 31)
VEC(vec32<>, 32)
VEC(vec33<>, 33)
VEC(vec34<>, 34)
VEC(vec35<>, 35)
VEC(vec36<>, 36)
VEC(vec37<>, 37)
VEC(vec38<>, 38)
VEC(vec39<>, 39)
VEC(vec40<>, 40)
VEC(vec41<>, 41)
VEC(vec42<>, 42)
VEC(vec43<>, 43)
VEC(vec44<>, 44)
VEC(vec45<>, 45)
VEC(vec46<>, 46)
VEC(vec47<>, 47)

// vectors holds the entry address of each stub, for the IDT,
DATA vectors<>+0(SB)/8, $vec0<>(SB)
DATA vectors<>+8(SB)/8, $vec1<>(SB)
DATA vectors<>+16(SB)/8, $vec2<>(SB)
DATA vectors<>+24(SB)/8, $vec3<>(SB)
DATA vectors<>+32(SB)/8, $vec4<>(SB)
DATA vectors<>+40(SB)/8, $vec5<>(SB)
DATA vectors<>+48(SB)/8, $vec6<>(SB)
DATA vectors<>+56(SB)/8, $vec7<>(SB)
DATA vectors<>+64(SB)/8, $vec8<>(SB)
DATA vectors<>+72(SB)/8, $vec9<>(SB)
DATA vectors<>+80(SB)/8, $vec10<>(SB)
DATA vectors<>+88(SB)/8, $vec11<>(SB)
DATA vectors<>+96(SB)/8, $vec12<>(SB)
DATA vectors<>+104(SB)/8, $vec13<>(SB)
DATA vectors<>+112(SB)/8, $vec14<>(SB)
DATA vectors<>+120(SB)/8, $vec15<>(SB)
DATA vectors<>+128(SB)/8, $vec16<>(SB)
DATA vectors<>+136(SB)/8, $vec17<>(SB)
DATA vectors<>+144(SB)/8, $vec18<>(SB)
DATA vectors<>+152(SB)/8, $vec19<>(SB)
DATA vectors<>+160(SB)/8, $vec20<>(SB)
DATA vectors<>+168(SB)/8, $vec21<>(SB)
DATA vectors<>+176(SB)/8, $vec22<>(SB)
DATA vectors<>+184(SB)/8, $vec23<>(SB)
DATA vectors<>+192(SB)/8, $vec24<>(SB)
DATA vectors<>+200(SB)/8, $vec25<>(SB)
DATA vectors<>+208(SB)/8, $vec26<>(SB)
DATA vectors<>+216(SB)/8, $vec27<>(SB)
DATA vectors<>+224(SB)/8, $vec28<>(SB)
DATA vectors<>+232(SB)/8, $vec29<>(SB)
DATA vectors<>+240(SB)/8, $vec30<>(SB)
DATA vectors<>+248(SB)/8, $vec31<>(SB)
DATA vectors<>+256(SB)/8, $vec32<>(SB)
DATA vectors<>+264(SB)/8, $vec33<>(SB)
DATA vectors<>+272(SB)/8, $vec34<>(SB)
DATA vectors<>+280(SB)/8, $vec35<>(SB)
DATA vectors<>+288(SB)/8, $vec36<>(SB)
DATA vectors<>+296(SB)/8, $vec37<>(SB)
DATA vectors<>+304(SB)/8, $vec38<>(SB)
DATA vectors<>+312(SB)/8, $vec39<>(SB)
DATA vectors<>+320(SB)/8, $vec40<>(SB)
DATA vectors<>+328(SB)/8, $vec41<>(SB)
DATA vectors<>+336(SB)/8, $vec42<>(SB)
DATA vectors<>+344(SB)/8, $vec43<>(SB)
DATA vectors<>+352(SB)/8, $vec44<>(SB)
DATA vectors<>+360(SB)/8, $vec45<>(SB)
DATA vectors<>+368(SB)/8, $vec46<>(SB)
DATA vectors<>+376(SB)/8, $vec47<>(SB)
// and after the 48 vectors, the other entry points Go code needs the
// address of (see the codeXxx constants in cpu.go).
DATA vectors<>+384(SB)/8, $·syscallEntry(SB)
DATA vectors<>+392(SB)/8, $·idleLoop(SB)
DATA vectors<>+400(SB)/8, $·vdsoClockGettime(SB)
DATA vectors<>+408(SB)/8, $·trap(SB)
DATA vectors<>+416(SB)/8, $·vdsoEnd(SB)
GLOBL vectors<>(SB), RODATA, $424

// func codeAddr(i int) uintptr
TEXT ·codeAddr(SB),NOSPLIT,$0-16
	MOVQ i+0(FP), AX
	MOVQ $vectors<>(SB), BX
	MOVQ (BX)(AX*8), AX
	MOVQ AX, ret+8(FP)
	RET

// vdsoClockGettime is the vDSO's __vdso_clock_gettime, called with the C
// ABI (DI = clock id, SI = *timespec, result in AX) by the kernel's runtime
// and by user programs.  It is not run here: buildVDSO copies its bytes
// into the vDSO page, so it is position independent and finds its figures
// at the fixed address of the vvar page.  It computes what
// sysClockGettime would.
//
// Clock ids 0-11 are Linux's: REALTIME (0), REALTIME_COARSE (5) and TAI
// (11) add the wall-clock offset; the rest (MONOTONIC, BOOTTIME, the CPU
// clocks, ...) are the time since boot, all one clock here.
TEXT ·vdsoClockGettime(SB),NOSPLIT|NOFRAME,$0
	CMPQ DI, $11
	JHI bad // unsigned: a negative id is bad too
	MOVQ $const_vvarAddr, R8
	RDTSC
	SHLQ $32, DX
	ORQ DX, AX
	SUBQ 0(R8), AX // tscStart
	MULQ 8(R8)     // nsMult
	SHRQ $32, AX
	SHLQ $32, DX
	ORQ DX, AX // ns since boot = (delta * nsMult) >> 32
	CMPQ DI, $0
	JEQ wall
	CMPQ DI, $5
	JEQ wall
	CMPQ DI, $11
	JNE split
wall:
	ADDQ 16(R8), AX // wallOffset
split: // into the timespec: seconds, then nanoseconds
	XORQ DX, DX
	MOVQ $1000000000, R9
	DIVQ R9
	MOVQ AX, 0(SI)
	MOVQ DX, 8(SI)
	XORQ AX, AX
	RET
bad:
	MOVQ $-22, AX // EINVAL
	RET

// vdsoEnd marks the end of vdsoClockGettime's bytes.
TEXT ·vdsoEnd(SB),NOSPLIT|NOFRAME,$0
	RET
