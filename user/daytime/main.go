// Daytime is the RFC 867 Daytime Protocol: a client that prints a
// server's date and a server that tells it, over TCP and UDP port 13.
//
// Usage:
//
//	daytime [-u] [-t timeout] HOST [PORT]   ask HOST (TCP, or UDP with -u)
//	daytime -l [-addr :13]                  serve TCP and UDP
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
	listen := flag.Bool("l", false, "serve the date on TCP and UDP (see -addr)")
	addr := flag.String("addr", ":13", "with -l, listen on `host:port`")
	udp := flag.Bool("u", false, "ask over UDP instead of TCP")
	timeout := flag.Duration("t", 10*time.Second, "give up on the server after `duration`")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: daytime [-u] [-t timeout] HOST [PORT]\n       daytime -l [-addr :13]\n"+
			"The RFC 867 daytime client, or with -l the server (TCP and UDP).\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *listen {
		if flag.NArg() != 0 {
			flag.Usage()
			os.Exit(2)
		}
		if err := serve(*addr, os.Stderr); err != nil {
			fmt.Fprintf(os.Stderr, "daytime: %v\n", err)
			os.Exit(1)
		}
		return
	}
	if flag.NArg() < 1 || flag.NArg() > 2 {
		flag.Usage()
		os.Exit(2)
	}
	port := "13"
	if flag.NArg() == 2 {
		port = flag.Arg(1)
	}
	target := net.JoinHostPort(flag.Arg(0), port)
	ask := askTCP
	if *udp {
		ask = askUDP
	}
	s, err := ask(target, *timeout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "daytime: %v\n", neterr.Explain(err))
		os.Exit(1)
	}
	fmt.Print(s)
}
