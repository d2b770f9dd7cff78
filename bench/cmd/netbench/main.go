// Command netbench measures Scone's TCP/IP stack beside gVisor's netstack.
// Each stack runs as two instances (client and server) joined by the same
// in-memory Ethernet cable, and both are driven by the same workload code,
// in one process, in one run.
//
//	cd bench && go run ./cmd/netbench          # a few seconds per row
//	cd bench && go run ./cmd/netbench -long    # longer, steadier figures (make bench-net)
//
// Measurements are interleaved (rep 1: ours then gVisor, rep 2: gVisor then
// ours, ...) and each table cell is the median of its reps, because the
// machines this runs on are shared and noisy, followed by the spread of
// the reps (half the range between the smallest and largest, as a
// percentage of the median). Frames the cable dropped are counted in
// their own rows. The figures are printed, never asserted.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"scone/bench/internal/gvisor"
	"scone/bench/internal/scone"
	"scone/bench/internal/workload"
)

// stacks lists the implementations compared, ours first: the table's
// columns.
var stacks = []workload.Stack{scone.Stack, gvisor.Stack}

// A measurement is one workload run on a fresh Pair.
type measurement struct {
	name string
	run  func(workload.Pair, time.Duration) (workload.Result, error)
}

var measurements = []measurement{
	{"bulk", workload.Bulk},
	{"rr", workload.RoundTrips},
	{"conn", workload.Connections},
}

// A row of the table: a figure derived from one measurement's results.
type row struct {
	title       string
	from        string // measurement name
	value       func(workload.Result) float64
	lowerBetter bool // ratio is gVisor/ours instead of ours/gVisor
	total       bool // the cell is the sum over the reps, not the median
}

var rows = []row{
	{"TCP bulk throughput (MB/s)", "bulk", func(r workload.Result) float64 { return r.PerSecond() / 1e6 }, false, false},
	{"allocations per MB (bulk)", "bulk", func(r workload.Result) float64 { return r.MallocsPer(1e6) }, true, false},
	{"1-byte round trips/s", "rr", func(r workload.Result) float64 { return r.PerSecond() }, false, false},
	{"allocations per round trip", "rr", func(r workload.Result) float64 { return r.MallocsPer(1) }, true, false},
	{"connections/s (connect+accept+close)", "conn", func(r workload.Result) float64 { return r.PerSecond() }, false, false},
	{"allocations per connection", "conn", func(r workload.Result) float64 { return r.MallocsPer(1) }, true, false},
	{"99th percentile connection (µs)", "conn", func(r workload.Result) float64 { return r.P99.Seconds() * 1e6 }, true, false},
	{"slowest connection (ms)", "conn", func(r workload.Result) float64 { return r.Slowest.Seconds() * 1e3 }, true, false},
	{"frames dropped by the cable, all reps (bulk)", "bulk", drops, true, true},
	{"frames dropped by the cable, all reps (rr)", "rr", drops, true, true},
	{"frames dropped by the cable, all reps (conn)", "conn", drops, true, true},
}

// drops is the frames the cable dropped (its ring was full) in a run:
// losses slow a stack down, so they are shown beside its figures.
func drops(r workload.Result) float64 { return float64(r.Drops) }

