package main

import (
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"scone/tools/runqemu"
)

// result is one run's figures, by row key (rows in main.go); a row it
// lacks was not measured.
type result struct {
	v   map[string]float64
	err error
}

// wrkRuns are the wrk loads: connections, and keep-alive or a new
// connection per request (wrk sends "Connection: close", and the server
// closes after the response; wrk then reconnects).
var wrkRuns = []struct {
	key   string
	conns int
	close bool
}{
	{"rps8", 8, false}, {"rps64", 64, false}, {"rps8close", 8, true}, {"rps64close", 64, true},
}

// run boots one guest on nic and measures it.
func run(g guest, nic string) (res result) {
	res.v = map[string]float64{}
	port, err := runqemu.FreePort()
	if err != nil {
		res.err = err
		return res
	}
	c := runqemu.Config{NIC: nic, Port: port, Pcap: filepath.Join(*dir, "bench.pcap"), KArgs: g.kargs, Disk: g.disk}
	if g.kernel == "linux" {
		c.Loader, c.Kernel = g.vmlinuz, g.initrd
	}
	s, err := runqemu.Start(c)
	if err != nil {
		res.err = err
		return res
	}
	defer s.Kill()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	booted, stop := make(chan map[string]float64, 1), make(chan struct{})
	go func() { booted <- timeMilestones(s, g.milestones, stop) }()

	// QEMU start to the first 200: poll with short timeouts (slirp
	// accepts on the host side before the guest can answer).
	deadline := time.Now().Add(90 * time.Second)
	for {
		c := &http.Client{Timeout: 250 * time.Millisecond}
		if resp, err := c.Get(base + "/bytes/100"); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				res.v["ready"] = time.Since(s.Started).Seconds()
				break
			}
		}
		if time.Now().After(deadline) {
			res.err = fmt.Errorf("no HTTP 200 within 90 s\n%s", s.Transcript())
			return res
		}
		time.Sleep(10 * time.Millisecond)
	}

	// The milestones: Scone's come before it serves; Linux makes its
	// 64 MiB file after httpd starts (unpacking it from the initramfs
	// would slow its boot), and nothing is measured while it does.
	if g.kernel != "linux" {
		close(stop)
	}
	for k, v := range <-booted {
		res.v[k] = v
	}
	if g.kernel == "linux" {
		if _, ok := res.v["t-64m"]; !ok {
			res.err = fmt.Errorf("Linux never made its 64 MiB file\n%s", s.Transcript())
			return res
		}
	}

	lat, err := curlLatency(base+"/bytes/100", *latencyN)
	if err != nil {
		res.err = err
		return res
	}
	res.v["latency"] = lat.Seconds() * 1e3

	status := &http.Client{Timeout: 10 * time.Second}
	before, gcOK := readGC(status, base, g)
	for _, w := range wrkRuns {
		rps, err := wrk(base+"/bytes/100", w.conns, w.close)
		if err != nil {
			res.err = err
			continue
		}
		res.v[w.key] = rps
	}
	if after, ok := readGC(status, base, g); ok && gcOK {
		n := after.count - before.count
		res.v["gcs"] = float64(n)
		res.v["gcpause"] = float64(after.longest(int(n)).Microseconds())
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
		res.v["mb1"] = median(mbs)
	}
	// Twice: the first read of the file is the disk's (Scone's file
	// system; Linux's is a tmpfs), the second may come from the cache.
	for _, key := range []string{"mb64", "mb64again"} {
		if mb, err := fetch(keep, base+"/bytes/67108864", 64<<20); err == nil {
			res.v[key] = mb
		} else {
			res.err = err
		}
	}
	return res
}

// timeMilestones watches the console (every 2 ms, until all are seen,
// stop is closed, or 2 minutes) and returns the seconds from QEMU's
// start to the first appearance of each milestone, in whatever order
// they come.
func timeMilestones(s *runqemu.Session, ms []milestone, stop <-chan struct{}) map[string]float64 {
	t := map[string]float64{}
	for deadline := time.Now().Add(2 * time.Minute); len(t) < len(ms) && time.Now().Before(deadline); {
		now, out := time.Since(s.Started).Seconds(), s.Output()
		for _, m := range ms {
			if _, seen := t[m.key]; !seen && m.re.MatchString(out) {
				t[m.key] = now
			}
		}
		select {
		case <-stop:
			return t
		case <-time.After(2 * time.Millisecond):
		}
	}
	return t
}

