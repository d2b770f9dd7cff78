// Privileged instructions the machine layer needs, one small function each.
// All are NOSPLIT and frameless enough to be called from kernel context.

#include "textflag.h"

// func In8(port uint16) uint8
TEXT ·In8(SB),NOSPLIT,$0-9
	MOVW port+0(FP), DX
	INB
	MOVB AX, ret+8(FP)
	RET

// func Out8(port uint16, v uint8)
TEXT ·Out8(SB),NOSPLIT,$0-3
	MOVW port+0(FP), DX
	MOVB v+2(FP), AX
	OUTB
	RET

// func In16(port uint16) uint16
TEXT ·In16(SB),NOSPLIT,$0-10
	MOVW port+0(FP), DX
	INW
	MOVW AX, ret+8(FP)
	RET

// func Out16(port uint16, v uint16)
TEXT ·Out16(SB),NOSPLIT,$0-4
	MOVW port+0(FP), DX
	MOVW v+2(FP), AX
	OUTW
	RET

// func In32(port uint16) uint32
TEXT ·In32(SB),NOSPLIT,$0-12
	MOVW port+0(FP), DX
	INL
	MOVL AX, ret+8(FP)
	RET

// func Out32(port uint16, v uint32)
TEXT ·Out32(SB),NOSPLIT,$0-8
	MOVW port+0(FP), DX
	MOVL v+4(FP), AX
	OUTL
	RET

// func rdmsr(msr uint32) uint64
TEXT ·rdmsr(SB),NOSPLIT,$0-16
	MOVL msr+0(FP), CX
	RDMSR
	SHLQ $32, DX
	ORQ DX, AX
	MOVQ AX, ret+8(FP)
	RET

// func wrmsr(msr uint32, v uint64)
TEXT ·wrmsr(SB),NOSPLIT,$0-16
	MOVL msr+0(FP), CX
	MOVQ v+8(FP), AX
	MOVQ AX, DX
	SHRQ $32, DX
	WRMSR
	RET

// func rdtsc() uint64
TEXT ·rdtsc(SB),NOSPLIT,$0-8
	RDTSC
	SHLQ $32, DX
	ORQ DX, AX
	MOVQ AX, ret+0(FP)
	RET

// func cpuid(leaf, sub uint32) (a, b, c, d uint32)
TEXT ·cpuid(SB),NOSPLIT,$0-24
	MOVL leaf+0(FP), AX
	MOVL sub+4(FP), CX
	CPUID
	MOVL AX, a+8(FP)
	MOVL BX, b+12(FP)
	MOVL CX, c+16(FP)
	MOVL DX, d+20(FP)
	RET

// func rdrand() (v uint64, ok bool)
TEXT ·rdrand(SB),NOSPLIT,$0-9
	BYTE $0x48; BYTE $0x0f; BYTE $0xc7; BYTE $0xf0 // RDRAND AX
	SETCS ok+8(FP)
	MOVQ AX, v+0(FP)
	RET

// func readCR2() uintptr
TEXT ·readCR2(SB),NOSPLIT,$0-8
	MOVQ CR2, AX
	MOVQ AX, ret+0(FP)
	RET

// func readCR3() uintptr
TEXT ·readCR3(SB),NOSPLIT,$0-8
	MOVQ CR3, AX
	MOVQ AX, ret+0(FP)
	RET

// func writeCR3(v uintptr)
TEXT ·writeCR3(SB),NOSPLIT,$0-8
	MOVQ v+0(FP), AX
	MOVQ AX, CR3
	RET

// func invlpg(va uintptr)
TEXT ·invlpg(SB),NOSPLIT,$0-8
	MOVQ va+0(FP), AX
	INVLPG (AX)
	RET

// func lgdt(desc uintptr)
TEXT ·lgdt(SB),NOSPLIT,$0-8
	MOVQ desc+0(FP), AX
	LGDT (AX)
	MOVW $0x10, AX
	MOVW AX, DS
	MOVW AX, ES
	MOVW AX, SS
	RET

// func lidt(desc uintptr)
TEXT ·lidt(SB),NOSPLIT,$0-8
	MOVQ desc+0(FP), AX
	LIDT (AX)
	RET

