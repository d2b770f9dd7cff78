// Command benchqemu (`make bench-qemu`) sets Scone beside a Linux guest
// built from Debian's packages, under the very same QEMU command line
// (tools/runqemu: TCG, one vCPU, 512 MiB, the NIC with romfile=, slirp
// with the forwarded port), and prints one table per NIC:
//
//   - QEMU start to the first HTTP 200 on the forwarded port
//   - latency of GET /bytes/100, a new connection each (median of 100)
//   - wrk -t1 -c8 -d10s on /bytes/100, requests/s
//   - GET of 1 MiB (median of 5) and 64 MiB, MB/s
//   - Scone's longest GC pause around the wrk run
//
// Runs alternate between the two guests; each figure is the median over
// the rounds. Linux serves with busybox httpd from an initramfs whose
// /www/bytes/N files hold the pattern Scone's responder sends for
// /bytes/N. It prints figures and asserts nothing.
//
//	benchqemu [-rounds 2] [-nics e1000,virtio] [-dir build/bench-linux]
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"scone/tools/runqemu"
)

var (
	rounds  = flag.Int("rounds", 2, "runs of each guest per NIC")
	nics    = flag.String("nics", "e1000,virtio", "NICs to compare")
	dir     = flag.String("dir", "build/bench-linux", "where the Linux guest is built")
	busybox = flag.String("busybox", "/bin/busybox", "a static busybox (Debian's busybox-static)")
)

// result is one run's figures; a negative figure was not measured.
type result struct {
	ready, latency time.Duration
	rps, mb1, mb64 float64
	gcPause        time.Duration
	gcs            int
	err            error
}

func main() {
	flag.Parse()
	linux, err := buildLinux(*dir, *busybox)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchqemu: building the Linux guest:", err)
		os.Exit(1)
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		fmt.Fprintln(os.Stderr, "benchqemu: wrk is missing (apt-get install wrk)")
		os.Exit(1)
	}
	for _, nic := range strings.Split(*nics, ",") {
		var lin, sc []result
		for r := 0; r < *rounds; r++ {
			order := []string{"linux", "scone"}
			if r%2 == 1 {
				order = []string{"scone", "linux"}
			}
			for _, guest := range order {
				res := run(guest, nic, linux)
				if res.err != nil {
					fmt.Fprintf(os.Stderr, "benchqemu: %s on %s, round %d: %v\n", guest, nic, r+1, res.err)
				}
				if guest == "linux" {
					lin = append(lin, res)
				} else {
					sc = append(sc, res)
				}
			}
		}
		printTable(nic, lin, sc)
	}
}

// run boots one guest and measures it.
func run(guest, nic string, linux *linuxGuest) (res result) {
	res = result{ready: -1, latency: -1, rps: -1, mb1: -1, mb64: -1, gcPause: -1, gcs: -1}
	port, err := runqemu.FreePort()
	if err != nil {
		res.err = err
		return res
	}
	c := runqemu.Config{NIC: nic, Port: port, Pcap: filepath.Join(*dir, "bench.pcap"), KArgs: "serve"}
	if guest == "linux" {
		c.Loader, c.Kernel, c.KArgs = linux.vmlinuz, linux.initrd, "console=ttyS0 quiet"
	}
	s, err := runqemu.Start(c)
	if err != nil {
		res.err = err
		return res
	}
	defer s.Kill()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)

	// QEMU start to the first 200: poll with short timeouts (slirp
	// accepts on the host side before the guest can answer).
	deadline := time.Now().Add(90 * time.Second)
	for {
		c := &http.Client{Timeout: 250 * time.Millisecond}
		if resp, err := c.Get(base + "/bytes/100"); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				res.ready = time.Since(s.Started)
				break
			}
		}
		if time.Now().After(deadline) {
			res.err = fmt.Errorf("no HTTP 200 within 90 s\n%s", s.Output())
			return res
		}
		time.Sleep(10 * time.Millisecond)
	}

	// Linux makes its 64 MiB file after httpd starts (unpacking it from
	// the initramfs would slow its boot); measure nothing while it does.
	if guest == "linux" {
		if _, err := s.Expect(regexp.MustCompile(`linux 64m ready`), 2*time.Minute); err != nil {
			res.err = err
			return res
		}
	}

	// Latency: a new connection per request.
	fresh := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	var lat []time.Duration
	for i := 0; i < 100; i++ {
		start := time.Now()
		if _, err := fetch(fresh, base+"/bytes/100", 100); err != nil {
			res.err = fmt.Errorf("latency: %v", err)
			return res
		}
		lat = append(lat, time.Since(start))
	}
	res.latency = median(lat)

	gcBefore, _, _ := sconeGC(fresh, base, guest)
	out, err := exec.Command("wrk", "-t1", "-c8", "-d10s", base+"/bytes/100").CombinedOutput()
	if m := regexp.MustCompile(`Requests/sec:\s+([\d.]+)`).FindSubmatch(out); err == nil && m != nil {
		res.rps, _ = strconv.ParseFloat(string(m[1]), 64)
	} else {
		res.err = fmt.Errorf("wrk: %v\n%s", err, out)
	}
	if gcAfter, pause, ok := sconeGC(fresh, base, guest); ok {
		res.gcs, res.gcPause = gcAfter-gcBefore, pause
	}

	keep := &http.Client{Timeout: 5 * time.Minute}
	var mbs []float64
	for i := 0; i < 5; i++ {
		if mb, err := fetch(keep, base+"/bytes/1048576", 1<<20); err == nil {
			mbs = append(mbs, mb)
		} else {
			res.err = err
		}
	}
	if len(mbs) > 0 {
		slices.Sort(mbs)
		res.mb1 = mbs[len(mbs)/2]
	}
	if mb, err := fetch(keep, base+"/bytes/67108864", 64<<20); err == nil {
		res.mb64 = mb
	} else {
		res.err = err
	}
	return res
}

