// Command benchqemu (`make bench-qemu`) sets Scone's user-space httpd
// beside a Linux guest built from Debian's packages serving with busybox
// httpd, under the very same QEMU command line (tools/runqemu: TCG, one
// vCPU, 512 MiB, the NIC with romfile=, slirp with the forwarded port),
// and prints one table per NIC:
//
//   - QEMU start to the first HTTP 200 on the forwarded port (Scone's
//     httpd is started by init from /etc/rc, Linux's by its init script)
//   - latency of GET /bytes/100 by curl, a new connection each (median)
//   - wrk -t1 -c8 and -c64 on /bytes/100, requests/s, with keep-alive and
//     with "Connection: close" (a new connection per request)
//   - GET of 1 MiB (median of 5) and 64 MiB (twice), MB/s
//   - Scone's kernel's longest GC pause over the wrk runs (/proc/gc, read
//     through httpd's /status before and after)
//
// Runs alternate between the guests; each figure is the median over the
// rounds. Both serve /www/bytes/N files holding the pattern Scone's
// in-kernel responder sends for /bytes/N; -responder adds that responder
// (KARGS=serve, no process layer) as a third column. It prints figures
// and asserts nothing.
//
//	benchqemu [-rounds 2] [-nics e1000,virtio] [-duration 10s] [-responder]
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

var (
	rounds    = flag.Int("rounds", 2, "runs of each guest per NIC")
	nics      = flag.String("nics", "e1000,virtio", "NICs to compare")
	dir       = flag.String("dir", "build/bench-linux", "where the guests are built")
	root      = flag.String("root", "build/root", "Scone's staged root tree (make rootfs)")
	busybox   = flag.String("busybox", "/bin/busybox", "a static busybox (Debian's busybox-static)")
	duration  = flag.Duration("duration", 10*time.Second, "each wrk run")
	latencyN  = flag.Int("latency", 100, "curl requests for the latency")
	withKhttp = flag.Bool("responder", false, "also measure Scone's in-kernel responder (KARGS=serve)")
)

// rows are the table's rows: a result key and a heading.
var rows = []struct {
	key, name string
}{
	{"ready", "QEMU start to first HTTP 200 (s)"},
	{"t-kernel", "  of which: kernel's first line (s)"},
	{"t-disk", "  root mounted (s)"},
	{"t-net", "  network configured (s)"},
	{"t-listen", "  server listening (s)"},
	{"latency", "curl latency, new connection (ms)"},
	{"rps8", "wrk -c8 keep-alive (requests/s)"},
	{"rps64", "wrk -c64 keep-alive (requests/s)"},
	{"rps8close", "wrk -c8 Connection: close (requests/s)"},
	{"rps64close", "wrk -c64 Connection: close (requests/s)"},
	{"mb1", "GET 1 MiB (MB/s)"},
	{"mb64", "GET 64 MiB (MB/s)"},
	{"mb64again", "GET 64 MiB again (MB/s)"},
	{"gcpause", "kernel's longest GC pause, wrk runs (µs)"},
	{"gcs", "kernel GCs during the wrk runs"},
}

func main() {
	flag.Parse()
	for _, tool := range []string{"wrk", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			fatal(fmt.Errorf("%s is missing (make bench-deps)", tool))
		}
	}
	linux, err := buildLinux(*dir, *busybox)
	if err != nil {
		fatal(fmt.Errorf("building the Linux guest: %v", err))
	}
	scone, err := buildScone(*dir+"/scone", *root)
	if err != nil {
		fatal(fmt.Errorf("building Scone's image: %v", err))
	}
	guests := []guest{linux, scone}
	if *withKhttp {
		guests = append(guests, responder())
	}
	for _, nic := range strings.Split(*nics, ",") {
		results := make([][]result, len(guests))
		for r := 0; r < *rounds; r++ {
			for i := range guests {
				// Alternate the order each round.
				if r%2 == 1 {
					i = len(guests) - 1 - i
				}
				res := run(guests[i], nic)
				if res.err != nil {
					fmt.Fprintf(os.Stderr, "benchqemu: %s on %s, round %d: %v\n", guests[i].name, nic, r+1, res.err)
				}
				results[i] = append(results[i], res)
			}
		}
		printTable(nic, guests, results)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "benchqemu:", err)
	os.Exit(1)
}

// printTable prints one NIC's rows: each guest's median, and Scone's
// figure over Linux's.
func printTable(nic string, guests []guest, results [][]result) {
	fmt.Printf("\nNIC %s: median of %d alternating runs each (TCG, 512 MiB, slirp; wrk -t1 -d%v)\n", nic, *rounds, *duration)
	fmt.Printf("%-44s", "")
	for _, g := range guests {
		fmt.Printf(" %12s", g.name)
	}
	fmt.Printf(" %12s\n", "Scone/Linux")
	for _, row := range rows {
		fmt.Printf("%-44s", row.name)
		meds := make([]float64, len(guests))
		for i := range guests {
			var v []float64
			for _, r := range results[i] {
				if x, ok := r.v[row.key]; ok {
					v = append(v, x)
				}
			}
			meds[i] = -1
			s := "n/a"
			if len(v) > 0 {
				meds[i] = median(v)
				s = strconv.FormatFloat(meds[i], 'f', 2, 64)
			}
			fmt.Printf(" %12s", s)
		}
		ratio := "-"
		if meds[0] > 0 && meds[1] >= 0 {
			ratio = strconv.FormatFloat(meds[1]/meds[0], 'f', 2, 64)
		}
		fmt.Printf(" %12s\n", ratio)
	}
	if *withKhttp {
		fmt.Println("(khttp's status page gives only the longest of its last 256 GC pauses, the boot's among them)")
	}
}
