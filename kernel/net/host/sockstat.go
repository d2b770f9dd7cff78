package host

import (
	"fmt"
	"io"

	"scone/kernel/net/dgram"
	"scone/kernel/net/tcp"
)

// pageSize is the unit of sockstat's mem fields, as on Linux.
const pageSize = 4096

// pages is n bytes in pages, rounded up.
func pages(n int64) int64 { return (n + pageSize - 1) / pageSize }

// WriteProcNetSockstat writes /proc/net/sockstat in Linux's format: the
// sockets in use per protocol and the memory their queues hold, in pages,
// and the IP reassembly queue. This is the network path's memory after
// the drivers' fixed rings: every buffer the stack holds between the wire
// and a process is in one of these queues, so after a program's sockets
// are closed the mem fields return to what they were (nettest's free).
// TCP mem is the buffer memory TCP's budget (Linux's tcp_mem) has
// charged, the capacity of every connection's send and receive rings;
// UDP mem every datagram socket's (UDP and ping) queued bytes, from
// dgram.Mem.
func (n *Host) WriteProcNetSockstat(w io.Writer) error {
	var inuse, tw int64
	for _, c := range n.TCP.Connections() {
		if c.State == tcp.StateTimeWait {
			tw++
			continue
		}
		inuse++
	}
	tcpBytes, _, _ := n.TCP.Memory()
	udp := int64(len(n.UDP.Endpoints()))
	frags, fragBytes := n.Stack.Reassembly().Pending()
	_, err := fmt.Fprintf(w, "sockets: used %d\nTCP: inuse %d orphan 0 tw %d alloc %d mem %d\nUDP: inuse %d mem %d\nUDPLITE: inuse 0\nRAW: inuse 0\nFRAG: inuse %d memory %d\n",
		inuse+udp, inuse, tw, inuse+tw, pages(tcpBytes), udp, pages(dgram.Mem.Used()), frags, fragBytes)
	return err
}
