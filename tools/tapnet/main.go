// Command tapnet runs Scone's network stack as a host process on a Linux
// TAP device, so that a person can ping it, curl the small web server it
// runs, and watch its frames with tcpdump. See docs/tapnet.md.
//
//	sudo tapnet -linux 10.77.0.1/24 -addr 10.77.0.2/24
//	ping 10.77.0.2; curl http://10.77.0.2/hello; tcpdump -i scone0
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"scone/kernel/net/dhcp"
	"scone/kernel/net/link"
	"scone/kernel/net/tcpip"
	"scone/tools/tapnet/node"
	"scone/tools/tapnet/tap"
)

func main() {
	var (
		tapName = flag.String("tap", "scone0", "TAP device to create or attach to")
		macStr  = flag.String("mac", "52:54:00:5c:0e:02", "hardware address of Scone's end of the link")
		addrStr = flag.String("addr", "dhcp", `Scone's address as CIDR (10.77.0.2/24), or "dhcp"`)
		gwStr   = flag.String("gw", "", "default gateway (static addressing)")
		dnsStr  = flag.String("dns", "", "comma-separated DNS servers (static addressing)")
		linux   = flag.String("linux", "", "if set, give the Linux side of the TAP this CIDR address and bring it up (runs ip)")
		port    = flag.Int("http", 80, "TCP port of the web server (0: none)")
		dir     = flag.String("dir", "", "serve the files of this directory instead of the built-in test site")
		resolve = flag.String("resolve", "", "once configured, resolve this name through Scone's resolver and print it")
		delay   = flag.Duration("delay", 0, "latency added by Scone's side, each direction")
		jitter  = flag.Duration("jitter", 0, "random extra latency in [0, jitter)")
		loss    = flag.Float64("loss", 0, "probability that Scone's side drops a frame, each direction")
		reorder = flag.Float64("reorder", 0, "probability that Scone's side holds a frame back behind the next")
		timeout = flag.Duration("dhcp-timeout", 60*time.Second, "give up if DHCP has no lease by then")
	)
	flag.Parse()
	log.SetFlags(log.Ltime | log.Lmicroseconds)
	log.SetPrefix("tapnet: ")

	mac, err := tcpip.ParseMAC(*macStr)
	if err != nil {
		log.Fatal(err)
	}
	dev, err := tap.Open(*tapName, mac)
	if err != nil {
		log.Fatalf("%v (tapnet needs root or CAP_NET_ADMIN)", err)
	}
	defer dev.Close()
	if *linux != "" {
		for _, args := range [][]string{
			{"addr", "replace", *linux, "dev", dev.Name()},
			{"link", "set", dev.Name(), "up"},
		} {
			if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
				log.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		}
	}

	var ep link.Endpoint = dev
	imp := link.Impairments{Delay: *delay, Jitter: *jitter, Loss: *loss, Reorder: *reorder}
	if imp != (link.Impairments{}) {
		w := tap.NewImpaired(dev, imp, uint64(time.Now().UnixNano()))
		defer w.Close()
		ep = w
	}
	n, err := node.New(ep, node.Options{OnLease: logLease})
	if err != nil {
		log.Fatal(err)
	}
	defer n.Close()
	log.Printf("Scone on %s, MAC %v", dev.Name(), mac)

	addr, err := configure(n, *addrStr, *gwStr, *dnsStr, *timeout)
	if err != nil {
		log.Fatal(err)
	}
	if *resolve != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		addrs, err := n.Resolver.Lookup(ctx, *resolve)
		cancel()
		log.Printf("resolve %s: %v %v", *resolve, addrs, errOrEmpty(err))
	}
	if *port != 0 {
		l, err := n.Listen(uint16(*port))
		if err != nil {
			log.Fatalf("listen on port %d: %v", *port, err)
		}
		var h http.Handler = node.Handler("hello from scone\n", n)
		if *dir != "" {
			h = http.FileServer(http.Dir(*dir))
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}
		go srv.Serve(l)
		defer srv.Close()
		log.Printf("ready: ping %v; curl http://%v:%d/hello; tcpdump -ni %s", addr, addr, *port, dev.Name())
	} else {
		log.Printf("ready: ping %v; tcpdump -ni %s", addr, dev.Name())
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	log.Printf("stopping (releasing any DHCP lease)")
}

// configure gives the node its address, statically or by DHCP.
func configure(n *node.Node, addrStr, gwStr, dnsStr string, timeout time.Duration) (tcpip.Addr, error) {
	if addrStr == "dhcp" {
		if err := n.StartDHCP("scone"); err != nil {
			return tcpip.Addr{}, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		log.Printf("DHCP: discovering (is a DHCP server such as dnsmasq listening on the TAP?)")
		l, err := n.WaitLease(ctx)
		if err != nil {
			return tcpip.Addr{}, fmt.Errorf("DHCP: no lease: %v (client %+v)", err, n.DHCP().Stats())
		}
		return l.Addr, nil
	}
	a, bits, err := parseCIDR(addrStr)
	if err != nil {
		return tcpip.Addr{}, err
	}
	var gw tcpip.Addr
	if gwStr != "" {
		if gw, err = tcpip.ParseAddr(gwStr); err != nil {
			return tcpip.Addr{}, err
		}
	}
	var servers []tcpip.Addr
	for _, s := range strings.Split(dnsStr, ",") {
		if s == "" {
			continue
		}
		d, err := tcpip.ParseAddr(s)
		if err != nil {
			return tcpip.Addr{}, err
		}
		servers = append(servers, d)
	}
	if err := n.Configure(a, bits, gw, servers); err != nil {
		return tcpip.Addr{}, err
	}
	log.Printf("static: %v/%d gateway %v DNS %v", a, bits, gw, servers)
	return a, nil
}

func parseCIDR(s string) (tcpip.Addr, int, error) {
	addr, bitsStr, ok := strings.Cut(s, "/")
	if !ok {
		return tcpip.Addr{}, 0, fmt.Errorf("address %q: want CIDR such as 10.77.0.2/24", s)
	}
	a, err := tcpip.ParseAddr(addr)
	if err != nil {
		return tcpip.Addr{}, 0, err
	}
	bits, err := strconv.Atoi(bitsStr)
	if err != nil || bits < 0 || bits > 32 {
		return tcpip.Addr{}, 0, fmt.Errorf("address %q: bad prefix length", s)
	}
	return a, bits, nil
}

func logLease(l dhcp.Lease, bound bool) {
	if !bound {
		log.Printf("DHCP: lost lease on %v", l.Addr)
		return
	}
	log.Printf("DHCP: %v/%d gateway %v DNS %v from %v for %v", l.Addr, l.Subnet.Bits, l.Router, l.DNS, l.Server, l.Duration)
}

func errOrEmpty(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
