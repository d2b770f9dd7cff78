package procnet

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// GC is Scone's /proc/gc: the kernel's Go collector.
type GC struct {
	Collections uint64
	PauseTotal  time.Duration
	Recent      []time.Duration // the last pauses kept, oldest first
	// Stopping and Whole are the histograms since boot of each
	// stop-the-world pause's time to stop and its whole length.
	Stopping, Whole []Bucket
}

// Bucket is a histogram's non-empty bucket: Count values at most Upper
// (Upper < 0: unbounded).
type Bucket struct {
	Upper time.Duration
	Count uint64
}

// Max is the upper bound of the highest bucket, -1 if unbounded, 0 if
// the histogram is empty.
func Max(h []Bucket) time.Duration {
	if len(h) == 0 {
		return 0
	}
	return h[len(h)-1].Upper
}

// Longest is the longest of the last n recent pauses (all kept if n is
// more), or 0 if there are none.
func (g GC) Longest(n int) time.Duration {
	var d time.Duration
	for _, p := range g.Recent[max(len(g.Recent)-n, 0):] {
		d = max(d, p)
	}
	return d
}

// ParseGC reads /proc/gc ("name value..." lines, nanoseconds); names it
// does not know are skipped, so the file can grow.
func ParseGC(r io.Reader) (GC, error) {
	var g GC
	seen := 0
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 64<<10) // 256 pauses of up to 20 digits
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if h := histFor(&g, f[0]); h != nil {
			for _, kv := range f[1:] {
				b, err := parseBucket(kv)
				if err != nil {
					return GC{}, fmt.Errorf("procnet: bad gc line %q", sc.Text())
				}
				*h = append(*h, b)
			}
			continue
		}
		var vals []uint64
		for _, s := range f[1:] {
			v, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return GC{}, fmt.Errorf("procnet: bad gc line %q", sc.Text())
			}
			vals = append(vals, v)
		}
		one := func(dst *uint64) error {
			if len(vals) != 1 {
				return fmt.Errorf("procnet: bad gc line %q", sc.Text())
			}
			*dst = vals[0]
			seen++
			return nil
		}
		var err error
		switch f[0] {
		case "collections":
			err = one(&g.Collections)
		case "pause_total_ns":
			var ns uint64
			err = one(&ns)
			g.PauseTotal = time.Duration(ns)
		case "recent_pauses_ns":
			for _, v := range vals {
				g.Recent = append(g.Recent, time.Duration(v))
			}
		}
		if err != nil {
			return GC{}, err
		}
	}
	if err := sc.Err(); err != nil {
		return GC{}, err
	}
	if seen != 2 {
		return GC{}, fmt.Errorf("procnet: gc lacks collections or pause_total_ns")
	}
	return g, nil
}

// histFor is the histogram a line's name fills, or nil.
func histFor(g *GC, name string) *[]Bucket {
	switch name {
	case "stw_stopping_hist_ns":
		return &g.Stopping
	case "stw_whole_hist_ns":
		return &g.Whole
	}
	return nil
}

// parseBucket reads "UPPER:COUNT", UPPER in ns or "inf".
func parseBucket(s string) (Bucket, error) {
	up, n, ok := strings.Cut(s, ":")
	if !ok {
		return Bucket{}, fmt.Errorf("no colon")
	}
	count, err := strconv.ParseUint(n, 10, 64)
	if err != nil {
		return Bucket{}, err
	}
	if up == "inf" {
		return Bucket{Upper: -1, Count: count}, nil
	}
	ns, err := strconv.ParseUint(up, 10, 63)
	if err != nil {
		return Bucket{}, err
	}
	return Bucket{Upper: time.Duration(ns), Count: count}, nil
}
