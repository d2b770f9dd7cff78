// Route shows the kernel's IPv4 routing table (/proc/net/route) and adds
// or deletes routes with the SIOCADDRT and SIOCDELRT ioctls on an AF_INET
// socket, as net-tools' route does.
//
// Usage:
//
//	route [-n]
//	route add|del default gw GATEWAY [dev IFACE] [metric N]
//	route add|del -net NET netmask MASK [gw GATEWAY] [dev IFACE] [metric N]
//	route add|del -host ADDR [gw GATEWAY] [dev IFACE] [metric N]
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	flag.Bool("n", true, "numeric addresses (always)")
	proc := flag.String("proc", "/proc", "read the table from `dir` instead of /proc")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: route [-n]\n"+
			"       route add|del default gw GATEWAY [dev IFACE] [metric N]\n"+
			"       route add|del -net NET netmask MASK [gw GATEWAY] [dev IFACE] [metric N]\n"+
			"       route add|del -host ADDR [gw GATEWAY] [dev IFACE] [metric N]\n"+
			"Shows the IPv4 routing table, or changes it (as root).\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	args := flag.Args()
	if len(args) == 0 {
		if err := show(os.Stdout, *proc); err != nil {
			fmt.Fprintf(os.Stderr, "route: %v\n", err)
			os.Exit(1)
		}
		return
	}
	if args[0] != "add" && args[0] != "del" {
		flag.Usage()
		os.Exit(2)
	}
	r, err := parseRoute(args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "route: %v\n", err)
		flag.Usage()
		os.Exit(2)
	}
	if err := change(args[0] == "add", r); err != nil {
		fmt.Fprintf(os.Stderr, "route: %v\n", err)
		os.Exit(1)
	}
}
