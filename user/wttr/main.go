// Wttr prints a weather report from wttr.in, fetched over plain HTTP with
// the name resolved by DNS (Go's resolver and /etc/resolv.conf).
//
// Usage:
//
//	wttr [-server host:port] [-color] [-t timeout] [CITY ...]
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"scone/user/internal/neterr"
)

func main() {
	server := flag.String("server", "wttr.in", "ask `host[:port]` (a local mirror) instead of wttr.in")
	color := flag.Bool("color", false, "keep wttr.in's terminal colour sequences")
	timeout := flag.Duration("t", 30*time.Second, "give up after `duration`")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: wttr [-server host:port] [-color] [-t timeout] [CITY ...]\n"+
			"Prints the weather for CITY (by default where wttr.in places you) from wttr.in.\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	c := &http.Client{Timeout: *timeout}
	err := fetch(c, os.Stdout, *server, strings.Join(flag.Args(), " "), *color)
	if err != nil {
		fmt.Fprintf(os.Stderr, "wttr: %v\n", neterr.Explain(err))
		os.Exit(1)
	}
}
