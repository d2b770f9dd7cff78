package proc

import (
	"encoding/binary"
	"testing"

	"scone/kernel/machine"
)

// Offsets from Linux's arch/x86/include/uapi/asm/sigcontext.h and
// ucontext.h (x86-64), which C programs read in their handlers.
func TestSigFrameLayout(t *testing.T) {
	r := machine.UserRegs{R8: 8, R15: 15, RDI: 0xd1, RSI: 0x51, RBP: 0xb9, RBX: 0xb8, RDX: 0xd8,
		RAX: 0xa8, RCX: 0xc8, RSP: 0x7000_0000, RIP: 0x401000, RFLAGS: 0x246, Error: 6, Vector: 14}
	r.FX[0] = 0x7f
	info := SigInfo{Signo: 11, Code: segvMapErr, Addr: 0xdead}
	frame, b := sigFrame(&r, 0x7000_0000-redZone, 0x4000, altStack{}, info, 0x40_2000)
	if frame%16 != 8 {
		t.Errorf("frame at %#x: the handler must see the stack as after a call", frame)
	}
	le := binary.LittleEndian
	u64 := func(off int) uint64 { return le.Uint64(b[off:]) }
	mc := frameUC + 40
	tests := []struct {
		name string
		off  int
		want uint64
	}{
		{"pretcode", 0, 0x40_2000},
		{"uc_flags", frameUC, ucFlagsValue},
		{"r8", mc + 0, 8},
		{"r15", mc + 56, 15},
		{"rdi", mc + 64, 0xd1},
		{"rsi", mc + 72, 0x51},
		{"rbp", mc + 80, 0xb9},
		{"rbx", mc + 88, 0xb8},
		{"rdx", mc + 96, 0xd8},
		{"rax", mc + 104, 0xa8},
		{"rcx", mc + 112, 0xc8},
		{"rsp", mc + 120, 0x7000_0000},
		{"rip", mc + 128, 0x401000},
		{"eflags", mc + 136, 0x246},
		{"err", mc + 152, 6},
		{"trapno", mc + 160, 14},
		{"oldmask", mc + 168, 0x4000},
		{"cr2", mc + 176, 0xdead},
		{"uc_sigmask", frameUC + 296, 0x4000},
		{"si_addr", frameUC + 304 + 16, 0xdead},
	}
	for _, tc := range tests {
		if got := u64(tc.off); got != tc.want {
			t.Errorf("%s at %d: %#x, want %#x", tc.name, tc.off, got, tc.want)
		}
	}
	if got := int32(le.Uint32(b[frameInfo:])); got != 11 {
		t.Errorf("si_signo %d", got)
	}
	fp := u64(mc + 184)
	if fp%64 != 0 || b[fp-frame] != 0x7f {
		t.Errorf("fpstate at %#x: not 64-aligned or not the FXSAVE image", fp)
	}
	// rt_sigreturn reads back what the handler left.
	le.PutUint64(b[mc+128:], 0x401234)
	var back machine.UserRegs
	mask, _, fp2 := restoreFrame(&back, b[frameUC:])
	if back.RIP != 0x401234 || back.RBX != 0xb8 || back.R15 != 15 || mask != 0x4000 || fp2 != fp {
		t.Errorf("restored rip %#x rbx %#x r15 %d mask %#x fp %#x", back.RIP, back.RBX, back.R15, mask, fp2)
	}
}

func TestInitialStack(t *testing.T) {
	const top = 0x7fff_ff00_0000
	sp, b, err := stackImage(top, []string{"/bin/x", "-v"}, []string{"A=1"}, "/bin/x",
		[][2]uint64{{atPagesz, 4096}}, [16]byte{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if sp%16 != 0 || sp+uint64(len(b)) != top {
		t.Fatalf("sp %#x, %d bytes", sp, len(b))
	}
	le := binary.LittleEndian
	w := func(i int) uint64 { return le.Uint64(b[8*i:]) }
	str := func(va uint64) string {
		s := b[va-sp:]
		for i, c := range s {
			if c == 0 {
				return string(s[:i])
			}
		}
		return ""
	}
	if w(0) != 2 || str(w(1)) != "/bin/x" || str(w(2)) != "-v" || w(3) != 0 || str(w(4)) != "A=1" || w(5) != 0 {
		t.Fatalf("argc/argv/envp wrong: %d %q %q %d %q %d", w(0), str(w(1)), str(w(2)), w(3), str(w(4)), w(5))
	}
	aux := map[uint64]uint64{}
	for i := 6; ; i += 2 {
		aux[w(i)] = w(i + 1)
		if w(i) == atNull {
			break
		}
	}
	if aux[atPagesz] != 4096 || str(aux[atExecfn]) != "/bin/x" || str(aux[atPlatform]) != "x86_64" {
		t.Errorf("auxv %v", aux)
	}
	if r := aux[atRandom]; r == 0 || b[r-sp] != 1 || b[r-sp+2] != 3 {
		t.Errorf("AT_RANDOM at %#x", r)
	}
	if _, _, err := stackImage(top, []string{string(make([]byte, maxArgStrlen))}, nil, "/x", nil, [16]byte{}); err == nil {
		t.Error("an over-long argument was accepted, want E2BIG")
	}
}

func TestShebang(t *testing.T) {
	tests := []struct{ in, interp, arg string }{
		{"#!/bin/sh\necho", "/bin/sh", ""},
		{"#! /bin/sh -e \n", "/bin/sh", "-e"},
		{"#!/usr/bin/env  a b\n", "/usr/bin/env", "a b"},
	}
	for _, tc := range tests {
		i, a, err := shebang([]byte(tc.in))
		if err != nil || i != tc.interp || a != tc.arg {
			t.Errorf("%q: %q %q %v", tc.in, i, a, err)
		}
	}
	if _, _, err := shebang([]byte("#!\n")); err == nil {
		t.Error("an empty #! line was accepted")
	}
}
