package tcp

import (
	"hash/maphash"
	"syscall"
	"time"

	"scone/kernel/net/ipv4"
	"scone/kernel/net/tcpip"
	"scone/kernel/net/waiter"
)

// deliver hands a segment to the endpoint found for id. It reports false
// when the endpoint cannot take it (it closed meanwhile, or it is a
// listener refusing the segment) and the caller should answer with a reset.
func (e *Endpoint) deliver(id connID, seg *segment) deliverResult {
	e.mu.Lock()
	res := delivered
	switch e.state {
	case StateClosed:
		res = refused
	case StateListen:
		if !e.listenInput(id, seg) {
			res = refused
		}
	case StateSynSent:
		e.synSentInput(seg)
	case StateTimeWait:
		if e.reopen(seg) {
			res = retry
			break
		}
		e.input(seg)
	default:
		e.input(seg)
	}
	e.unlock()
	return res
}

// deliverResult says what became of a segment handed to an endpoint.
type deliverResult int

const (
	delivered deliverResult = iota
	refused                 // answer with a reset
	retry                   // the endpoint went away for this segment: look up again
)

// reopen handles a new SYN for a four-tuple in TIME-WAIT (RFC 9293
// section 3.6.1, RFC 6191 without timestamps): if its sequence number is
// beyond anything of the old connection, the old one is forgotten so that
// a listener can take the SYN. Clients that reuse a port soon after the
// server closed first then connect at once instead of after a SYN timeout.
func (e *Endpoint) reopen(seg *segment) bool {
	if seg.flags&(flagSYN|flagACK|flagRST) != flagSYN || !seg.seq.gt(e.rcvNxt) {
		return false
	}
	e.closeLocked()
	return true
}

// initConn prepares a connection's sequence space once its four-tuple and
// route are known. An endpoint whose earlier connect failed is used again
// (connect(2) may be retried), so everything the old attempt left behind
// is cleared: its error, retry count, backoff, estimates and buffers. What
// the application set (buffer sizes, options) stays.
func (e *Endpoint) initConn() {
	e.err, e.softErr = nil, 0
	e.retries, e.backoff, e.probes = 0, 0, 0
	e.srtt, e.rttvar, e.rttTiming = 0, 0, false
	e.shutRd, e.shutWr, e.finAcked, e.finRcvd, e.oooFin = false, false, false, false, false
	e.cwndAcc, e.dupAcks, e.inRecovery, e.rtoRecovery, e.tlpSent = 0, 0, false, false, false
	e.rackFires, e.rtxProbing, e.forceFirst = 0, false, false
	e.sb.reset()
	e.ooo.reset()
	e.snd.drop()
	e.rcv.drop()
	e.urgSet, e.dsackSet, e.ackNow, e.segMax = false, false, false, 0
	e.kaProbes, e.lastOOWAck = 0, time.Time{}
	e.tsOK, e.tsRecent, e.tsRecentAt = false, 0, time.Time{}
	e.tsOffset = uint32(maphash.Comparable(e.p.tsSeed, e.id))
	e.rcvMSS = max(e.route.MTU-headerLen, 64)
	e.sndMSS = min(defaultMSS, e.rcvMSS)
	e.rcvShift = 0
	for e.rcvShift < maxWndScale && e.rcv.limit>>e.rcvShift > 0xffff {
		e.rcvShift++
	}
	e.iss = e.p.isn(e.id)
	e.sndUna, e.sndNxt, e.sndMax = e.iss, e.iss, e.iss
	e.recover = e.iss
	e.rto = e.p.opts.InitialRTO
	e.ssthresh = 1 << 30
}

