// Nc is netcat: it joins standard input and output to a TCP connection or
// UDP datagrams, as a client or (-l) a server.
//
// Usage:
//
//	nc [-u] [-v] [-w secs] HOST PORT
//	nc -l [-u] [-k] [-v] [-w secs] [HOST] PORT
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"time"

	"scone/user/internal/neterr"
)

func main() {
	listen := flag.Bool("l", false, "listen for a connection (or, with -u, datagrams) instead of connecting")
	udp := flag.Bool("u", false, "use UDP instead of TCP")
	keep := flag.Bool("k", false, "with -l, accept another connection when one ends")
	verbose := flag.Bool("v", false, "say what is connected to what, on stderr")
	wait := flag.Duration("w", 0, "time out connects and idle connections after `duration` (0: never; UDP: wait this long for replies after input ends, default 1s)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: nc [-u] [-v] [-w duration] HOST PORT\n       nc -l [-u] [-k] [-v] [-w duration] [HOST] PORT\n"+
			"Copies standard input to the network and the network to standard output.\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	var host, port string
	switch {
	case flag.NArg() == 2:
		host, port = flag.Arg(0), flag.Arg(1)
	case flag.NArg() == 1 && *listen:
		port = flag.Arg(0)
	default:
		flag.Usage()
		os.Exit(2)
	}
	n := &nc{In: os.Stdin, Out: os.Stdout, Log: os.Stderr, Verbose: *verbose, Wait: *wait}
	if fi, err := os.Stdin.Stat(); err == nil && fi.Mode()&os.ModeCharDevice == 0 {
		n.FinishIn = true
	}
	addr := net.JoinHostPort(host, port)
	var err error
	switch {
	case *listen && *udp:
		err = n.listenUDP(addr)
	case *listen:
		err = n.listenTCP(addr, *keep)
	case *udp:
		if n.Wait == 0 {
			n.Wait = time.Second
		}
		err = n.dialUDP(addr)
	default:
		err = n.dialTCP(addr)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "nc: %v\n", neterr.Explain(err))
		os.Exit(1)
	}
}
