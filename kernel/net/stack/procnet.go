package stack

import (
	"fmt"
	"io"

	"scone/kernel/net/arp"
	"scone/kernel/net/tcpip"
)

// The /proc/net files of the network layer that Linux tools (busybox
// ifconfig, route, arp) read, in Linux's exact formats, so that a file
// system can serve them from the stack's state. TCP and UDP write
// /proc/net/tcp and udp themselves (their WriteProcNet methods).

// WriteProcNetDev writes /proc/net/dev: per-interface counters.
func (s *Stack) WriteProcNetDev(w io.Writer) error {
	if _, err := io.WriteString(w, "Inter-|   Receive                                                |  Transmit\n"+
		" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"); err != nil {
		return err
	}
	for _, n := range s.NICs() {
		if _, err := fmt.Fprintf(w, "%6s:%8d %7d %4d %4d %4d %5d %10d %9d %8d %7d %4d %4d %4d %5d %7d %10d\n",
			n.Name, n.RxBytes, n.RxPackets, 0, 0, 0, 0, 0, 0,
			n.TxBytes, n.TxPackets, n.TxErrors, 0, 0, 0, 0, 0); err != nil {
			return err
		}
	}
	return nil
}

// WriteProcNetRoute writes /proc/net/route: the route table (loopback's
// routes are not listed, as on Linux, where they live in the local table).
func (s *Stack) WriteProcNetRoute(w io.Writer) error {
	const rtfUp, rtfGateway = 0x1, 0x2
	if _, err := fmt.Fprintf(w, "%-127s\n", "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT"); err != nil {
		return err
	}
	for _, r := range s.Routes() {
		n := s.nic(r.NIC)
		if n == nil || n.loopback {
			continue
		}
		flags := rtfUp
		if !r.Gateway.IsUnspecified() {
			flags |= rtfGateway
		}
		line := fmt.Sprintf("%s\t%s\t%s\t%04X\t%d\t%d\t%d\t%s\t%d\t%d\t%d",
			n.name, tcpip.ProcHex(r.Dest.Addr), tcpip.ProcHex(r.Gateway), flags, 0, 0, 0, tcpip.ProcHex(r.Dest.Mask()), 0, 0, 0)
		if _, err := fmt.Fprintf(w, "%-127s\n", line); err != nil {
			return err
		}
	}
	return nil
}

// WriteProcNetARP writes /proc/net/arp: every interface's ARP cache.
func (s *Stack) WriteProcNetARP(w io.Writer) error {
	const hwEther, atfCom = 0x1, 0x2
	if _, err := io.WriteString(w, "IP address       HW type     Flags       HW address            Mask     Device\n"); err != nil {
		return err
	}
	for _, n := range *s.nics.Load() {
		if n.arp == nil {
			continue
		}
		for _, e := range n.arp.Entries() {
			flags := 0
			if e.State != arp.Incomplete {
				flags = atfCom
			}
			if _, err := fmt.Fprintf(w, "%-16s 0x%-10x0x%-10x%-17s     %-8s %s\n",
				e.IP, hwEther, flags, e.MAC, "*", n.name); err != nil {
				return err
			}
		}
	}
	return nil
}
