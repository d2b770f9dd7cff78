package khttp

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"runtime/metrics"
	"time"
)

// WriteRuntime writes the status page's first lines: uptime since boot,
// the Go heap, the collector's count and longest pause among the last
// 256 collections (all MemStats keeps), and, from the runtime's
// histograms since boot, the longest stop-the-world pause split into the
// time to stop every goroutine and the whole pause, and the longest wait
// of a runnable goroutine for the CPU: where pauses come from.
func WriteRuntime(w io.Writer, boot time.Time) error {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	kept := min(m.NumGC, uint32(len(m.PauseNs)))
	var longest uint64
	for i := uint32(0); i < kept; i++ {
		longest = max(longest, m.PauseNs[i])
	}
	samples := []metrics.Sample{
		{Name: "/sched/pauses/stopping/gc:seconds"},
		{Name: "/sched/pauses/total/gc:seconds"},
		{Name: "/sched/latencies:seconds"},
	}
	metrics.Read(samples)
	_, err := fmt.Fprintf(w, "uptime %v\ngo heap: %.1f MiB in use, %.1f MiB from the OS\n"+
		"gc: %d collections, longest pause %v (of the last %d)\n"+
		"since boot: gc stop-the-world up to %s (stopping up to %s); goroutine run delay up to %s\n",
		time.Since(boot).Round(time.Millisecond), float64(m.HeapAlloc)/(1<<20), float64(m.Sys)/(1<<20),
		m.NumGC, time.Duration(longest), kept,
		histMax(samples[1]), histMax(samples[0]), histMax(samples[2]))
	return err
}

// histMax returns the upper bound of the highest non-empty bucket of a
// histogram of seconds, as "<= D", or "-" if it is empty.
func histMax(s metrics.Sample) string {
	if s.Value.Kind() != metrics.KindFloat64Histogram {
		return "-"
	}
	h := s.Value.Float64Histogram()
	for i := len(h.Counts) - 1; i >= 0; i-- {
		if h.Counts[i] > 0 {
			hi := h.Buckets[i+1]
			if math.IsInf(hi, 1) {
				return fmt.Sprintf("> %v", time.Duration(h.Buckets[i]*1e9))
			}
			return fmt.Sprintf("<= %v", time.Duration(hi*1e9))
		}
	}
	return "-"
}
