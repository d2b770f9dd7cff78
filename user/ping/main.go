// Ping sends ICMP echo requests through a Linux ICMP datagram ("ping")
// socket, which needs no privilege, and prints each reply and a summary
// as iputils ping does.
//
// Usage:
//
//	ping [-c count] [-i interval] [-W timeout] [-s size] HOST
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"scone/user/internal/neterr"
)

func main() {
	count := flag.Int("c", 0, "stop after `count` replies sent (0: until interrupted)")
	interval := flag.Duration("i", time.Second, "wait `interval` between requests")
	wait := flag.Duration("W", 5*time.Second, "wait `timeout` for the last reply")
	size := flag.Int("s", 56, "send `size` data bytes")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: ping [-c count] [-i interval] [-W timeout] [-s size] HOST\n"+
			"Sends ICMP echo requests to HOST through a ping socket and prints the replies.\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 || *count < 0 || *size < 0 || *size > 65507-8 || *interval <= 0 {
		flag.Usage()
		os.Exit(2)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt)
	p := &pinger{Count: *count, Interval: *interval, Wait: *wait, Size: *size, Out: os.Stdout}
	st, err := p.Run(flag.Arg(0), stop)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ping: %v\n", neterr.Explain(err))
		os.Exit(2)
	}
	if st.received == 0 {
		os.Exit(1) // as iputils: no reply is status 1
	}
}