// acceptSyn records what the peer's SYN tells us: its sequence numbers,
// window and options.
func (e *Endpoint) acceptSyn(seg *segment) {
	e.irs = seg.seq
	e.rcvNxt = seg.seq + 1
	e.lastAck = e.irs
	e.rcvAdv = e.rcvNxt
	mss := int(seg.mss)
	if mss == 0 {
		mss = defaultMSS // RFC 9293 section 3.7.1
	}
	e.peerMSS = mss
	e.sndMSS = max(min(mss, e.rcvMSS), 64)
	e.sackOK = seg.sackOK && !e.p.opts.DisableSACK
	e.tsOK = seg.ts && !e.p.opts.DisableTimestamps
	if e.tsOK {
		e.tsRecent, e.tsRecentAt = seg.tsVal, e.p.clk.Now()
	}
	if seg.wndScale >= 0 {
		e.wsOK = true
		e.sndShift = seg.wndScale
	} else {
		e.wsOK = false
		e.sndShift, e.rcvShift = 0, 0
	}
	e.sndWnd = int(seg.wnd) // never scaled in a SYN (RFC 7323 section 2.2)
	e.maxSndWnd = e.sndWnd
	e.sndWl1 = seg.seq
}

// synSentInput handles a segment in SYN-SENT (RFC 9293 section 3.10.7.3).
func (e *Endpoint) synSentInput(seg *segment) {
	ackOK := false
	if seg.flags&flagACK != 0 {
		if seg.ack.le(e.iss) || seg.ack.gt(e.sndMax) {
			if seg.flags&flagRST == 0 {
				e.sendRaw(seg.ack, 0, flagRST, nil)
			}
			return
		}
		ackOK = true
	}
	if seg.flags&flagRST != 0 {
		if ackOK {
			e.p.stats.inRsts.Add(1)
			e.p.stats.attemptFails.Add(1)
			e.abort(syscall.ECONNREFUSED)
		}
		return
	}
	if seg.flags&flagSYN == 0 {
		return
	}
	e.acceptSyn(seg)
	if !ackOK {
		// Simultaneous open: both sides sent SYNs.
		e.setState(StateSynReceived)
		e.sendSyn()
		return
	}
	e.sndUna = seg.ack
	e.sndWl2 = seg.ack
	e.establish()
	// Data or FIN carried on the SYN-ACK: continue as in ESTABLISHED with
	// the SYN stripped off, trimmed to the receive window like any other
	// segment.
	seg.seq++
	seg.flags &^= flagSYN | flagACK
	e.ackNow = true
	if e.trim(seg) {
		e.text(seg)
	}
	e.output()
	e.sendPendingAck()
}

// establish completes a handshake.
func (e *Endpoint) establish() {
	now := e.p.clk.Now()
	if e.retries == 0 {
		if !e.rttStart.IsZero() { // zero for a SYN-cookie connection
			e.rttSample(now.Sub(e.rttStart))
		}
		e.cwnd = min(10*e.sndMSS, max(2*e.sndMSS, 14600)) // RFC 6928
	} else {
		e.cwnd = e.sndMSS // RFC 5681 section 3.1: the SYN was lost
	}
	e.rttTiming = false
	e.retries, e.backoff = 0, 0
	e.stopTimer()
	e.connected = true
	e.lastRecv = now
	if e.kaOn {
		e.armKeepAlive()
	}
	if e.shutWr {
		e.setState(StateFinWait1)
	} else {
		e.setState(StateEstablished)
	}
	e.notify(waiter.EventOut)
}

