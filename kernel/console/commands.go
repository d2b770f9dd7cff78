package console

import (
	"fmt"
	"io"
	"runtime"
	"time"
)

// Machine is what the standard commands need from the rest of the kernel.
type Machine struct {
	// Frames reports physical memory in 4 KiB frames: free and total.
	Frames func() (free, total uint64)
	// PCI prints the PCI device table.
	PCI func(w io.Writer) error
	// Boot is when the kernel started; uptime counts from it.
	Boot time.Time
	// Halt ends the machine with status 0. It may return (tests); the
	// console then ends with ErrHalt.
	Halt func()
}

// Standard returns the console's commands: mem, pci, gc, uptime, halt.
// help is built in.
func Standard(m Machine) []Command {
	return []Command{
		{"mem", "free frames, Go heap and GC count", func(w io.Writer, _ []string) error {
			return mem(w, m)
		}},
		{"pci", "list PCI devices", func(w io.Writer, _ []string) error {
			return m.PCI(w)
		}},
		{"gc", "run the garbage collector", gc},
		{"uptime", "time since boot", func(w io.Writer, _ []string) error {
			_, err := fmt.Fprintf(w, "up %v\n", time.Since(m.Boot).Round(time.Millisecond))
			return err
		}},
		{"halt", "stop the machine", func(w io.Writer, _ []string) error {
			io.WriteString(w, "halting\n")
			m.Halt()
			return ErrHalt
		}},
	}
}

const mib = 1 << 20

// mem prints physical memory and the Go heap as the runtime sees it.
func mem(w io.Writer, m Machine) error {
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	if m.Frames != nil {
		free, total := m.Frames()
		fmt.Fprintf(w, "frames: %d free of %d (%.1f MiB free, %.1f MiB held)\n",
			free, total, float64(free*4096)/mib, float64((total-free)*4096)/mib)
	}
	_, err := fmt.Fprintf(w, "go heap: %.1f MiB in use, %.1f MiB from the OS, %.1f MiB total sys; %d GCs\n",
		float64(s.HeapAlloc)/mib, float64(s.HeapSys)/mib, float64(s.Sys)/mib, s.NumGC)
	return err
}

// gc runs a collection and reports what it freed and how long it took.
func gc(w io.Writer, _ []string) error {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	runtime.GC()
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	_, err := fmt.Fprintf(w, "gc: heap %.1f -> %.1f MiB in %v (GC #%d)\n",
		float64(before.HeapAlloc)/mib, float64(after.HeapAlloc)/mib, took.Round(time.Microsecond), after.NumGC)
	return err
}
