// Command nettest is the host's peer for the guest's nettest, in the role
// of the MIT network lab's nettest.py.
//
// Usage:
//
//	nettest [-port n] [-fwd1 n] [-fwd2 n] [-t timeout] MODE
//
// MODE: txone (wait for the guest's txone), rxone (send one datagram to
// the guest's 2001), rx, rx2, rxburst (stream to the guest's 2000/2001),
// tx (wait for the guest's tx), ping (echo), grade (txone, rxone, then
// echo).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"scone/tools/nettest"
)

func main() {
	def := nettest.DefaultPorts()
	var ports nettest.Ports
	flag.IntVar(&ports.Server, "port", def.Server, "the server `port` the guest sends to (127.0.0.1)")
	flag.IntVar(&ports.Fwd1, "fwd1", def.Fwd1, "the host `port` QEMU forwards to the guest's 2000")
	flag.IntVar(&ports.Fwd2, "fwd2", def.Fwd2, "the host `port` QEMU forwards to the guest's 2001")
	timeout := flag.Duration("t", 0, "stop after `duration` (0: when interrupted)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: nettest [-port n] [-fwd1 n] [-fwd2 n] [-t timeout] txone|rxone|rx|rx2|rxburst|tx|ping|grade\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	mode := flag.Arg(0)
	if mode == "rxone" { // no server port needed
		p := &nettest.Peer{FwdHost: "127.0.0.1", Ports: ports}
		fmt.Println("rxone: sending one UDP packet")
		if err := p.Send(ports.Fwd2, []byte("rxone")); err != nil {
			fmt.Fprintf(os.Stderr, "nettest: %v\n", err)
			os.Exit(1)
		}
		return
	}
	p, err := nettest.Listen(ports, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer p.Close()
	switch mode {
	case "txone":
		fmt.Println("tx: listening for a UDP packet")
		err = p.TxOne(ctx)
	case "tx":
		fmt.Println("tx: listening for UDP packets")
		err = p.Tx(ctx)
	case "ping":
		fmt.Println("ping: listening for UDP packets")
		err = p.Echo(ctx)
	case "grade":
		fmt.Printf("grade: listening on %s; forwarding to the guest through %d and %d\n", p.Addr(), ports.Fwd1, ports.Fwd2)
		err = p.Grade(ctx)
	case "rx", "rx2", "rxburst":
		err = p.Stream(ctx, mode)
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil && ctx.Err() == nil {
		fmt.Fprintf(os.Stderr, "nettest: %v\n", err)
		os.Exit(1)
	}

}