// input handles a segment in any synchronized state or SYN-RECEIVED
// (RFC 9293 section 3.10.7.4), in the RFC's order: sequence check, RST,
// SYN, ACK, data, FIN.
func (e *Endpoint) input(seg *segment) {
	e.ackNow = false
	e.lastRecv = e.p.clk.Now() // for keep-alive and a zero-window timeout
	e.kaProbes = 0
	// A retransmitted SYN for a half-open passive connection: repeat the SYN-ACK.
	if e.state == StateSynReceived && seg.flags&(flagSYN|flagACK|flagRST) == flagSYN && seg.seq == e.irs {
		e.sendSyn()
		e.rttStart = time.Time{} // Karn: the SYN-ACK went twice, its ACK times neither
		return
	}
	// A retransmission of the peer's FIN in TIME-WAIT: acknowledge it
	// again and restart the 2*MSL wait (RFC 9293 section 3.10.7.4).
	if e.state == StateTimeWait && seg.flags&(flagFIN|flagRST|flagSYN) == flagFIN &&
		seg.seq.add(len(seg.data)+1) == e.rcvNxt {
		e.sendAck()
		e.enterTimeWait()
		return
	}
	// PAWS (RFC 7323 section 5.3): a segment whose TSval is older than
	// TS.Recent is an old duplicate, answered like an unacceptable one.
	if e.pawsReject(seg) {
		e.p.stats.pawsRejected.Add(1)
		if seg.flags&flagSYN != 0 {
			e.challengeAck()
		} else {
			e.oowAck(seg)
		}
		return
	}
	// RFC 5961 section 3.2 judges a RST by its own sequence number, before
	// trimming could move it: exactly RCV.NXT resets, anywhere else in the
	// window draws a challenge ACK, and the rest is dropped.
	if seg.flags&flagRST != 0 {
		switch {
		case seg.seq == e.rcvNxt:
			e.resetByPeer()
		case e.acceptable(seg):
			e.challengeAck()
		}
		return
	}
	urgMark := seg.seq.add(int(seg.up)) // before trimming moves SEG.SEQ
	seq := seg.seq
	if !e.trim(seg) {
		// A whole duplicate: report it (D-SACK, RFC 2883) so that the
		// sender can tell a needless retransmission from a loss.
		if end := seg.seq.add(len(seg.data)); len(seg.data) > 0 && end.le(e.rcvNxt) {
			e.dsack, e.dsackSet = seqRange{seg.seq, end}, true
		}
		if seg.flags&flagSYN != 0 {
			e.challengeAck() // as Linux's tcp_validate_incoming: a SYN is challenged wherever it lies
			return
		}
		e.oowAck(seg)
		return
	}
	if seg.flags&flagSYN != 0 {
		e.challengeAck() // RFC 5961 section 4.2
		return
	}
	e.takeTimestamp(seg, seq)
	if seg.flags&flagACK == 0 {
		return
	}
	if e.state == StateSynReceived {
		if seg.ack.le(e.sndUna) || seg.ack.gt(e.sndMax) {
			e.sendRaw(seg.ack, 0, flagRST, nil)
			return
		}
		if e.parent != nil && !e.enqueueAccepted() {
			return
		}
		if e.state == StateClosed {
			return
		}
		e.sndUna = seg.ack
		e.sndWnd = int(seg.wnd) << e.sndShift
		e.maxSndWnd = max(e.maxSndWnd, e.sndWnd)
		e.sndWl1, e.sndWl2 = seg.seq, seg.ack
		e.establish()
	} else if !e.processAck(seg) {
		return
	}
	// The urgent pointer counts only from an acceptable segment (RFC 9293
	// section 3.10.7.4, sixth step).
	if seg.flags&flagURG != 0 {
		e.urgent(urgMark)
	}
	e.text(seg)
	if e.state == StateClosed {
		return
	}
	e.output()
	e.sendPendingAck()
}

// pawsReject is PAWS's test (RFC 7323 section 5.3) as Linux applies it:
// a segment other than a RST whose TSval is more than one tick older than
// TS.Recent, unless TS.Recent is over 24 days old (section 5.5) or the
// segment is a duplicate ACK merely overtaken by a later one
// (disorderedAck).
func (e *Endpoint) pawsReject(seg *segment) bool {
	if !e.tsOK || !seg.ts || seg.flags&flagRST != 0 || e.tsRecent == 0 || int32(e.tsRecent-seg.tsVal) <= 1 {
		return false
	}
	if e.p.clk.Now().Sub(e.tsRecentAt) > pawsIdle {
		return false
	}
	return !e.disorderedAck(seg)
}

