package stack

import (
	"fmt"
	"io"

	"scone/kernel/net/arp"
	"scone/kernel/net/tcp"
	"scone/kernel/net/tcpip"
)

// The /proc/net files that Linux tools (busybox ifconfig, route, arp) read,
// in Linux's exact formats, so that a file system can serve them from the
// stack's state.

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

// procHex formats an address as /proc/net/route does: the four bytes in
// network order read as a little-endian integer, in hex.
func procHex(a tcpip.Addr) string {
	return fmt.Sprintf("%02X%02X%02X%02X", a[3], a[2], a[1], a[0])
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
			n.name, procHex(r.Dest.Addr), procHex(r.Gateway), flags, 0, 0, 0, procHex(r.Dest.Mask()), 0, 0, 0)
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

// Linux's TCP state numbers, which /proc/net/tcp shows.
var linuxTCPState = map[tcp.State]int{
	tcp.StateEstablished: 1, tcp.StateSynSent: 2, tcp.StateSynReceived: 3,
	tcp.StateFinWait1: 4, tcp.StateFinWait2: 5, tcp.StateTimeWait: 6,
	tcp.StateClosed: 7, tcp.StateCloseWait: 8, tcp.StateLastAck: 9,
	tcp.StateListen: 10, tcp.StateClosing: 11,
}

// socketLine is one row of /proc/net/tcp or udp; Linux pads rows to 149
// characters.
func socketLine(w io.Writer, i int, local, remote tcpip.FullAddr, state, txq, rxq int) error {
	line := fmt.Sprintf("%4d: %s:%04X %s:%04X %02X %08X:%08X 00:00000000 00000000 %5d %8d %d",
		i, procHex(local.Addr), local.Port, procHex(remote.Addr), remote.Port, state, txq, rxq, 0, 0, 0)
	_, err := fmt.Fprintf(w, "%-149s\n", line)
	return err
}

const procNetSocketsHeader = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"

// WriteProcNetTCP writes /proc/net/tcp: every TCP listener and connection
// of the registered TCP (nothing if TCP is not registered).
func (s *Stack) WriteProcNetTCP(w io.Writer) error {
	if _, err := fmt.Fprintf(w, "%-149s\n", procNetSocketsHeader); err != nil {
		return err
	}
	t, ok := s.transport(tcpip.ProtoTCP).(interface{ Connections() []tcp.Info })
	if !ok {
		return nil
	}
	for i, c := range t.Connections() {
		if err := socketLine(w, i, c.Local, c.Remote, linuxTCPState[c.State], c.SendQueue, c.RecvQueue); err != nil {
			return err
		}
	}
	return nil
}

// WriteProcNetUDP writes /proc/net/udp: every bound UDP endpoint
// (state 07, TCP_CLOSE, unless connected: 01).
func (s *Stack) WriteProcNetUDP(w io.Writer) error {
	if _, err := fmt.Fprintf(w, "%-149s\n", procNetSocketsHeader); err != nil {
		return err
	}
	for i, e := range s.udp.Endpoints() {
		state := 7
		if e.Remote != (tcpip.FullAddr{}) {
			state = 1
		}
		if err := socketLine(w, i, e.Local, e.Remote, state, 0, e.Queued); err != nil {
			return err
		}
	}
	return nil
}
