// Host looks names up through Go's own DNS resolver (/etc/resolv.conf and
// /etc/hosts), or asks a given name server, and prints the answers as
// BIND's host(1) does.
//
// Usage:
//
//	host [-t type] [-W timeout] NAME|ADDRESS [SERVER[:PORT]]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

func main() {
	qtype := flag.String("t", "", "look up records of `type`: A, AAAA, CNAME, MX, NS, TXT or PTR (default: addresses, or PTR for an address)")
	wait := flag.Duration("W", 10*time.Second, "give up after `timeout`")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: host [-t type] [-W timeout] NAME|ADDRESS [SERVER[:PORT]]\n"+
			"Looks NAME up by DNS (the servers in /etc/resolv.conf, or SERVER).\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() < 1 || flag.NArg() > 2 {
		flag.Usage()
		os.Exit(2)
	}
	server := ""
	if flag.NArg() == 2 {
		server = flag.Arg(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *wait)
	defer cancel()
	q := query{Name: flag.Arg(0), Type: strings.ToUpper(*qtype), Server: server}
	if err := q.Run(ctx, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "host: %v\n", err)
		os.Exit(1)
	}
}
