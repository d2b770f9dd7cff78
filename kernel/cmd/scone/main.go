// Command scone is the kernel: the program the boot stub loads and the Go
// runtime runs in ring 0.
package main

import (
	"fmt"
	"os"
	"runtime"

	"scone/kernel/machine"
)

func main() {
	fmt.Printf("Scone, %s\n", runtime.Version())
	fmt.Printf("args %q\n", os.Args)
	m := machine.Memory()
	fmt.Printf("memory: %d KiB total, %d KiB free\n", m.TotalPages*4, m.FreePages*4)
	machine.Exit(0)
}
