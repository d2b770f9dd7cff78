package tcp

import "time"

// Selective acknowledgement (RFC 2018) and SACK-based loss recovery, a
// simplified form of RFC 6675. The receiver reports its out-of-order
// ranges; the sender keeps them in a scoreboard and, in recovery,
// retransmits only the holes, keeping the data it estimates to be in
// flight ("pipe") under the congestion window.
//
// The estimate: every hole below the highest SACKed byte is taken as lost;
// holes retransmitted in this recovery (below rtxHigh) are in flight
// again; everything above the highest SACKed byte is in flight. After a
// retransmission timeout, everything below the highest byte sent is
// presumed lost unless SACKed, and recovery starts again from SND.UNA
// with a one-segment window, skipping what the peer holds.

// sackBlocks fills e.sackOut with the receiver's out-of-order ranges, the
// one holding the latest arrival first (RFC 2018 section 4), after a
// D-SACK block for a duplicate just received, and returns them.
func (e *Endpoint) sackBlocks() []seqRange {
	q := &e.ooo
	out := e.sackOut[:0]
	if e.dsackSet {
		// A duplicate just received goes first, once (RFC 2883).
		out = append(out, e.dsack)
		e.dsackSet = false
	}
	first := -1
	for i := 0; i < q.n; i++ {
		if e.lastOOO.ge(q.ranges[i].start) && e.lastOOO.lt(q.ranges[i].end) {
			first = i
			out = append(out, q.ranges[i])
			break
		}
	}
	for i := q.n - 1; i >= 0 && len(out) < e.sackLimit(); i-- {
		if i != first {
			out = append(out, q.ranges[i])
		}
	}
	return out
}

// takeSACK records the valid SACK blocks of an incoming ACK and reports
// whether they told us anything new.
func (e *Endpoint) takeSACK(seg *segment) bool {
	before := e.sb.covered(e.sndUna, e.sndMax)

	for _, r := range seg.sack[:seg.nsack] {
		if !r.start.lt(r.end) || r.end.gt(e.sndMax) || r.end.le(seg.ack) || r.end.le(e.sndUna) {
			continue // empty, beyond what we sent, or a D-SACK of old data
		}
		r.start = seqMax(r.start, seqMax(seg.ack, e.sndUna))
		e.sb.add(r.start, r.end) // when full, the block is forgotten: recovery is slower, not wrong
	}
	return e.sb.covered(e.sndUna, e.sndMax) > before
}

// lossLimit is the sequence number below which unSACKed data counts as lost.
func (e *Endpoint) lossLimit() seqnum {
	lim := e.sndUna
	if e.sb.n > 0 {
		lim = e.sb.high()
	}
	if e.rtoRecovery {
		lim = seqMax(lim, e.rtoHigh)
	}
	return lim
}

// pipe estimates the bytes in flight (RFC 6675 section 4).
func (e *Endpoint) pipe() int {
	if !e.inRecovery || !e.sackOK {
		return int(e.sndNxt - e.sndUna)
	}
	p := 0
	if e.rtxHigh.gt(e.sndUna) {
		p = int(e.rtxHigh-e.sndUna) - e.sb.covered(e.sndUna, e.rtxHigh)
	}
	if top := seqMax(e.lossLimit(), e.rtxHigh); e.sndMax.gt(top) {
		p += int(e.sndMax - top)
	}
	return p
}

// enterSACKRecovery starts fast recovery with a SACK-capable peer.
// The first lost segment is resent at once, whatever the pipe (RFC 6675
// section 5, step 4.3).
func (e *Endpoint) enterSACKRecovery() {
	e.rackFires = 0
	e.cwnd = e.ssthresh
	e.rtxHigh = e.sndUna
	e.forceFirst = true
	e.sackSend()
	e.forceFirst = false
}