// func ltr(sel uint16)
TEXT ·ltr(SB),NOSPLIT,$0-2
	MOVW sel+0(FP), AX
	LTR AX
	RET

// memclr and memcopy move 64 bytes per loop iteration with SSE moves.
// The string instructions (REP STOSQ, REP MOVSB) are slow under QEMU's
// TCG, which runs each repetition as one pass through a translated block:
// REP MOVSB paid that per byte, and every copy to or from user memory
// (read, write, pipes, exec, fork) went through it.  Kernel context may
// use X0-X3 freely: every trap saves and restores the FPU state
// (entry_amd64.s); Go callers treat X registers as clobbered, and X15
// (Go's zero register) is left alone.

// func memclr(p, n uintptr) zeroes n bytes (n a multiple of 8) without
// touching the Go runtime.
TEXT ·memclr(SB),NOSPLIT,$0-16
	MOVQ p+0(FP), DI
	MOVQ n+8(FP), CX
	XORPS X0, X0
clr64:
	CMPQ CX, $64
	JB clr8
	MOVOU X0, 0(DI)
	MOVOU X0, 16(DI)
	MOVOU X0, 32(DI)
	MOVOU X0, 48(DI)
	ADDQ $64, DI
	SUBQ $64, CX
	JMP clr64
clr8:
	CMPQ CX, $8
	JB clrdone
	MOVQ $0, 0(DI)
	ADDQ $8, DI
	SUBQ $8, CX
	JMP clr8
clrdone:
	RET

// func memcopy(dst, src, n uintptr) copies n bytes (regions must not overlap).
TEXT ·memcopy(SB),NOSPLIT,$0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
cp64:
	CMPQ CX, $64
	JB cp8
	MOVOU 0(SI), X0
	MOVOU 16(SI), X1
	MOVOU 32(SI), X2
	MOVOU 48(SI), X3
	MOVOU X0, 0(DI)
	MOVOU X1, 16(DI)
	MOVOU X2, 32(DI)
	MOVOU X3, 48(DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $64, CX
	JMP cp64
cp8:
	CMPQ CX, $8
	JB cp1
	MOVQ 0(SI), AX
	MOVQ AX, 0(DI)
	ADDQ $8, SI
	ADDQ $8, DI
	SUBQ $8, CX
	JMP cp8
cp1:
	TESTQ CX, CX
	JZ cpdone
	MOVB 0(SI), AX
	MOVB AX, 0(DI)
	INCQ SI
	INCQ DI
	DECQ CX
	JMP cp1
cpdone:
	RET

// func stop() disables interrupts and halts for good.
TEXT ·stop(SB),NOSPLIT,$0
	CLI
again:
	HLT
	JMP again

// func tripleFault() loads an empty IDT and traps: the CPU resets, and
// QEMU with -no-reboot exits.  The last resort when isa-debug-exit is absent.
TEXT ·tripleFault(SB),NOSPLIT,$16
	MOVQ $0, 0(SP)
	MOVQ $0, 8(SP)
	LIDT 0(SP)
	INT $3
	RET

// MMIO accesses of 8 and 16 bits (sync/atomic has none): assembly is never
// inlined, so each call is exactly one access of that width.

// func mmioRead8(a uintptr) uint8
TEXT ·mmioRead8(SB),NOSPLIT,$0-9
	MOVQ a+0(FP), AX
	MOVB (AX), BX
	MOVB BX, ret+8(FP)
	RET

// func mmioWrite8(a uintptr, v uint8)
TEXT ·mmioWrite8(SB),NOSPLIT,$0-9
	MOVQ a+0(FP), AX
	MOVB v+8(FP), BX
	MOVB BX, (AX)
	RET

// func mmioRead16(a uintptr) uint16
TEXT ·mmioRead16(SB),NOSPLIT,$0-10
	MOVQ a+0(FP), AX
	MOVW (AX), BX
	MOVW BX, ret+8(FP)
	RET

// func mmioWrite16(a uintptr, v uint16)
TEXT ·mmioWrite16(SB),NOSPLIT,$0-10
	MOVQ a+0(FP), AX
	MOVW v+8(FP), BX
	MOVW BX, (AX)
	RET
