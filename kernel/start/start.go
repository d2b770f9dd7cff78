// Package start is what the kernel does once the machine layer has booted
// the Go runtime: list the PCI devices, then, as the command line asks, run
// the self-tests, panic on purpose (to prove a panic ends QEMU), or hand
// the serial port to the kernel console.
//
// The kernel's main calls Main after printing its banner and memory map.
// The pieces it wires together are ordinary Go, tested on the host in
// their own packages; this file is the glue that only runs in the kernel.
package start

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"scone/kernel/console"
	"scone/kernel/drivers/pci"
	"scone/kernel/drivers/uart"
	"scone/kernel/machine"
	"scone/kernel/selftest"
)

// hw is the machine layer as the drivers' interfaces see it.
type hw struct{}

func (hw) In8(port uint16) uint8       { return machine.In8(port) }
func (hw) Out8(port uint16, v uint8)   { machine.Out8(port, v) }
func (hw) In32(port uint16) uint32     { return machine.In32(port) }
func (hw) Out32(port uint16, v uint32) { machine.Out32(port, v) }
func (hw) WaitIRQ(irq int) error       { return machine.WaitIRQ(irq) }

// boot approximates when the kernel started: package initialisation runs
// before main, moments after the runtime came up.
var boot = time.Now()

// Main runs the kernel's foreground work and does not return: it ends the
// machine with the status of what it ran (0 after halt or passed tests).
// args are the kernel command-line words (os.Args[1:]).
func Main(args []string) {
	devs := pci.Scan(pci.Mech1{P: hw{}})
	pci.WriteTable(os.Stdout, devs)

	for _, a := range args {
		switch {
		case a == "selftest" || strings.HasPrefix(a, "selftest:"):
			machine.Exit(uint32(selftest.Main(os.Stdout, a)))
		case a == "panictest":
			// Unrecovered, on goroutine 1: the runtime prints the panic
			// and a stack trace and exits 2, which ends QEMU non-zero.
			panic("panictest: an unrecovered kernel panic, as the command line asked")
		}
	}

	mountRoot(devs, os.Stdout)
	diskWork(args, os.Stdout)

	initRuns := rootNamespace != nil && !slices.Contains(args, "console")
	n := startNet(devs, args, os.Stdout)
	if n != nil {
		if initRuns {
			go awaitLease(n, os.Stdout)
		} else {
			awaitLease(n, os.Stdout)
		}
		if slices.Contains(args, "serve") {
			serveHTTP(n, os.Stdout)
		}
		go runClients(n, args, os.Stdout)
	}

	port := uart.New(hw{}, uart.COM1Base, uart.COM1IRQ)
	if initRuns {
		ns, err := rootNamespace()
		if err == nil && n != nil {
			writeNames(ns, n, os.Stdout)
		}
		if err == nil {
			_, err = setupFiles(ns, port)
		}
		if err == nil {
			err = runInit(ns, args)
		}
		if err != nil {
			fmt.Fprintf(os.Stdout, "init: %v\n", err)
			machine.Exit(1)
		}
		select {} // init's exit, or reboot, ends the machine
	}

	c := &console.Console{In: port, Out: port, Commands: append(console.Standard(console.Machine{
		Frames: func() (free, total uint64) {
			m := machine.Memory()
			return m.FreePages, m.TotalPages
		},
		PCI:  func(w io.Writer) error { return pci.WriteTable(w, devs) },
		Boot: boot,
		Halt: func() { syncRoot(); machine.Halt() },
	}), netCommand)}
	if err := c.Run(); !errors.Is(err, console.ErrHalt) {
		fmt.Fprintf(os.Stdout, "console: input ended: %v\n", err)
		machine.Exit(1)
	}
	machine.Exit(0)
}