// pawsIdle is how long TS.Recent stays valid without being refreshed.
const pawsIdle = 24 * 24 * time.Hour

// disorderedAck reports whether seg is a pure duplicate ACK that moves
// nothing, within an RTO of TS.Recent: one reordered behind a later ACK,
// which PAWS lets through as Linux's tcp_disordered_ack does.
func (e *Endpoint) disorderedAck(seg *segment) bool {
	return seg.flags&(flagACK|flagSYN|flagFIN) == flagACK && len(seg.data) == 0 &&
		seg.seq == e.rcvNxt && seg.ack == e.sndUna && int(seg.wnd)<<e.sndShift == e.sndWnd &&
		int64(int32(e.tsRecent-seg.tsVal)) <= int64(e.curRTO()/time.Millisecond)
}

// takeTimestamp records an acceptable segment's TSval as TS.Recent, the
// value to echo, when it starts at or before the last acknowledged byte
// and is not older (RFC 7323 section 4.3); seq is its sequence number
// before trimming.
func (e *Endpoint) takeTimestamp(seg *segment, seq seqnum) {
	if e.tsOK && seg.ts && seq.le(e.lastAck) && int32(seg.tsVal-e.tsRecent) >= 0 {
		e.tsRecent, e.tsRecentAt = seg.tsVal, e.p.clk.Now()
	}
}

// acceptable is the acceptability test of RFC 9293 section 3.10.7.4
// without trimming: whether any of the segment falls in the receive
// window (or, for one that occupies no sequence space, its number does).
func (e *Endpoint) acceptable(seg *segment) bool {
	wnd := e.rcvWnd()
	n := seg.seqLen()
	switch {
	case n == 0 && wnd == 0:
		return seg.seq == e.rcvNxt
	case n == 0:
		return seg.seq.inWindow(e.rcvNxt, wnd)
	case wnd == 0:
		return seg.seq == e.rcvNxt
	}
	return seg.seq.inWindow(e.rcvNxt, wnd) || seg.seq.add(n-1).inWindow(e.rcvNxt, wnd)
}

// rcvWnd is the receive window: the free buffer space, or what we have
// advertised if that reaches further (a right edge never moves back,
// RFC 9293 section 3.8.6.2.2, and a scaled window is rounded up).
func (e *Endpoint) rcvWnd() int {
	return max(e.rcv.free(), int(int32(e.rcvAdv-e.rcvNxt)))
}

// trim applies the acceptability test of RFC 9293 section 3.10.7.4 and
// trims the segment to the receive window. It reports false when the
// segment is unacceptable.
func (e *Endpoint) trim(seg *segment) bool {
	if !e.acceptable(seg) {
		return false
	}
	wnd := e.rcvWnd()
	switch {
	case seg.seqLen() == 0:
		return true
	case wnd == 0:
		// Zero window: only the ACK, RST and URG information of an
		// in-sequence segment is usable (RFC 9293 section 3.10.7.4). A
		// bare FIN needs no buffer space, so it is taken too, as Linux
		// does: EOF is not held up by a full buffer.
		if len(seg.data) > 0 || seg.flags&flagSYN != 0 {
			seg.data = nil
			seg.flags &^= flagFIN | flagSYN
		}
		e.ackNow = true
		return true
	}
	// Drop what lies before RCV.NXT.
	if d := int(int32(e.rcvNxt - seg.seq)); d > 0 {
		if seg.flags&flagSYN != 0 {
			seg.flags &^= flagSYN
			d--
			seg.seq++
		}
		d = min(d, len(seg.data))
		if d > 0 {
			e.dsack, e.dsackSet = seqRange{seg.seq, seg.seq.add(d)}, true
		}
		seg.data = seg.data[d:]
		seg.seq = seg.seq.add(d)
		e.ackNow = true // a partial duplicate: tell the sender where we are
	}
	// Drop what lies beyond the window, and the FIN with it.
	if over := int(seg.seq.add(len(seg.data))-e.rcvNxt) - wnd; over > 0 {
		seg.data = seg.data[:len(seg.data)-over]
		seg.flags &^= flagFIN
	}
	return true
}

