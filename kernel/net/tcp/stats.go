package tcp

import "sync/atomic"

// Stats are the protocol's counters, named after the Tcp and TcpExt lines
// of Linux's /proc/net/snmp and netstat -s.
type Stats struct {
	ActiveOpens       uint64 // connections that went CLOSED -> SYN-SENT
	PassiveOpens      uint64 // connections that went LISTEN -> SYN-RECEIVED
	AttemptFails      uint64 // SYN-SENT/SYN-RECEIVED -> CLOSED (refused, timed out)
	EstabResets       uint64 // ESTABLISHED/CLOSE-WAIT -> CLOSED by a reset
	CurrEstab         uint64 // connections now ESTABLISHED or CLOSE-WAIT
	InSegs            uint64 // segments received, including erroneous ones
	OutSegs           uint64 // segments sent, excluding retransmissions
	RetransSegs       uint64 // segments retransmitted
	InErrs            uint64 // segments dropped as malformed or bad checksum
	InCsumErrors      uint64 // of which bad checksum
	OutRsts           uint64 // segments sent with RST
	InRsts            uint64 // resets accepted from peers
	Timeouts          uint64 // retransmission timer expiries
	FastRetrans       uint64 // fast retransmits (RFC 5681 section 3.2)
	PartialAcks       uint64 // NewReno partial acknowledgements (RFC 6582)
	LostRetrans       uint64 // retransmissions found lost from SACK information
	TailLossProbes    uint64 // tail loss probes sent (RFC 8985)
	ListenOverflows   uint64 // handshakes completed while the accept queue was full
	ListenDrops       uint64 // SYNs dropped because a listen queue was full
	SynCookiesSent    uint64 // SYN-ACKs sent with a cookie (SYN queue full)
	SynCookiesRecv    uint64 // connections made from a returned cookie
	SynCookiesFailed  uint64 // ACKs to a listener with an invalid cookie
	ChallengeACKs     uint64 // RFC 5961 challenge ACKs sent
	OOWRateLimited    uint64 // ACKs for unacceptable segments or challenges not sent (rate limit)
	OFODrops          uint64 // out-of-order segments dropped (too many holes)
	ZeroWndProbes     uint64 // zero-window probes sent
	KeepAliveProbes   uint64 // keep-alive probes sent
	DelayedACKs       uint64 // ACKs sent by the delayed-ACK timer
	ICMPErrors        uint64 // ICMP errors matched to a connection
	ConnTimeouts      uint64 // connections aborted with ETIMEDOUT
	TimeWait          uint64 // connections now in TIME-WAIT
	TimeWaitOverflows uint64 // TIME-WAITs skipped because MaxTimeWait were waiting
	RcvQDrops         uint64 // segments dropped for want of buffer memory (tcp_mem's hard limit)
	PAWSRejected      uint64 // segments dropped by PAWS (an old timestamp)
	MemoryPressures   uint64 // times TCP entered memory pressure
}

// counters is the live, atomically updated form of Stats.
type counters struct {
	activeOpens, passiveOpens, attemptFails, estabResets, currEstab  atomic.Uint64
	inSegs, outSegs, retransSegs, inErrs, inCsumErrors               atomic.Uint64
	outRsts, inRsts, timeouts, fastRetrans, partialAcks, lostRetrans atomic.Uint64
	listenOverflows, listenDrops, challengeACKs, ofoDrops            atomic.Uint64
	zeroWndProbes, delayedACKs, icmpErrors, connTimeouts             atomic.Uint64
	synCookiesSent, synCookiesRecv, synCookiesFailed                 atomic.Uint64
	tailLossProbes, keepAliveProbes                                  atomic.Uint64
	timeWaitOverflows, oowRateLimited, rcvQDrops, pawsRejected       atomic.Uint64
}

// Stats returns a snapshot of the protocol's counters.
func (p *Protocol) Stats() Stats {
	c := &p.stats
	return Stats{
		ActiveOpens: c.activeOpens.Load(), PassiveOpens: c.passiveOpens.Load(),
		AttemptFails: c.attemptFails.Load(), EstabResets: c.estabResets.Load(),
		CurrEstab: c.currEstab.Load(), InSegs: c.inSegs.Load(), OutSegs: c.outSegs.Load(),
		RetransSegs: c.retransSegs.Load(), InErrs: c.inErrs.Load(),
		InCsumErrors: c.inCsumErrors.Load(), OutRsts: c.outRsts.Load(), InRsts: c.inRsts.Load(),
		Timeouts: c.timeouts.Load(), FastRetrans: c.fastRetrans.Load(),
		PartialAcks: c.partialAcks.Load(), LostRetrans: c.lostRetrans.Load(), TailLossProbes: c.tailLossProbes.Load(), ListenOverflows: c.listenOverflows.Load(),
		ListenDrops: c.listenDrops.Load(), SynCookiesSent: c.synCookiesSent.Load(),
		SynCookiesRecv: c.synCookiesRecv.Load(), SynCookiesFailed: c.synCookiesFailed.Load(), ChallengeACKs: c.challengeACKs.Load(),
		OFODrops: c.ofoDrops.Load(), ZeroWndProbes: c.zeroWndProbes.Load(), KeepAliveProbes: c.keepAliveProbes.Load(),
		DelayedACKs: c.delayedACKs.Load(), ICMPErrors: c.icmpErrors.Load(),
		ConnTimeouts: c.connTimeouts.Load(), TimeWait: uint64(p.timeWait.Load()),
		TimeWaitOverflows: c.timeWaitOverflows.Load(), OOWRateLimited: c.oowRateLimited.Load(),
		RcvQDrops: c.rcvQDrops.Load(), MemoryPressures: p.mem.pressures.Load(), PAWSRejected: c.pawsRejected.Load(),
	}
}
