// Command scone is the kernel: the Go program that boot/boot.S loads and
// the machine layer (kernel/machine) runs in ring 0 on the stock runtime.
// By the time main runs, the runtime is up: goroutines, the garbage
// collector and timers all work.  main reports the machine and hands over
// to kernel/start, except for two command-line words that test the machine
// layer itself: usertest runs programs in ring 3 (usertest.go) and
// crashtest faults in kernel context, which must end QEMU with
// machine.FatalStatus.
package main

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"time"

	"scone/kernel/machine"
	"scone/kernel/start"
)

func main() {
	fmt.Printf("Scone, a Go kernel (%s, %s/%s)\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	printMemory()
	fmt.Printf("clock: TSC at %d MHz, %s; random: %s\n",
		machine.TSCHz()/1e6, time.Now().UTC().Format("2006-01-02 15:04:05 UTC"), machine.RandomSource())
	if slices.Contains(os.Args[1:], "usertest") {
		machine.Exit(uint32(min(userTest(os.Stdout), 1)))
	}
	if slices.Contains(os.Args[1:], "crashtest") {
		machine.CrashTest() // a fault in kernel context: QEMU exits with machine.FatalStatus
	}
	start.Main(os.Args[1:])
}

var regionTypes = map[uint32]string{1: "usable", 2: "reserved", 3: "ACPI data", 4: "ACPI NVS", 5: "bad"}

func printMemory() {
	fmt.Println("memory map:")
	for _, r := range machine.MemoryMap() {
		t, ok := regionTypes[r.Type]
		if !ok {
			t = fmt.Sprintf("type %d", r.Type)
		}
		fmt.Printf("  %#012x-%#012x %8d KiB %s\n", r.Base, r.Base+r.Len-1, r.Len>>10, t)
	}
	ks, ke := machine.KernelImage()
	m := machine.Memory()
	kib := func(pages uint64) uint64 { return pages * m.PageSize >> 10 }
	fmt.Printf("kernel image %#x-%#x; memory: %d KiB total, %d KiB free, %d KiB in use\n",
		ks, ke, kib(m.TotalPages), kib(m.FreePages), kib(m.UsedPages))
}
