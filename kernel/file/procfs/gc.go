package procfs

import (
	"fmt"
	"time"
)

// GCProvider is what /proc/gc asks of the kernel's Go runtime. A
// Provider that also implements it gets the file. Linux has no such
// file: Scone's kernel is a Go program, and its collector's pauses are
// the kernel's pauses, which benchmarks and the httpd status page show.
type GCProvider interface {
	GC() GCStats
}

// GCStats is the kernel collector's record.
type GCStats struct {
	Collections uint64          // since boot
	PauseTotal  time.Duration   // all stop-the-world pauses since boot
	Recent      []time.Duration // the last pauses the runtime keeps (up to 256), oldest first
}

// GC is /proc/gc: one "name value..." line per figure, in nanoseconds:
//
//	collections 42
//	pause_total_ns 1234567
//	recent_pauses_ns 21000 18000 ...
//
// A reader that knows the collection count before and after a run takes
// the last (after-before) recent pauses as the run's.
func GC(s GCStats) []byte {
	b := fmt.Appendf(nil, "collections %d\npause_total_ns %d\nrecent_pauses_ns", s.Collections, s.PauseTotal.Nanoseconds())
	for _, p := range s.Recent {
		b = fmt.Appendf(b, " %d", p.Nanoseconds())
	}
	return append(b, '\n')
}
