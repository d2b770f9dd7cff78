package tcpip

import (
	"fmt"
	"io"
)

// Linux's /proc/net files are read by busybox's ifconfig, route, arp and
// netstat, so each layer writes its own file in Linux's exact format: the
// stack writes dev, route and arp; TCP and UDP write tcp and udp with the
// helpers below, which both share.

// ProcHex formats an address as /proc/net does: the four bytes in network
// order read as a little-endian integer, in hex.
func ProcHex(a Addr) string {
	return fmt.Sprintf("%02X%02X%02X%02X", a[3], a[2], a[1], a[0])
}

// procSocketsHeader heads /proc/net/tcp and /proc/net/udp.
const procSocketsHeader = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"

// WriteProcSocketsHeader writes the heading line of /proc/net/tcp or udp.
func WriteProcSocketsHeader(w io.Writer) error {
	_, err := fmt.Fprintf(w, "%-149s\n", procSocketsHeader)
	return err
}

// WriteProcSocket writes row i of /proc/net/tcp or udp: the addresses,
// Linux's state number, and the queued bytes. Linux pads rows to 149
// characters; timers, uid and inode are shown as zeros.
func WriteProcSocket(w io.Writer, i int, local, remote FullAddr, state, txq, rxq int) error {
	line := fmt.Sprintf("%4d: %s:%04X %s:%04X %02X %08X:%08X 00:00000000 00000000 %5d %8d %d",
		i, ProcHex(local.Addr), local.Port, ProcHex(remote.Addr), remote.Port, state, txq, rxq, 0, 0, 0)
	_, err := fmt.Fprintf(w, "%-149s\n", line)
	return err
}