// resetByPeer acts on an acceptable RST (RFC 9293 section 3.10.7.4).
func (e *Endpoint) resetByPeer() {
	e.p.stats.inRsts.Add(1)
	switch e.state {
	case StateSynReceived:
		if e.parent != nil {
			e.closeLocked() // a passive open just goes away
			return
		}
		e.p.stats.attemptFails.Add(1)
		e.abort(syscall.ECONNREFUSED)
	case StateEstablished, StateCloseWait:
		e.p.stats.estabResets.Add(1)
		e.abort(syscall.ECONNRESET)
	case StateFinWait1, StateFinWait2:
		e.abort(syscall.ECONNRESET)
	default:
		e.closeLocked()
	}
}

// challengeAck answers a suspicious RST, SYN or ACK with an ACK (RFC 5961
// section 7): a genuine peer that lost our state replies with an
// exact-sequence RST. The connection's own limit comes first, then the
// host-wide one, as in Linux.
func (e *Endpoint) challengeAck() {
	if e.oowLimited() || !e.p.allowChallenge() {
		return
	}
	e.p.stats.challengeACKs.Add(1)
	e.sendAck()
}

// oowAck acknowledges an unacceptable segment without SYN (RFC 9293
// section 3.10.7.4). Segments that occupy no sequence space are answered
// at most once per InvalidRateLimit, as Linux's tcp_oow_rate_limited: two
// hosts that disagree about the window would otherwise trade bare ACKs
// for ever. Data or a FIN is always answered, as there: such a segment is
// no part of an ACK loop, and a sender whose ACKs were lost needs to
// learn where we are.
func (e *Endpoint) oowAck(seg *segment) {
	if seg.seqLen() == 0 && e.oowLimited() {
		return
	}
	e.sendAck()
}

// oowLimited reports whether an out-of-window ACK went out less than
// InvalidRateLimit ago, and otherwise records that one goes out now.
func (e *Endpoint) oowLimited() bool {
	now := e.p.clk.Now()
	if !e.lastOOWAck.IsZero() && now.Sub(e.lastOOWAck) < e.p.opts.InvalidRateLimit {
		e.p.stats.oowRateLimited.Add(1)
		return true
	}
	e.lastOOWAck = now
	return false
}

// text processes the segment's data and FIN (steps seven and eight).
func (e *Endpoint) text(seg *segment) {
	if len(seg.data) > 0 {
		switch e.state {
		case StateEstablished, StateFinWait1, StateFinWait2:
			e.receiveData(seg)
			if e.state == StateClosed {
				return
			}
		}
	}
	if seg.flags&flagFIN != 0 {
		switch e.state {
		case StateClosed, StateListen, StateSynSent:
			return
		}
		fin := seg.seq.add(len(seg.data))
		if fin == e.rcvNxt {
			e.receiveFin()
		} else if fin.gt(e.rcvNxt) {
			e.oooFin, e.oooFinSeq = true, fin
			e.ackNow = true
		}
	}
}

