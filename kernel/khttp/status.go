package khttp

import (
	"fmt"
	"io"
	"runtime"
	"time"
)

// WriteRuntime writes the status page's first lines: uptime since boot,
// the Go heap, and the collector's count and longest pause among the
// last 256 collections (all the runtime keeps).
func WriteRuntime(w io.Writer, boot time.Time) error {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	var longest uint64
	for i := 0; i < int(min(m.NumGC, uint32(len(m.PauseNs)))); i++ {
		longest = max(longest, m.PauseNs[i])
	}
	_, err := fmt.Fprintf(w, "uptime %v\ngo heap: %.1f MiB in use, %.1f MiB from the OS\ngc: %d collections, longest pause %v (of the last %d)\n",
		time.Since(boot).Round(time.Millisecond), float64(m.HeapAlloc)/(1<<20), float64(m.Sys)/(1<<20),
		m.NumGC, time.Duration(longest), min(m.NumGC, uint32(len(m.PauseNs))))
	return err
}