// curlLatency is the median time_total of n curl GETs, each a new
// process and connection.
func curlLatency(url string, n int) (time.Duration, error) {
	var lat []time.Duration
	for i := 0; i < n; i++ {
		out, err := exec.Command("curl", "-sS", "--max-time", "10", "-o", "/dev/null",
			"-w", "%{http_code} %{size_download} %{time_total}", url).CombinedOutput()
		f := strings.Fields(string(out))
		if err != nil || len(f) != 3 || f[0] != "200" || f[1] != "100" {
			return 0, fmt.Errorf("curl %s: %v: %s", url, err, out)
		}
		s, err := strconv.ParseFloat(f[2], 64)
		if err != nil {
			return 0, fmt.Errorf("curl time_total %q: %v", f[2], err)
		}
		lat = append(lat, time.Duration(s*float64(time.Second)))
	}
	return median(lat), nil
}

var rpsRe = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)

// wrk runs wrk with one thread and conns connections for -duration and
// returns its requests/s. Responses other than 2xx/3xx, or socket
// errors beyond the connects wrk makes for "Connection: close", fail it.
func wrk(url string, conns int, close bool) (float64, error) {
	args := []string{"-t1", "-c" + strconv.Itoa(conns), "-d" + duration.String(), "--timeout", "10s"}
	if close {
		args = append(args, "-H", "Connection: close")
	}
	out, err := exec.Command("wrk", append(args, url)...).CombinedOutput()
	m := rpsRe.FindSubmatch(out)
	if err != nil || m == nil {
		return 0, fmt.Errorf("wrk %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if strings.Contains(string(out), "Non-2xx or 3xx responses") {
		return 0, fmt.Errorf("wrk %s: errors\n%s", strings.Join(args, " "), out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
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

// gcRecord is the kernel collector's count and its recent pauses, oldest
// first.
type gcRecord struct {
	count  uint64
	recent []time.Duration
}

// longest is the longest of the last n pauses.
func (r gcRecord) longest(n int) time.Duration {
	return slices.Max(append([]time.Duration{0}, r.recent[max(len(r.recent)-n, 0):]...))
}

// readGC fetches the guest's status page and parses the collector's record.
func readGC(c *http.Client, base string, g guest) (gcRecord, bool) {
	if g.gc == nil {
		return gcRecord{}, false
	}
	path := "/status"
	if g.kargs == "serve" {
		path = "/"
	}
	resp, err := c.Get(base + path)
	if err != nil {
		return gcRecord{}, false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return g.gc(b)
}

var (
	httpdGCRe = regexp.MustCompile(`kernel gc: (\d+) collections`)
	httpdPsRe = regexp.MustCompile(`kernel gc pauses \(ns, oldest first\):([ \d]*)`)
	khttpGCRe = regexp.MustCompile(`gc: (\d+) collections, longest pause (\S+)`)
)

// httpdGC reads user/httpd's /status, whose kernel gc lines come from
// /proc/gc: the count and every recent pause.
func httpdGC(page []byte) (gcRecord, bool) {
	m, p := httpdGCRe.FindSubmatch(page), httpdPsRe.FindSubmatch(page)
	if m == nil || p == nil {
		return gcRecord{}, false
	}
	r := gcRecord{}
	r.count, _ = strconv.ParseUint(string(m[1]), 10, 64)
	for _, f := range strings.Fields(string(p[1])) {
		ns, _ := strconv.ParseInt(f, 10, 64)
		r.recent = append(r.recent, time.Duration(ns))
	}
	return r, true
}

// khttpGC reads kernel/khttp's status page, which gives only the longest
// of the last 256 pauses: the window's longest is that one, or shorter.
func khttpGC(page []byte) (gcRecord, bool) {
	m := khttpGCRe.FindSubmatch(page)
	if m == nil {
		return gcRecord{}, false
	}
	r := gcRecord{}
	r.count, _ = strconv.ParseUint(string(m[1]), 10, 64)
	d, err := time.ParseDuration(string(m[2]))
	if err != nil {
		return gcRecord{}, false
	}
	r.recent = []time.Duration{d}
	return r, true
}

func median[T int64 | float64 | time.Duration](v []T) T {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
