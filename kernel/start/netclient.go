package start

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"scone/kernel/khttp"
	"scone/kernel/knet"
	"scone/kernel/net/tcpip"
)

// Network clients the command line can run once the network is up, for
// the boot tests (a peer on the host, reached through 10.0.2.2):
//
//	ping=ADDR           four echo requests
//	fetch=ADDR:PORT:N   GET /bytes/N, checking the pattern
//	push=ADDR:PORT:N    POST N bytes of the pattern to /sink
//
// Each prints one line per result and a summary line.

const clientTimeout = 5 * time.Minute

func runClients(n *knet.Net, args []string, log io.Writer) {
	ctx, cancel := context.WithTimeout(context.Background(), leaseWait)
	defer cancel()
	n.Ready(ctx) // they need an address; after leaseWait they try anyway
	for _, a := range args {
		word, v, ok := strings.Cut(a, "=")
		if !ok {
			continue
		}
		var err error
		switch word {
		case "ping":
			err = ping(n, v, log)
		case "fetch", "push":
			err = transfer(n, word, v, log)
		default:
			continue
		}
		if err != nil {
			fmt.Fprintf(log, "%s %s: %v\n", word, v, err)
		}
	}
}

func ping(n *knet.Net, v string, log io.Writer) error {
	dst, err := tcpip.ParseAddr(v)
	if err != nil {
		return err
	}
	got := 0
	for seq := uint16(1); seq <= 4; seq++ {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		rtt, err := n.Host.Ping(ctx, dst, seq)
		cancel()
		if err != nil {
			fmt.Fprintf(log, "ping %s: seq %d: %v\n", dst, seq, err)
			continue
		}
		got++
		fmt.Fprintf(log, "ping %s: seq %d time %v\n", dst, seq, rtt.Round(time.Microsecond))
	}
	fmt.Fprintf(log, "ping %s: 4 sent, %d received\n", dst, got)
	return nil
}

// transfer runs fetch or push against ADDR:PORT:N.
func transfer(n *knet.Net, word, v string, log io.Writer) error {
	i := strings.LastIndexByte(v, ':')
	if i < 0 {
		return fmt.Errorf("want ADDR:PORT:N")
	}
	size, err := strconv.ParseInt(v[i+1:], 10, 64)
	if err != nil || size < 0 {
		return fmt.Errorf("bad size %q", v[i+1:])
	}
	host, port, ok := strings.Cut(v[:i], ":")
	p, perr := strconv.ParseUint(port, 10, 16)
	a, aerr := tcpip.ParseAddr(host)
	if !ok || perr != nil || aerr != nil {
		return fmt.Errorf("want ADDR:PORT:N")
	}
	addr := tcpip.FullAddr{Addr: a, Port: uint16(p)}
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	start := time.Now()
	if word == "fetch" {
		got, bad, err := khttp.Fetch(ctx, n.Sockets, addr, fmt.Sprintf("/bytes/%d", size))
		if err != nil {
			return err
		}
		verdict := "pattern ok"
		if got != size || bad >= 0 {
			verdict = fmt.Sprintf("BAD: %d bytes of %d, first wrong byte at %d", got, size, bad)
		}
		fmt.Fprintf(log, "fetch %s: %d bytes, %s, %.1f MB/s\n", addr, got, verdict, mbps(got, time.Since(start)))
		return nil
	}
	answer, err := khttp.Push(ctx, n.Sockets, addr, "/sink", size)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "push %s: %d bytes, server: %s, %.1f MB/s\n", addr, size, answer, mbps(size, time.Since(start)))
	return nil
}

func mbps(n int64, d time.Duration) float64 { return float64(n) / 1e6 / d.Seconds() }
