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
	// Stopping and Whole are the runtime's histograms since boot of
	// each stop-the-world pause of the collector (not a cycle's sum):
	// the time to stop every goroutine, and the whole pause.
	Stopping, Whole []Bucket
}

// Bucket is one non-empty bucket of a histogram: Count values at most
// Upper (Upper < 0: no bound).
type Bucket struct {
	Upper time.Duration
	Count uint64
}

// GC is /proc/gc: one "name value..." line per figure, in nanoseconds:
//
//	collections 42
//	pause_total_ns 1234567
//	recent_pauses_ns 21000 18000 ...
//	stw_stopping_hist_ns 1024:40 2048:3 ...
//	stw_whole_hist_ns 131072:70 262144:12 ... inf:1
//
// A reader that knows the collection count before and after a run takes
// the last (after-before) recent pauses as the run's. The histograms'
// non-empty buckets are UPPER:COUNT, cumulative since boot: the highest
// bucket whose count grew over a run bounds that run's longest pause
// or time to stop.
func GC(s GCStats) []byte {
	b := fmt.Appendf(nil, "collections %d\npause_total_ns %d\nrecent_pauses_ns", s.Collections, s.PauseTotal.Nanoseconds())
	for _, p := range s.Recent {
		b = fmt.Appendf(b, " %d", p.Nanoseconds())
	}
	b = appendHist(append(b, "\nstw_stopping_hist_ns"...), s.Stopping)
	b = appendHist(append(b, "\nstw_whole_hist_ns"...), s.Whole)
	return append(b, '\n')
}

func appendHist(b []byte, h []Bucket) []byte {
	for _, x := range h {
		if x.Upper < 0 {
			b = fmt.Appendf(b, " inf:%d", x.Count)
		} else {
			b = fmt.Appendf(b, " %d:%d", x.Upper.Nanoseconds(), x.Count)
		}
	}
	return b
}
