// Ifconfig shows the network interfaces (their addresses, flags and
// counters) and sets an interface's address, netmask, MTU and state, as
// net-tools' ifconfig does: names and counters come from /proc/net/dev,
// the configuration from the SIOCGIF*/SIOCSIF* ioctls on an AF_INET
// datagram socket.
//
// Usage:
//
//	ifconfig [-a] [IFACE]
//	ifconfig IFACE [ADDRESS] [netmask MASK] [mtu N] [up|down]
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	all := flag.Bool("a", false, "show interfaces that are down too")
	proc := flag.String("proc", "/proc", "read counters from `dir` instead of /proc")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: ifconfig [-a] [IFACE]\n"+
			"       ifconfig IFACE [ADDRESS] [netmask MASK] [mtu N] [up|down]\n"+
			"Shows the network interfaces, or configures one (as root).\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	args := flag.Args()
	var err error
	if len(args) <= 1 {
		err = show(os.Stdout, *proc, args, *all)
	} else {
		var s settings
		if s, err = parseSettings(args[1:]); err != nil {
			fmt.Fprintf(os.Stderr, "ifconfig: %v\n", err)
			flag.Usage()
			os.Exit(2)
		}
		err = apply(args[0], s)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "ifconfig: %v\n", err)
		os.Exit(1)
	}
}
