package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"scone/user/internal/procnet"
)

// statusHandler writes /status: uptime, memory, the kernel collector's
// pauses and network counters read from /proc as plain text. A file that is missing or unreadable (a
// kernel without it) gives "unavailable" on its line, never an error page.
type statusHandler struct {
	proc  string
	start time.Time
	c     *counters
}

func (h statusHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "httpd status on %s at %s\n\n", host, time.Now().UTC().Format(time.RFC1123))
	if up, err := readWith(h.proc, "uptime", procnet.ParseUptime); err != nil {
		fmt.Fprintf(&b, "uptime:   unavailable (%v)\n", err)
	} else {
		fmt.Fprintf(&b, "uptime:   %v\n", up.Round(time.Second))
	}
	fmt.Fprintf(&b, "httpd:    up %v, %d requests, %d errors, %d body bytes sent\n",
		time.Since(h.start).Round(time.Second), h.c.requests.Load(), h.c.errors.Load(), h.c.bytes.Load())
	if m, err := readWith(h.proc, "meminfo", procnet.ParseMeminfo); err != nil {
		fmt.Fprintf(&b, "memory:   unavailable (%v)\n", err)
	} else {
		fmt.Fprintf(&b, "memory:   %s total, %s free", mib(m["MemTotal"]), mib(m["MemFree"]))
		if v, ok := m["MemAvailable"]; ok {
			fmt.Fprintf(&b, ", %s available", mib(v))
		}
		b.WriteString("\n")
	}
	// Scone's kernel is a Go program: its collector's pauses are the
	// kernel's (/proc/gc; Linux has no such file).
	if g, err := readWith(h.proc, "gc", procnet.ParseGC); err != nil {
		fmt.Fprintf(&b, "kernel gc: unavailable (%v)\n", err)
	} else {
		fmt.Fprintf(&b, "kernel gc: %d collections, %v paused in all, longest of the last %d: %v\n",
			g.Collections, g.PauseTotal, len(g.Recent), g.Longest(len(g.Recent)))
		b.WriteString("kernel gc pauses (ns, oldest first):")
		for _, p := range g.Recent {
			fmt.Fprintf(&b, " %d", p.Nanoseconds())
		}
		b.WriteString("\n")
		// Each stop-the-world pause since boot, split into the time to
		// stop every goroutine and the whole: where a long one went.
		for _, h := range []struct {
			name string
			h    []procnet.Bucket
		}{{"to stop", g.Stopping}, {"whole", g.Whole}} {
			fmt.Fprintf(&b, "kernel gc stop-the-world %s (ns at most:count, since boot):", h.name)
			for _, x := range h.h {
				if x.Upper < 0 {
					fmt.Fprintf(&b, " inf:%d", x.Count)
				} else {
					fmt.Fprintf(&b, " %d:%d", x.Upper.Nanoseconds(), x.Count)
				}
			}
			b.WriteString("\n")
		}
	}
	b.WriteString("\ninterfaces:\n")
	if devs, err := readWith(h.proc, "net/dev", procnet.ParseDev); err != nil {
		fmt.Fprintf(&b, "  unavailable (%v)\n", err)
	} else {
		for _, d := range devs {
			fmt.Fprintf(&b, "  %-6s rx %d bytes %d packets %d errors %d dropped; tx %d bytes %d packets %d errors %d dropped\n",
				d.Name, d.RxBytes, d.RxPackets, d.RxErrs, d.RxDrop, d.TxBytes, d.TxPackets, d.TxErrs, d.TxDrop)
		}
	}
	b.WriteString("\nprotocols:\n")
	if protos, err := readWith(h.proc, "net/snmp", procnet.ParseSNMP); err != nil {
		fmt.Fprintf(&b, "  unavailable (%v)\n", err)
	} else {
		for _, p := range protos {
			want := statusCounters[p.Name]
			if want == nil {
				continue
			}
			fmt.Fprintf(&b, "  %-5s", strings.ToLower(p.Name))
			for _, n := range want {
				if v, ok := p.Get(n); ok {
					fmt.Fprintf(&b, " %s=%d", n, v)
				}
			}
			b.WriteString("\n")
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, b.String())
}

// statusCounters are the /proc/net/snmp figures /status shows, per protocol.
var statusCounters = map[string][]string{
	"Ip":   {"InReceives", "InHdrErrors", "InDelivers", "OutRequests", "InDiscards"},
	"Icmp": {"InMsgs", "InErrors", "InEchos", "OutEchoReps", "OutMsgs"},
	"Tcp":  {"ActiveOpens", "PassiveOpens", "CurrEstab", "InSegs", "OutSegs", "RetransSegs", "InErrs", "OutRsts"},
	"Udp":  {"InDatagrams", "NoPorts", "InErrors", "OutDatagrams", "RcvbufErrors"},
}

// readWith opens proc/name and parses it with parse.
func readWith[T any](proc, name string, parse func(io.Reader) (T, error)) (T, error) {
	f, err := os.Open(filepath.Join(proc, name))
	if err != nil {
		var zero T
		return zero, err
	}
	defer f.Close()
	return parse(f)
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
