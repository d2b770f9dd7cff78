package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"scone/kernel/machine"
)

// userTest runs small machine-code programs in ring 3 through the machine
// layer's AddressSpace and checks how each comes back.  The kernel
// command-line word "usertest" runs it; the kernel then exits 0 only if
// every case passed.
func userTest(w io.Writer) (failed int) {
	const code, stack = 0x400000, 0x7fff0000
	cases := []struct {
		name string
		prog []byte
		run  func(as *machine.AddressSpace, r *machine.UserRegs) error
	}{
		{"syscall", []byte{
			0xb8, 60, 0, 0, 0, // mov $60, %eax
			0xbf, 42, 0, 0, 0, // mov $42, %edi
			0x0f, 0x05, // syscall
		}, func(as *machine.AddressSpace, r *machine.UserRegs) error {
			return expect(as, r, machine.UserSyscall, func() error {
				if r.RAX != 60 || r.RDI != 42 || r.RIP != code+12 || r.RSP != stack+4096 {
					return fmt.Errorf("rax %d rdi %d rip %#x rsp %#x", r.RAX, r.RDI, r.RIP, r.RSP)
				}
				return nil
			})
		}},
		{"memory", []byte{
			0x48, 0xc7, 0x44, 0x24, 0xf8, 7, 0, 0, 0, // movq $7, -8(%rsp)
			0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0, // mov 0, %rax: faults
		}, func(as *machine.AddressSpace, r *machine.UserRegs) error {
			return expect(as, r, machine.UserFault, func() error {
				var b [8]byte
				if err := as.CopyIn(b[:], stack+4096-8); err != nil {
					return err
				}
				if v := binary.LittleEndian.Uint64(b[:]); v != 7 || r.FaultAddr != 0 || r.RIP != code+9 {
					return fmt.Errorf("stored %d, fault at %#x from %#x", v, r.FaultAddr, r.RIP)
				}
				return nil
			})
		}},
		{"readonly", []byte{
			0xc6, 0x05, 0xf9, 0xff, 0xff, 0xff, 1, // movb $1, -7(%rip): its own code page
		}, func(as *machine.AddressSpace, r *machine.UserRegs) error {
			return expect(as, r, machine.UserFault, func() error {
				if r.FaultAddr != code || r.Error&7 != 7 { // present, write, user
					return fmt.Errorf("fault at %#x error %#x", r.FaultAddr, r.Error)
				}
				return nil
			})
		}},
		{"privileged", []byte{0xf4}, // hlt
			func(as *machine.AddressSpace, r *machine.UserRegs) error {
				return expect(as, r, machine.UserException, func() error {
					if r.Vector != 13 {
						return fmt.Errorf("vector %d, want 13 (#GP)", r.Vector)
					}
					return nil
				})
			}},
		{"vdso", []byte{
			0x48, 0x89, 0xc3, // mov %rax, %rbx: the vDSO's clock_gettime
			0xbf, 0, 0, 0, 0, // mov $0, %edi: CLOCK_REALTIME
			0x48, 0x8d, 0x74, 0x24, 0xc0, // lea -64(%rsp), %rsi
			0xff, 0xd3, // call *%rbx
			0x0f, 0x05, // syscall
		}, func(as *machine.AddressSpace, r *machine.UserRegs) error {
			// The kernel's vDSO, shared read-only, tells the time in ring 3.
			vdso, err := as.MapVDSO()
			if err != nil {
				return err
			}
			r.RAX = uint64(vdso) + machine.VDSOClockGettime
			return expect(as, r, machine.UserSyscall, func() error {
				var ts [16]byte
				if err := as.CopyIn(ts[:], stack+4096-64); err != nil {
					return err
				}
				sec := int64(binary.LittleEndian.Uint64(ts[:]))
				if d := time.Now().Unix() - sec; r.RAX != 0 || d < 0 || d > 2 {
					return fmt.Errorf("clock_gettime returned %d, %d s from now", int64(r.RAX), d)
				}
				return nil
			})
		}},
		{"preempt", []byte{
			0x48, 0xff, 0xc0, // inc %rax
			0xeb, 0xfb, // jmp back
		}, func(as *machine.AddressSpace, r *machine.UserRegs) error {
			// A loop with no system calls comes back when its time slice
			// ends and resumes where it was: it is always inside the
			// loop, and the counter never goes back and grows across
			// slices. One return may show no progress: a slice can end
			// before the first instruction, when a tick was already due
			// as Run entered ring 3.
			const slices = 100
			last, grew := uint64(0), 0
			for i := 0; i < slices && grew < 3; i++ {
				if err := expect(as, r, machine.UserInterrupt, nil); err != nil {
					return err
				}
				switch {
				case r.RIP != code && r.RIP != code+3:
					return fmt.Errorf("came back at %#x, outside the loop", r.RIP)
				case r.RAX < last:
					return fmt.Errorf("counter went back from %d to %d", last, r.RAX)
				case r.RAX > last:
					grew++
				}
				last = r.RAX
			}
			if grew < 3 {
				return fmt.Errorf("the counter grew in %d of %d slices", grew, slices)
			}
			return nil
		}},
		{"nx", []byte{
			0x48, 0x8d, 0x44, 0x24, 0xf0, // lea -16(%rsp), %rax
			0xff, 0xe0, // jmp *%rax: into the stack, mapped without PROT_EXEC
		}, func(as *machine.AddressSpace, r *machine.UserRegs) error {
			return expect(as, r, machine.UserFault, func() error {
				if r.FaultAddr != uint64(stack+4096-16) || r.Error&0x11 != 0x11 {
					return fmt.Errorf("fault at %#x error %#x, want an instruction fetch (0x10) from a present page at the stack", r.FaultAddr, r.Error)
				}
				return nil
			})
		}},
		{"int3", []byte{0xcc}, // int3: the #BP gate is open to ring 3
			func(as *machine.AddressSpace, r *machine.UserRegs) error {
				return expect(as, r, machine.UserException, func() error {
					if r.Vector != 3 || r.RIP != code+1 {
						return fmt.Errorf("vector %d at %#x, want 3 (#BP) after the int3", r.Vector, r.RIP)
					}
					return nil
				})
			}},
		{"gsbase", []byte{
			0x65, 0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0, // mov %gs:0, %rax
			0x0f, 0x05, // syscall
		}, func(as *machine.AddressSpace, r *machine.UserRegs) error {
			// A program's GS base is loaded for it and comes back.
			var b [8]byte
			binary.LittleEndian.PutUint64(b[:], 0x6a5e)
			if err := as.CopyOut(stack+8, b[:]); err != nil {
				return err
			}
			r.GSBase = uint64(stack + 8)
			return expect(as, r, machine.UserSyscall, func() error {
				if r.RAX != 0x6a5e || r.GSBase != uint64(stack+8) {
					return fmt.Errorf("read %#x through GS base %#x", r.RAX, r.GSBase)
				}
				return nil
			})
		}},
		{"sse", []byte{
			0x66, 0x48, 0x0f, 0x6e, 0xdf, // movq %rdi, %xmm3
			0x0f, 0x05, // syscall
			0x66, 0x48, 0x0f, 0x7e, 0xd8, // movq %xmm3, %rax
			0x0f, 0x05, // syscall
		}, func(as *machine.AddressSpace, r *machine.UserRegs) error {
			// XMM3 must survive a trip through the kernel, where Go runs.
			r.RDI = 0x5ca1ab1e
			if err := expect(as, r, machine.UserSyscall, nil); err != nil {
				return err
			}
			r.RDI = 0
			useSSE() // clobber the kernel thread's SSE registers in between
			return expect(as, r, machine.UserSyscall, func() error {
				if r.RAX != 0x5ca1ab1e {
					return fmt.Errorf("xmm3 came back as %#x", r.RAX)
				}
				return nil
			})
		}},
	}
	report := func(name string, err error) {
		status := "ok"
		if err != nil {
			status = "FAIL: " + err.Error()
			failed++
		}
		fmt.Fprintf(w, "usertest: %-10s %s\n", name, status)
	}
	for _, c := range cases {
		report(c.name, runCase(code, stack, c.prog, c.run))
	}
	report("parallel", parallel(code, stack))
	if n := machine.Memory().UserPages; n != 0 {
		fmt.Fprintf(w, "usertest: %d pages of freed address spaces still held\n", n)
		failed++
	}
	fmt.Fprintf(w, "usertest: %d passed, %d failed\n", len(cases)+1-failed, failed)
	return failed
}

