package host

import (
	"fmt"
	"io"
	"strings"

	"scone/kernel/net/tcpip"
)

// ProcNetFile is one file of /proc/net: its name and what writes it.
type ProcNetFile struct {
	Name  string
	Write func(io.Writer) error
}

// ProcNetFiles lists the host's /proc/net files, in Linux's formats: the
// interfaces (dev), routes, ARP cache, TCP and UDP sockets, the
// protocol counters (snmp, netstat) and the sockets' memory (sockstat).
func (n *Host) ProcNetFiles() []ProcNetFile {
	return []ProcNetFile{
		{"arp", n.Stack.WriteProcNetARP},
		{"dev", n.Stack.WriteProcNetDev},
		{"netstat", n.WriteProcNetNetstat},
		{"route", n.Stack.WriteProcNetRoute},
		{"snmp", n.WriteProcNetSNMP},
		{"sockstat", n.WriteProcNetSockstat},
		{"tcp", n.TCP.WriteProcNet},
		{"udp", n.UDP.WriteProcNet},
	}
}

// WriteProcNetSNMP writes /proc/net/snmp: for each protocol a line of
// counter names and a line of values, with Linux's names in Linux's
// order (netstat -s and the user netstat read it). Counters Scone does
// not keep are 0.
func (n *Host) WriteProcNetSNMP(w io.Writer) error {
	ip := &n.Stack.Stats.IP
	ic := &n.Stack.ICMP().Stats
	ts := n.TCP.Stats()
	us := &n.UDP.Stats
	opts := n.TCP.Options()
	c := func(v *tcpip.Counter) int64 { return int64(v.Value()) }
	lines := []struct {
		proto string
		names string
		vals  []int64
	}{
		{"Ip", "Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ForwDatagrams InUnknownProtos InDiscards InDelivers OutRequests OutDiscards OutNoRoutes ReasmTimeout ReasmReqds ReasmOKs ReasmFails FragOKs FragFails FragCreates OutTransmits",
			[]int64{2, 64, c(&ip.InReceives), c(&ip.InHdrErrors), c(&ip.InAddrErrors), 0, c(&ip.InUnknownProtos), 0, c(&ip.InDelivers),
				c(&ip.OutRequests), c(&ip.OutDiscards), c(&ip.OutNoRoutes), 0, c(&ip.ReasmReqds), c(&ip.ReasmOKs), c(&ip.ReasmFails),
				c(&ip.FragOKs), c(&ip.FragFails), c(&ip.FragCreates), c(&ip.OutRequests)}},
		{"Icmp", "InMsgs InErrors InCsumErrors InDestUnreachs InTimeExcds InParmProbs InSrcQuenchs InRedirects InEchos InEchoReps InTimestamps InTimestampReps InAddrMasks InAddrMaskReps OutMsgs OutErrors OutRateLimitGlobal OutRateLimitHost OutDestUnreachs OutTimeExcds OutParmProbs OutSrcQuenchs OutRedirects OutEchos OutEchoReps OutTimestamps OutTimestampReps OutAddrMasks OutAddrMaskReps",
			[]int64{c(&ic.InMsgs), c(&ic.InErrors), c(&ic.InCsumErrors), c(&ic.InDestUnreachs), c(&ic.InTimeExcds), 0, 0, 0, c(&ic.InEchos), c(&ic.InEchoReps), 0, 0, 0, 0,
				c(&ic.OutMsgs), c(&ic.OutErrors), c(&ic.OutRateLimited), 0, c(&ic.OutDestUnreachs), 0, 0, 0, 0, c(&ic.OutEchos), c(&ic.OutEchoReps), 0, 0, 0, 0}},
		{"Tcp", "RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors",
			[]int64{1, opts.MinRTO.Milliseconds(), opts.MaxRTO.Milliseconds(), -1, int64(ts.ActiveOpens), int64(ts.PassiveOpens), int64(ts.AttemptFails),
				int64(ts.EstabResets), int64(ts.CurrEstab), int64(ts.InSegs), int64(ts.OutSegs), int64(ts.RetransSegs), int64(ts.InErrs), int64(ts.OutRsts), int64(ts.InCsumErrors)}},
		{"Udp", "InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors",
			[]int64{c(&us.InDatagrams), c(&us.NoPorts), c(&us.InErrors), c(&us.OutDatagrams), c(&us.RcvbufErrors), 0, c(&us.InCsumErrors), 0, 0}},
		{"UdpLite", "InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors",
			make([]int64, 9)},
	}
	for _, l := range lines {
		if err := writeStatLines(w, l.proto, l.names, l.vals); err != nil {
			return err
		}
	}
	return nil
}

// writeStatLines writes one protocol's names line and values line, the
// format of /proc/net/snmp and /proc/net/netstat.
func writeStatLines(w io.Writer, proto, names string, vals []int64) error {
	s := make([]string, len(vals))
	for i, v := range vals {
		s[i] = fmt.Sprint(v)
	}
	_, err := fmt.Fprintf(w, "%s: %s\n%s: %s\n", proto, names, proto, strings.Join(s, " "))
	return err
}

// WriteProcNetNetstat writes /proc/net/netstat's TcpExt lines: the TCP
// counters Scone keeps that have a TcpExt name, in Linux's order
// (tools read the fields by name, so the ones Scone lacks are left out
// rather than shown as 0). No IpExt line: the stack counts no octets or
// broadcasts by kind.
func (n *Host) WriteProcNetNetstat(w io.Writer) error {
	ts := n.TCP.Stats()
	return writeStatLines(w, "TcpExt",
		"SyncookiesSent SyncookiesRecv SyncookiesFailed PAWSEstab DelayedACKs ListenOverflows ListenDrops TCPLostRetransmit TCPFastRetrans TCPTimeouts TCPLossProbes TCPAbortOnTimeout TCPMemoryPressures TCPTimeWaitOverflow TCPOFODrop TCPChallengeACK TCPWinProbe TCPKeepAlive TCPRcvQDrop",
		[]int64{int64(ts.SynCookiesSent), int64(ts.SynCookiesRecv), int64(ts.SynCookiesFailed), int64(ts.PAWSRejected), int64(ts.DelayedACKs),
			int64(ts.ListenOverflows), int64(ts.ListenDrops), int64(ts.LostRetrans), int64(ts.FastRetrans), int64(ts.Timeouts),
			int64(ts.TailLossProbes), int64(ts.ConnTimeouts), int64(ts.MemoryPressures), int64(ts.TimeWaitOverflows), int64(ts.OFODrops),
			int64(ts.ChallengeACKs), int64(ts.ZeroWndProbes), int64(ts.KeepAliveProbes), int64(ts.RcvQDrops)})
}
