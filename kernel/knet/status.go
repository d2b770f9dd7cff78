package knet

import (
	"fmt"
	"io"
)

// WriteStatus prints what the console's `net` command shows: the
// interface's address, router, DNS servers, MAC, driver and link, then
// the counters of every layer: the driver's, each interface's, and the
// stack's and every protocol's (as netstat -s).
func (n *Net) WriteStatus(w io.Writer) error {
	s := n.Host.Stack
	nic := s.NICs()[n.Host.NIC]
	router := "none"
	for _, r := range s.Routes() {
		if r.NIC == n.Host.NIC && r.Dest.Bits == 0 {
			router = r.Gateway.String()
		}
	}
	how := "dhcp"
	if n.Static != nil {
		how = "static"
	}
	link := "down"
	if n.NIC.LinkUp() {
		link = "up"
	}
	addr := "none"
	if !nic.Addr.IsUnspecified() {
		addr = fmt.Sprintf("%s/%d", nic.Addr, nic.Subnet.Bits)
	}
	fmt.Fprintf(w, "%s: %s (%s), router %s, dns %s\n", nic.Name, addr, how, router, addrList(n.Host.Resolver.Servers()))
	fmt.Fprintf(w, "%s: mac %s, mtu %d, driver %s, link %s\n", nic.Name, nic.MAC, nic.MTU, n.NIC.Driver(), link)
	if err := n.NIC.WriteStats(w); err != nil {
		return err
	}
	for _, i := range s.NICs() {
		fmt.Fprintf(w, "%s: rx %d packets %d bytes, tx %d packets %d bytes %d errors\n",
			i.Name, i.RxPackets, i.RxBytes, i.TxPackets, i.TxBytes, i.TxErrors)
	}
	return s.WriteNetstat(w)
}