// receiveData stores in-window data, in order or not.
func (e *Endpoint) receiveData(seg *segment) {
	n := len(seg.data)
	e.segMax = max(e.segMax, n)
	if e.orphan || (e.shutRd && e.shutWr) {
		// Nobody will read this: RFC 9293 section 3.10.7.4 lets us
		// reset, RFC 1122 4.2.2.13 says we must, and Linux does once
		// both directions are shut (closed, or shutdown(SHUT_RDWR)).
		e.sendReset()
		if e.orphan {
			e.abort(nil)
		} else {
			e.abort(syscall.ECONNRESET)
		}
		return
	}
	off := int(seg.seq - e.rcvNxt)
	if !e.rcv.writeAt(e.rcv.len()+off, seg.data) {
		// The memory pool refused the room (past tcp_mem's hard limit):
		// drop the segment unacknowledged, as Linux's TCPRcvQDrop, and
		// say where we are; the peer sends it again.
		e.p.stats.rcvQDrops.Add(1)
		e.ackNow = true
		return
	}
	if off == 0 {
		e.rcv.extend(n)
		e.rcvNxt = e.rcvNxt.add(n)
		if !e.ooo.empty() {
			nxt := e.ooo.advance(e.rcvNxt)
			e.rcv.extend(int(nxt - e.rcvNxt))
			e.rcvNxt = nxt
			e.ackNow = true // RFC 5681 section 4.2: ACK at once when a hole fills
		}
		if e.oooFin && e.oooFinSeq == e.rcvNxt {
			e.oooFin = false
			e.receiveFin()
		}
		e.notify(waiter.EventIn)
		return
	}
	e.ackNow = true // out of order: a duplicate ACK, at once
	e.lastOOO = seg.seq
	if !e.ooo.add(seg.seq, seg.seq.add(n)) {
		e.p.stats.ofoDrops.Add(1) // the bytes written stay unmarked: as if never stored
	}
}

// receiveFin processes an in-sequence FIN.
func (e *Endpoint) receiveFin() {
	e.rcvNxt++
	e.finRcvd = true
	e.ackNow = true
	e.notify(waiter.EventIn | waiter.EventRdHup)
	switch e.state {
	case StateSynReceived, StateEstablished:
		e.setState(StateCloseWait)
	case StateFinWait1:
		if e.finAcked {
			e.enterTimeWait()
		} else {
			e.setState(StateClosing) // simultaneous close
		}
	case StateFinWait2:
		e.enterTimeWait()
	case StateTimeWait:
		e.enterTimeWait() // a retransmitted FIN restarts the 2*MSL wait
	}
	if e.shutWr {
		e.notify(waiter.EventHup)
	}
}

// handleControl acts on an ICMP error for this connection (RFC 5927,
// RFC 1122 section 4.2.3.9).
func (e *Endpoint) handleControl(msg tcpip.ControlMessage, seq seqnum) {
	e.mu.Lock()
	defer e.unlock()
	// Only errors quoting a sequence number we have in flight are believed.
	if e.state == StateClosed || seq.lt(e.sndUna) || seq.gt(e.sndMax) {
		return
	}
	e.p.stats.icmpErrors.Add(1)
	switch {
	case msg.Err == syscall.EMSGSIZE && msg.MTU > 0:
		// msg.MTU is the next hop's IP MTU: the IP header and ours come off it.
		if mss := max(msg.MTU-ipv4.HeaderLen-headerLen, 64); mss < e.sndMSS {
			e.sndMSS = mss
			e.cwnd = max(min(e.cwnd, e.ssthresh), mss)
			e.sndNxt = e.sndUna // resend what was too big
			e.output()
		}
	case e.state == StateSynSent && (msg.Err == syscall.ECONNREFUSED || msg.Err == syscall.EPROTONOSUPPORT):
		e.p.stats.attemptFails.Add(1)
		e.abort(syscall.ECONNREFUSED)
	default:
		e.softErr = msg.Err // reported if the connection later times out
	}
}

// urgent records an urgent pointer (RFC 9293 section 3.8.5, RFC 6093).
// Urgent data stays in line with the rest (as SO_OOBINLINE): the
// application learns of it through EventPri, which holds until it has
// read up to the mark, the byte after the urgent data.
func (e *Endpoint) urgent(mark seqnum) {
	switch e.state {
	case StateEstablished, StateFinWait1, StateFinWait2:
	default:
		return
	}
	if mark.le(e.rcvNxt.add(-e.rcv.len())) || (e.urgSet && !mark.gt(e.rcvUp)) {
		return // already read past it, or not news
	}
	e.rcvUp, e.urgSet = mark, true
	e.notify(waiter.EventPri)
}
