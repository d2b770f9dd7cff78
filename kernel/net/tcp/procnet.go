package tcp

import (
	"io"

	"scone/kernel/net/tcpip"
)

// linuxState numbers the states as Linux's /proc/net/tcp shows them.
var linuxState = map[State]int{
	StateEstablished: 1, StateSynSent: 2, StateSynReceived: 3,
	StateFinWait1: 4, StateFinWait2: 5, StateTimeWait: 6,
	StateClosed: 7, StateCloseWait: 8, StateLastAck: 9,
	StateListen: 10, StateClosing: 11,
}

// LinuxState is s as Linux numbers it (TCP_ESTABLISHED is 1 ...
// TCP_CLOSING 11), for /proc/net/tcp and TCP_INFO.
func (s State) LinuxState() int { return linuxState[s] }

// WriteProcNet writes /proc/net/tcp in Linux's format: every listener and
// connection, with its send and receive queues (netstat -t reads it).
func (p *Protocol) WriteProcNet(w io.Writer) error {
	if err := tcpip.WriteProcSocketsHeader(w); err != nil {
		return err
	}
	for i, c := range p.Connections() {
		if err := tcpip.WriteProcSocket(w, i, c.Local, c.Remote, linuxState[c.State], c.SendQueue, c.RecvQueue); err != nil {
			return err
		}
	}
	return nil
}

// Netstat names TCP's section of `netstat -s` and returns its counters
// (tcpip.Reporter).
func (p *Protocol) Netstat() (string, any) { return "Tcp", p.Stats() }
