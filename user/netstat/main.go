// Netstat prints the machine's sockets, interface counters, protocol
// statistics and routes from /proc/net, as net-tools' netstat does.
// Addresses are always numeric (-n is accepted and changes nothing).
//
// Usage:
//
//	netstat [-t] [-u] [-l|-a] [-n]   sockets (TCP and UDP unless -t or -u)
//	netstat -s                       protocol statistics (/proc/net/snmp)
//	netstat -i                       interfaces (/proc/net/dev)
//	netstat -r                       routes (/proc/net/route)
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	var o options
	flag.BoolVar(&o.tcp, "t", false, "TCP sockets")
	flag.BoolVar(&o.udp, "u", false, "UDP sockets")
	flag.BoolVar(&o.listening, "l", false, "only listening sockets")
	flag.BoolVar(&o.all, "a", false, "listening and connected sockets")
	flag.Bool("n", true, "numeric addresses (always)")
	stats := flag.Bool("s", false, "protocol statistics")
	ifaces := flag.Bool("i", false, "interface counters")
	routes := flag.Bool("r", false, "the routing table")
	proc := flag.String("proc", "/proc", "read from `dir` instead of /proc")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: netstat [-t] [-u] [-l|-a] [-n] | -s | -i | -r\n"+
			"Prints sockets (default: connected ones), statistics, interfaces or routes from /proc/net.\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	var err error
	switch {
	case *stats:
		err = printStats(os.Stdout, *proc)
	case *ifaces:
		err = printInterfaces(os.Stdout, *proc)
	case *routes:
		err = printRoutes(os.Stdout, *proc)
	default:
		err = printSockets(os.Stdout, *proc, o)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "netstat: %v\n", err)
		os.Exit(1)
	}
}