// fetch GETs url, checks the length and returns MB/s.
func fetch(c *http.Client, url string, want int64) (float64, error) {
	start := time.Now()
	resp, err := c.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != 200 || n != want {
		return 0, fmt.Errorf("GET %s: status %d, %d bytes, want 200 and %d", url, resp.StatusCode, n, want)
	}
	return float64(n) / 1e6 / time.Since(start).Seconds(), nil
}

var gcRe = regexp.MustCompile(`gc: (\d+) collections, longest pause (\S+)`)

// sconeGC reads the collector's count and longest recent pause from
// Scone's status page.
func sconeGC(c *http.Client, base, guest string) (int, time.Duration, bool) {
	if guest != "scone" {
		return 0, 0, false
	}
	resp, err := c.Get(base + "/")
	if err != nil {
		return 0, 0, false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := gcRe.FindSubmatch(b)
	if m == nil {
		return 0, 0, false
	}
	n, _ := strconv.Atoi(string(m[1]))
	d, _ := time.ParseDuration(string(m[2]))
	return n, d, true
}

func median[T int64 | float64 | time.Duration](v []T) T {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// printTable prints one NIC's rows: Linux, Scone, and Scone/Linux.
func printTable(nic string, lin, sc []result) {
	fmt.Printf("\nNIC %s: median of %d alternating runs each (TCG, 512 MiB, slirp)\n", nic, *rounds)
	fmt.Printf("%-42s %12s %12s %8s\n", "", "Linux", "Scone", "ratio")
	dur := func(name string, f func(result) time.Duration, unit time.Duration, uname string) {
		l, s := med(lin, f), med(sc, f)
		row(name+" ("+uname+")", float64(l)/float64(unit), float64(s)/float64(unit), l >= 0, s >= 0)
	}
	num := func(name string, f func(result) float64) {
		l, s := med(lin, f), med(sc, f)
		row(name, l, s, l >= 0, s >= 0)
	}
	dur("QEMU start to first HTTP 200", func(r result) time.Duration { return r.ready }, time.Second, "s")
	dur("latency, new connection, median 100", func(r result) time.Duration { return r.latency }, time.Millisecond, "ms")
	num("wrk -t1 -c8 -d10s (requests/s)", func(r result) float64 { return r.rps })
	num("GET 1 MiB (MB/s)", func(r result) float64 { return r.mb1 })
	num("GET 64 MiB (MB/s)", func(r result) float64 { return r.mb64 })
	p := med(sc, func(r result) time.Duration { return r.gcPause })
	g := med(sc, func(r result) float64 { return float64(r.gcs) })
	if p >= 0 {
		fmt.Printf("%-42s %12s %12s   (%.0f GCs during wrk; the longest of the last 256)\n", "longest GC pause around wrk (µs)", "-", fmt.Sprintf("%.0f", float64(p)/1e3), g)
	} else {
		fmt.Printf("%-42s %12s %12s\n", "longest GC pause around wrk (µs)", "-", "n/a")
	}
}

func row(name string, l, s float64, lok, sok bool) {
	f := func(v float64, ok bool) string {
		if !ok {
			return "n/a"
		}
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	ratio := "-"
	if lok && sok && l != 0 {
		ratio = strconv.FormatFloat(s/l, 'f', 2, 64)
	}
	fmt.Printf("%-42s %12s %12s %8s\n", name, f(l, lok), f(s, sok), ratio)
}

// med is the median of f over the runs that measured it (f >= 0), or
// -1 if none did.
func med[T int64 | float64 | time.Duration](rs []result, f func(result) T) T {
	var v []T
	for _, r := range rs {
		if f(r) >= 0 {
			v = append(v, f(r))
		}
	}
	if len(v) == 0 {
		return -1
	}
	return median(v)
}