// parallel runs four user programs at once, each on its own goroutine and
// so, while in ring 3, on its own thread with its own page table: each
// stores its RDI at the same address of its own address space and counts
// in RAX.  Registers and memory must stay each program's own.
func parallel(code, stack uintptr) error {
	const data = 0x600000
	prog := []byte{
		0x48, 0x89, 0x3c, 0x25, 0, 0, 0x60, 0, // mov %rdi, 0x600000
		0x48, 0xff, 0xc0, // inc %rax
		0xeb, 0xf3, // jmp back
	}
	errs := make(chan error, 4)
	for i := uint64(1); i <= 4; i++ {
		go func() {
			errs <- runCase(code, stack, prog, func(as *machine.AddressSpace, r *machine.UserRegs) error {
				if err := as.Map(data, 4096, machine.ProtRead|machine.ProtWrite); err != nil {
					return err
				}
				r.RDI, r.RAX = i*0x1111, i<<32
				for round := 0; round < 5; round++ {
					if err := expect(as, r, machine.UserInterrupt, nil); err != nil {
						return err
					}
				}
				var b [8]byte
				if err := as.CopyIn(b[:], data); err != nil {
					return err
				}
				if got := binary.LittleEndian.Uint64(b[:]); got != i*0x1111 || r.RAX>>32 != i || uint32(r.RAX) == 0 {
					return fmt.Errorf("program %d: memory %#x, rax %#x", i, got, r.RAX)
				}
				return nil
			})
		}()
	}
	var first error
	for range 4 {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// sink keeps useSSE's work from being optimised away.
var sink float64

// useSSE does floating-point work, which goes through the SSE registers.
func useSSE() {
	x := 1.5
	for i := 0; i < 100; i++ {
		x = x*1.0001 + float64(i)
	}
	sink = x
}

// runCase builds an address space with prog at code (read-only) and a
// stack page below stack+4096, runs check, and frees the space.
func runCase(code, stack uintptr, prog []byte, check func(*machine.AddressSpace, *machine.UserRegs) error) error {
	as, err := machine.NewAddressSpace()
	if err != nil {
		return err
	}
	defer as.Free()
	if err := as.Map(code, 4096, machine.ProtRead|machine.ProtWrite|machine.ProtExec); err != nil {
		return err
	}
	if err := as.Map(stack, 4096, machine.ProtRead|machine.ProtWrite); err != nil {
		return err
	}
	if err := as.CopyOut(code, prog); err != nil {
		return err
	}
	if err := as.Protect(code, 4096, machine.ProtRead|machine.ProtExec); err != nil {
		return err
	}
	if err := as.CopyOut(code, prog); err == nil {
		return fmt.Errorf("CopyOut wrote to read-only code")
	}
	return check(as, &machine.UserRegs{RIP: uint64(code), RSP: uint64(stack + 4096)})
}

// expect runs r in as and checks the reason it came back for, then calls
// check if there is one.  The end of a time slice can interrupt any
// program: then it simply runs again, as a user thread's loop does.
func expect(as *machine.AddressSpace, r *machine.UserRegs, want int, check func() error) error {
	got, err := as.Run(r)
	for i := 0; i < 1000 && err == nil && got == machine.UserInterrupt && want != machine.UserInterrupt; i++ {
		got, err = as.Run(r)
	}
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("came back for reason %d (vector %d, fault at %#x), want %d", got, r.Vector, r.FaultAddr, want)
	}
	if check != nil {
		return check()
	}
	return nil
}
