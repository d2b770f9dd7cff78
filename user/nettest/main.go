// Nettest is the MIT 6.1810 network lab's test program, for Scone's
// sockets: the same tests, names and output, run against the host-side
// peer tools/nettest (the lab's nettest.py) through QEMU's user network.
// Where the lab's xv6 uses its own send/recv/bind system calls, this uses
// UDP sockets bound to the same ports.
//
// Usage:
//
//	nettest [-server 10.0.2.2] [-port 25099] [-ns ADDR] TEST
//
// TEST is txone, rxone, rx, rx2, tx, ping0, ping1, ping2, ping3, dns, free
// or grade (all of txone ... dns, then free: the lab's sequence).
package main

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"
)

func main() {
	var c config
	server := flag.String("server", "10.0.2.2", "the host peer's `address` (QEMU's alias for the host)")
	flag.IntVar(&c.port, "port", 25099, "the host peer's UDP `port` (the lab's NET_TESTS_PORT)")
	flag.StringVar(&c.ns, "ns", "", "send the dns test's query to `addr[:port]` (default: /etc/resolv.conf's first nameserver)")
	flag.IntVar(&c.rcvbuf, "rcvbuf", 0, "set SO_RCVBUF to `bytes` on ping3's sockets (for Linux, whose queues are bounded by bytes, not datagrams)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: nettest [-server addr] [-port n] [-ns addr] TEST\n"+
			"TEST: %s\n"+
			"Run the host's peer first (tools/nettest, as the lab's nettest.py).\n", strings.Join(testNames(), ", "))
		flag.PrintDefaults()
	}
	flag.Parse()
	ip, err := netip.ParseAddr(*server)
	if err != nil || !ip.Is4() || flag.NArg() != 1 || c.port < 1 || c.port > 65535 {
		flag.Usage()
		os.Exit(2)
	}
	c.server = ip
	c.wait = 10 * time.Second
	name := flag.Arg(0)
	switch name {
	case "grade":
		os.Exit(c.grade(os.Args[0]))
	case "grade-tests": // the child grade runs, so its memory is gone when free counts
		c.gradeTests()
		return
	}
	t, ok := tests[name]
	if !ok {
		flag.Usage()
		os.Exit(2)
	}
	if !t(&c) {
		os.Exit(1)
	}
}

// config is what every test needs to know.
type config struct {
	server netip.Addr
	port   int
	ns     string
	rcvbuf int
	wait   time.Duration // the longest any receive waits
}

// tests by name; each prints its own lines and reports success.
var tests = map[string]func(*config) bool{
	"txone": (*config).txone,
	"rxone": (*config).rxone,
	"rx":    func(c *config) bool { return c.rx("rx") },
	"rx2":   (*config).rx2,
	"tx":    (*config).tx,
	"ping0": (*config).ping0,
	"ping1": (*config).ping1,
	"ping2": (*config).ping2,
	"ping3": (*config).ping3,
	"dns":   (*config).dns,
	"free":  func(*config) bool { return printFree() },
}

func testNames() []string {
	return []string{"txone", "rxone", "rx", "rx2", "tx", "ping0", "ping1", "ping2", "ping3", "dns", "free", "grade"}
}