func main() {
	var (
		dur     = flag.Duration("time", 250*time.Millisecond, "length of one measurement")
		reps    = flag.Int("reps", 5, "measurements per stack and workload; the table shows the median")
		long    = flag.Bool("long", false, "longer run: -time 2s -reps 7")
		only    = flag.String("run", "bulk,rr,conn", "comma-separated workloads to run: bulk, rr, conn")
		stackF  = flag.String("stacks", "", "comma-separated stacks to run (ours, gvisor); default all")
		verbose = flag.Bool("v", false, "print every measurement as it completes")
		limit   = flag.Duration("timeout", 60*time.Second, "give up on a measurement after this long")
		cpuprof = flag.String("cpuprofile", "", "write a CPU profile of the measurements to `file`")
		memprof = flag.String("memprofile", "", "write an allocation profile to `file` (every allocation sampled)")
		blkprof = flag.String("blockprofile", "", "write a goroutine blocking profile to `file`")
		mtxprof = flag.String("mutexprofile", "", "write a mutex contention profile to `file`")
	)
	flag.Parse()
	if *long {
		*dur, *reps = 2*time.Second, 7
	}
	log.SetFlags(0)
	log.SetPrefix("netbench: ")

	chosen := selectStacks(*stackF)
	var ms []measurement
	for _, m := range measurements {
		if slices.Contains(strings.Split(*only, ","), m.name) {
			ms = append(ms, m)
		}
	}
	if len(chosen) == 0 || len(ms) == 0 {
		log.Fatalf("nothing to run (-stacks %q, -run %q)", *stackF, *only)
	}

	if *memprof != "" {
		runtime.MemProfileRate = 1
	}
	if *blkprof != "" {
		runtime.SetBlockProfileRate(1)
	}
	if *mtxprof != "" {
		runtime.SetMutexProfileFraction(1)
	}
	if *cpuprof != "" {
		f, err := os.Create(*cpuprof)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}

	printHeader(os.Stdout, *dur, *reps)
	// results[stack][measurement] holds one Result per successful rep;
	// failures[stack][measurement] the last error.
	results := map[string]map[string][]workload.Result{}
	failures := map[string]map[string]error{}
	for _, s := range chosen {
		results[s.Name] = map[string][]workload.Result{}
		failures[s.Name] = map[string]error{}
	}
	for rep := range *reps {
		for _, m := range ms {
			order := slices.Clone(chosen)
			if rep%2 == 1 {
				slices.Reverse(order)
			}
			for _, s := range order {
				r, err := measure(s, m, *dur, *limit)
				if err != nil {
					failures[s.Name][m.name] = err
					if *verbose {
						fmt.Printf("  rep %d %-5s %-7s error: %v\n", rep+1, m.name, s.Name, err)
					}
					continue
				}
				results[s.Name][m.name] = append(results[s.Name][m.name], r)
				if *verbose {
					fmt.Printf("  rep %d %-5s %-7s %12.0f ops in %v, %d mallocs, %d frames (%d dropped)\n",
						rep+1, m.name, s.Name, r.Ops, r.Elapsed.Round(time.Millisecond), r.Mallocs, r.Frames, r.Drops)
				}
			}
		}
	}
	if *cpuprof != "" {
		pprof.StopCPUProfile()
	}
	writeProfile("allocs", *memprof)
	writeProfile("block", *blkprof)
	writeProfile("mutex", *mtxprof)
	printTable(os.Stdout, chosen, ms, results, failures)
}

// measure runs m on a fresh Pair of s, giving up after limit so that a
// stack that hangs cannot hang the benchmark.
func measure(s workload.Stack, m measurement, d, limit time.Duration) (workload.Result, error) {
	p, err := s.NewPair()
	if err != nil {
		return workload.Result{}, fmt.Errorf("new pair: %w", err)
	}
	// Start every measurement from a collected heap so that one run's
	// garbage is not charged to the next.
	runtime.GC()
	type outcome struct {
		r   workload.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		r, err := m.run(p, d)
		done <- outcome{r, err}
	}()
	select {
	case o := <-done:
		o.r.Frames, o.r.Drops = p.Frames()
		p.Close()
		return o.r, o.err
	case <-time.After(limit):
		p.Close()
		return workload.Result{}, fmt.Errorf("timed out after %v", limit)
	}
}

func selectStacks(list string) []workload.Stack {
	if list == "" {
		return stacks
	}
	var out []workload.Stack
	for _, s := range stacks {
		for _, name := range strings.Split(list, ",") {
			if strings.EqualFold(strings.TrimSpace(name), s.Name) {
				out = append(out, s)
			}
		}
	}
	return out
}

func printHeader(w io.Writer, d time.Duration, reps int) {
	gv := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range bi.Deps {
			if dep.Path == "gvisor.dev/gvisor" {
				gv = dep.Version
			}
		}
	}
	fmt.Fprintf(w, "netbench: %s, GOMAXPROCS=%d, %d reps of %v per stack and workload, medians ± spread (half the range, %% of the median)\n",
		runtime.Version(), runtime.GOMAXPROCS(0), reps, d)
	fmt.Fprintf(w, "gVisor netstack %s; both stacks: two instances, Ethernet+ARP, MTU 1500, in-memory cable\n\n", gv)
}

// writeProfile writes the named runtime profile to path, if path is set.
func writeProfile(name, path string) {
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		log.Fatal(err)
	}
}