// sackSend retransmits holes, then sends new data, while the pipe is
// below the congestion window.
func (e *Endpoint) sackSend() {
	mss := e.sndMSS
	limit := e.lossLimit()
	if limit == e.sndUna {
		limit = e.sndUna.add(mss) // no SACK yet: the first segment is the loss
	}
	dataEnd := e.sndUna.add(e.snd.len())
	force := e.detectLostRetransmit() || e.forceFirst
	for i := 0; i < 64; i++ {
		if p := e.pipe(); p > 0 && e.cwnd-p < mss && !(i == 0 && force) {
			break
		}
		hs, he, ok := e.sb.nextHole(seqMax(e.rtxHigh, e.sndUna), minSeq(limit, e.sndMax))
		if !ok {
			break
		}
		n := min(int(he-hs), mss)
		fin := false
		if hs.add(n).gt(dataEnd) {
			n = int(int32(dataEnd - hs))
			fin = e.shutWr && !e.finAcked && e.sndMax.gt(e.finSeq)
			if n < 0 || (n == 0 && !fin) {
				break
			}
		}
		if hs == e.sndUna {
			e.rtxProbe, e.rtxMark, e.rtxProbing = hs, e.sndMax, true
			e.rtxProbeAt = e.p.clk.Now()
			e.armRACK()
		}
		e.sendData(hs, n, fin)
		e.rtxHigh = hs.add(n)
		if fin {
			e.rtxHigh++
		}
	}
	e.output()
}

// detectLostRetransmit notices that the retransmission of the first hole
// was itself lost, which otherwise only the retransmission timer (at
// least MinRTO) would find out. Two signs, after RACK (RFC 8985): the peer
// has SACKed three segments sent after the retransmission, or ACKs keep
// coming but the retransmission is unacknowledged a round trip plus the
// RTT variation after it went out. The holes are then resent. The window
// is not cut again: this is still the loss event that started recovery.
// It reports whether it found a loss; the first hole then goes out at once.
func (e *Endpoint) detectLostRetransmit() bool {
	if !e.rtxProbing {
		return false
	}
	now := e.p.clk.Now()
	if e.sndUna.gt(e.rtxProbe) {
		e.rtxProbing = false
		if e.sndUna.lt(e.rtxHigh) {
			// The new first hole was retransmitted earlier in this pass:
			// watch it from now on (a conservative start time).
			e.rtxProbe, e.rtxMark, e.rtxProbing, e.rtxProbeAt = e.sndUna, e.sndMax, true, now
		}
		return false
	}
	bySACK := !e.sb.empty() && int(int32(e.sb.high()-e.rtxMark)) >= 3*e.sndMSS
	byTime := e.srtt > 0 && now.Sub(e.rtxProbeAt) > e.rackWait()
	if !bySACK && !byTime {
		return false
	}
	e.rtxProbing = false
	e.p.stats.lostRetrans.Add(1)
	e.rtxHigh = e.sndUna
	return true
}

// rackWait is how long a retransmission may go unacknowledged before it
// is taken as lost: a smoothed round trip plus four deviations.
func (e *Endpoint) rackWait() time.Duration {
	return e.srtt + max(4*e.rttvar, time.Millisecond)
}

// maxRACKFires bounds the timer-driven re-retransmissions in one recovery
// episode; past it, only the retransmission timer (with its backoff and
// retry limit) acts, so a dead peer still times out.
const maxRACKFires = 3

// armRACK makes the main timer check the first hole's retransmission after
// rackWait, instead of waiting for the RTO, when ACKs might stop coming.
func (e *Endpoint) armRACK() {
	if e.srtt > 0 && e.rackFires < maxRACKFires && e.rackWait() < e.curRTO() {
		e.armTimer(timerRACK, e.rackWait())
	}
}

// rackTimeout fires when the first hole's retransmission has gone
// unacknowledged for rackWait: it is resent, and the RTO stands behind.
func (e *Endpoint) rackTimeout() {
	e.armTimer(timerRTO, e.curRTO())
	if !e.inRecovery || !e.sackOK || !e.rtxProbing || e.sndUna.gt(e.rtxProbe) {
		return
	}
	e.rackFires++
	e.rtxProbing = false
	e.p.stats.lostRetrans.Add(1)
	e.rtxHigh = e.sndUna
	e.forceFirst = true
	e.sackSend()
	e.forceFirst = false
}
