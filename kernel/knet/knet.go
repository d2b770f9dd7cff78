// Package knet is the booted kernel's network: the one host (stack,
// interface, DHCP client, DNS resolver) running on the NIC the kernel
// found at boot, the socket layer over it, and the driver under it.
// kernel/start brings it up; the console's `net` command, the HTTP
// responder and the socket system calls reach it through Get.
//
// It is ordinary Go over link.Endpoint, so it is tested on the host with
// an in-memory device.
package knet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"scone/kernel/net/dhcp"
	"scone/kernel/net/host"
	"scone/kernel/net/link"
	"scone/kernel/net/socket"
	"scone/kernel/net/tcpip"
)

// NIC is what a network driver gives the kernel: a link.Endpoint that
// can name itself, report its link and print its counters.
type NIC interface {
	link.Endpoint
	Driver() string
	LinkUp() bool
	WriteStats(w io.Writer) error
}

// Net is the running network.
type Net struct {
	Host    *host.Host
	NIC     NIC
	Sockets *socket.Layer
	Static  *Static // the address the command line set; nil with DHCP

	namesMu sync.Mutex
	names   Names       // the naming in force, for /etc/resolv.conf
	watch   func(Names) // told when names changes; see WatchNames
}

var current atomic.Pointer[Net]

// Get returns the kernel's network, or nil if the kernel has none (no
// NIC, or not brought up yet).
func Get() *Net { return current.Load() }

// Static is an address set by the kernel command line instead of DHCP.
type Static struct {
	Addr    tcpip.Addr
	Prefix  int
	Gateway tcpip.Addr
	DNS     []tcpip.Addr
}

// ParseIP parses the value of the command-line word ip=ADDR/PREFIX,GATEWAY
// (optionally ,DNS...).
func ParseIP(v string) (*Static, error) {
	parts := strings.Split(v, ",")
	if len(parts) < 2 {
		return nil, fmt.Errorf("knet: ip=%q: want ADDR/PREFIX,GATEWAY", v)
	}
	addr, prefix, ok := strings.Cut(parts[0], "/")
	if !ok {
		return nil, fmt.Errorf("knet: ip=%q: the address needs a /PREFIX", v)
	}
	s := &Static{}
	var err error
	if s.Addr, err = tcpip.ParseAddr(addr); err != nil {
		return nil, fmt.Errorf("knet: ip=%q: %v", v, err)
	}
	if s.Prefix, err = strconv.Atoi(prefix); err != nil || s.Prefix < 1 || s.Prefix > 32 {
		return nil, fmt.Errorf("knet: ip=%q: prefix %q is not 1-32", v, prefix)
	}
	if s.Gateway, err = tcpip.ParseAddr(parts[1]); err != nil {
		return nil, fmt.Errorf("knet: ip=%q: gateway: %v", v, err)
	}
	if !s.Gateway.IsUnspecified() && !tcpip.SubnetOf(s.Addr, s.Prefix).Contains(s.Gateway) {
		return nil, fmt.Errorf("knet: ip=%q: gateway %s is not on %s", v, s.Gateway, tcpip.SubnetOf(s.Addr, s.Prefix))
	}
	for _, d := range parts[2:] {
		a, err := tcpip.ParseAddr(d)
		if err != nil {
			return nil, fmt.Errorf("knet: ip=%q: DNS server: %v", v, err)
		}
		s.DNS = append(s.DNS, a)
	}
	return s, nil
}

// Start builds the host on nic, configures it (statically, or by DHCP if
// static is nil) and makes it the kernel's network. Every lease is
// reported on log, one line each.
func Start(nic NIC, static *Static, log io.Writer) (*Net, error) {
	if Get() != nil {
		return nil, errors.New("knet: the network is already up")
	}
	var n *Net // set before DHCP starts, so before any lease comes
	h, err := host.New(nic, host.Options{Name: "eth0", OnLease: func(l dhcp.Lease, bound bool) {
		if bound {
			fmt.Fprintln(log, LeaseLine(l))
			n.setNames(namesOf(l))
		} else {
			fmt.Fprintf(log, "net: lease of %s lost\n", l.Addr)
		}
	}})
	if err != nil {
		return nil, err
	}
	n = &Net{Host: h, NIC: nic, Sockets: socket.NewLayer(h.Stack), Static: static}
	if static != nil {
		n.names = Names{Addr: static.Addr, DNS: static.DNS}
		if err := h.Configure(static.Addr, static.Prefix, static.Gateway, static.DNS); err != nil {
			h.Close()
			return nil, err
		}
		fmt.Fprintf(log, "net: eth0 %s/%d router %s dns %s (static)\n", static.Addr, static.Prefix, static.Gateway, addrList(static.DNS))
	} else if err := h.StartDHCP(Hostname); err != nil {
		h.Close()
		return nil, err
	}
	current.Store(n)
	return n, nil
}

// Ready waits until the interface has an address (at once for a static
// one), or ctx ends.
func (n *Net) Ready(ctx context.Context) error {
	if n.Static != nil {
		return nil
	}
	_, err := n.Host.WaitLease(ctx)
	return err
}

// LeaseLine is the one line that reports a DHCP lease.
func LeaseLine(l dhcp.Lease) string {
	return fmt.Sprintf("net: eth0 %s/%d router %s dns %s (dhcp from %s, lease %v)",
		l.Addr, l.Subnet.Bits, l.Router, addrList(l.DNS), l.Server, l.Duration.Round(time.Second))
}

func addrList(as []tcpip.Addr) string {
	if len(as) == 0 {
		return "none"
	}
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ",")
}
