package knet

import (
	"bytes"
	"fmt"
	"slices"

	"scone/kernel/net/dhcp"
	"scone/kernel/net/tcpip"
)

// Hostname is the machine's name: what DHCP asks for, uname reports and
// /etc/hosts maps to the interface's address.
const Hostname = "scone"

// Names is what user programs need to resolve names: the DNS servers and
// search domain for /etc/resolv.conf, and the interface's address for
// /etc/hosts. It comes from the DHCP lease or the ip= command line.
type Names struct {
	Addr   tcpip.Addr // unspecified while there is no lease
	DNS    []tcpip.Addr
	Domain string
}

func (a Names) equal(b Names) bool {
	return a.Addr == b.Addr && a.Domain == b.Domain && slices.Equal(a.DNS, b.DNS)
}

// ResolvConf is /etc/resolv.conf in resolv.conf(5)'s format, as
// dhclient-script writes it.
func (c Names) ResolvConf() []byte {
	var b bytes.Buffer
	b.WriteString("# written by the Scone kernel from the network configuration\n")
	if c.Domain != "" {
		fmt.Fprintf(&b, "search %s\n", c.Domain)
	}
	for i, d := range c.DNS {
		if i == 3 { // MAXNS: glibc and Go read only the first three
			break
		}
		fmt.Fprintf(&b, "nameserver %s\n", d)
	}
	return b.Bytes()
}

// Hosts is /etc/hosts in hosts(5)'s format: localhost, and the machine's
// name on its address (on 127.0.1.1 while it has none, as Debian does).
func (c Names) Hosts() []byte {
	var b bytes.Buffer
	b.WriteString("# written by the Scone kernel from the network configuration\n")
	b.WriteString("127.0.0.1\tlocalhost\n")
	addr, names := "127.0.1.1", Hostname
	if !c.Addr.IsUnspecified() {
		addr = c.Addr.String()
	}
	if c.Domain != "" {
		names = Hostname + "." + c.Domain + "\t" + Hostname
	}
	fmt.Fprintf(&b, "%s\t%s\n", addr, names)
	return b.Bytes()
}

// namesOf is the naming a lease gives.
func namesOf(l dhcp.Lease) Names {
	return Names{Addr: l.Addr, DNS: slices.Clone(l.DNS), Domain: l.DomainName}
}

// WatchNames calls f with the current naming now and again each time a
// lease changes it (a renewal that changes nothing is not reported). f
// runs on the DHCP client's goroutine, one call at a time.
func (n *Net) WatchNames(f func(Names)) {
	n.namesMu.Lock()
	defer n.namesMu.Unlock()
	n.watch = f
	f(n.names)
}

// setNames records the naming and tells the watcher if it changed.
func (n *Net) setNames(c Names) {
	n.namesMu.Lock()
	defer n.namesMu.Unlock()
	if c.equal(n.names) {
		return
	}
	n.names = c
	if n.watch != nil {
		n.watch(c)
	}
}
