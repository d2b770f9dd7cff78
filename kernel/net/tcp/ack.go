package tcp

import (
	"time"

	"scone/kernel/net/waiter"
)

// processAck is step five of RFC 9293 section 3.10.7.4 for synchronized
// states: RFC 5961 ACK validation, new data acknowledged, duplicate ACKs,
// the send window, and the state changes an acknowledged FIN causes. It
// reports false when processing of the segment should stop.
func (e *Endpoint) processAck(seg *segment) bool {
	ack := seg.ack
	if ack.gt(e.sndMax) {
		e.challengeAck() // acknowledges something never sent (RFC 5961 section 5.2)
		return false
	}
	if ack.lt(e.sndUna.add(-max(e.maxSndWnd, 0xffff))) {
		e.challengeAck() // RFC 5961 section 5.2: far too old
		return false
	}
	if ack.ge(e.sndUna) {
		e.probes = 0 // the peer is alive: window probes start counting again
	}
	wnd := int(seg.wnd) << e.sndShift
	newSACK := false
	if e.sackOK && seg.nsack > 0 {
		newSACK = e.takeSACK(seg)
	}
	switch {
	case ack.gt(e.sndUna):
		e.ackNewData(ack)
	case ack != e.sndUna || !e.sndMax.gt(e.sndUna):
	case newSACK:
		e.dupAck() // RFC 6675's definition: it reports new data held above SND.UNA
	case len(seg.data) == 0 && seg.flags&(flagSYN|flagFIN) == 0 && wnd == e.sndWnd && wnd > 0:
		e.dupAck() // RFC 5681 section 2's definition of a duplicate
	}
	// Update the send window from the newest segment (RFC 9293 section 3.10.7.4).
	if ack.ge(e.sndUna) && (e.sndWl1.lt(seg.seq) || (e.sndWl1 == seg.seq && e.sndWl2.le(ack))) {
		if e.sndWnd == 0 && wnd > 0 && e.timerKind == timerPersist {
			e.stopTimer()
			e.sndNxt = seqMax(e.sndNxt, e.sndUna)
		}
		e.sndWnd, e.sndWl1, e.sndWl2 = wnd, seg.seq, ack
		e.maxSndWnd = max(e.maxSndWnd, wnd)
	}
	if e.shutWr && !e.finAcked && ack == e.finSeq+1 {
		e.finAcked = true
		switch e.state {
		case StateFinWait1:
			e.setState(StateFinWait2)
			if e.orphan {
				e.armTimer(timerFinWait2, e.p.opts.FinWait2Timeout)
			}
		case StateClosing:
			e.enterTimeWait()
		case StateLastAck:
			e.closeLocked()
			return false
		}
	}
	return true
}

// ackNewData handles an ACK that moves SND.UNA forward.
func (e *Endpoint) ackNewData(ack seqnum) {
	acked := int(ack - e.sndUna)
	data := acked
	if e.shutWr && ack == e.finSeq+1 {
		data-- // the FIN takes a sequence number but no buffer space
	}
	e.snd.discard(min(data, e.snd.len()))
	if e.snd.len() == 0 {
		e.snd.rewind()
	}
	e.prevUna, e.sndUna = e.sndUna, ack
	e.sndNxt = seqMax(e.sndNxt, ack)
	e.sb.trimBelow(ack)
	now := e.p.clk.Now()
	if e.rttTiming && ack.gt(e.rttSeq) {
		e.rttTiming = false
		e.rttSample(now.Sub(e.rttStart))
	}
	e.retries, e.backoff = 0, 0 // new data got through: the path works
	e.congestionOnAck(ack, acked)
	e.tlpSent = false
	if e.sndUna == e.sndMax {
		e.stopTimer()
	} else if e.timerKind == timerRTO || e.timerKind == timerTLP || e.timerKind == timerRACK {
		e.armLossTimer() // restart (RFC 6298 section 5.3); cheap when the deadline only moves later
	}
	if f := e.snd.free(); f > 0 && (f >= e.snd.room()/4 || f == acked) {
		e.notify(waiter.EventOut)
	}
}

// congestionOnAck grows the congestion window for newly acknowledged data
// (RFC 5681 section 3.1, with RFC 3465's byte counting, L = 2*SMSS) and
// runs NewReno's partial and full ACK rules (RFC 6582 section 3.2).
func (e *Endpoint) congestionOnAck(ack seqnum, acked int) {
	mss := e.sndMSS
	if e.inRecovery {
		if ack.gt(e.recover) {
			// Full acknowledgement: leave fast recovery.
			flight := int(e.sndMax - e.sndUna)
			e.cwnd = min(e.ssthresh, max(flight, mss)+mss)
			e.inRecovery, e.rtoRecovery = false, false
			e.dupAcks = 0
			return
		}
		// Partial acknowledgement: the next hole is lost too.
		e.p.stats.partialAcks.Add(1)
		if e.sackOK {
			if e.rtoRecovery {
				e.cwnd += min(acked, 2*mss) // slow start from the loss window
			}
			e.sackSend()
			return
		}
		e.retransmitFirst()
		e.cwnd -= acked
		if acked >= mss {
			e.cwnd += mss
		}
		e.cwnd = max(e.cwnd, mss)
		return
	}
	e.dupAcks = 0
	if e.cwnd < e.ssthresh {
		e.cwnd += min(acked, 2*mss)
	} else {
		e.cwndAcc += acked
		if e.cwndAcc >= e.cwnd {
			e.cwndAcc -= e.cwnd
			e.cwnd += mss
		}
	}
	e.cwnd = min(e.cwnd, 1<<30)
}

// dupAck counts a duplicate ACK: the third starts fast retransmit and
// NewReno fast recovery; later ones inflate the window.
func (e *Endpoint) dupAck() {
	e.dupAcks++
	mss := e.sndMSS
	if e.inRecovery {
		if e.sackOK {
			e.sackSend()
		} else {
			e.cwnd += mss
		}
		return
	}
	// RFC 6582 section 3.2 step 2: only when the ACK covers more than
	// recover, so one loss event causes one window reduction; or, by the
	// ACK heuristic of section 4.2, when ACKs were advancing in small
	// steps just before, which means these duplicates report a new loss
	// (typically a lost retransmission after a timeout) rather than
	// segments the timeout resent needlessly.
	// With SACK, enough data reported above SND.UNA also means a loss
	// (RFC 6675 section 5's IsLost).
	// After a tail loss probe, a SACK of the last segment sent means that
	// everything unSACKed before it is lost (RFC 8985 section 7.4).
	thresh := e.dupThresh()
	probeAnswered := e.tlpSent && e.sackOK && !e.sb.empty() && e.sb.high() == e.sndMax
	if e.dupAcks != thresh && !probeAnswered &&
		!(e.sackOK && e.dupAcks < thresh && e.sb.covered(e.sndUna, e.sndMax) >= thresh*mss) {
		return // output's limited transmit may send new data meanwhile
	}
	if !e.sndUna.gt(e.recover) && !(e.cwnd > mss && int(e.sndUna-e.prevUna) <= 4*mss) {
		return
	}
	flight := int(e.sndMax - e.sndUna)
	e.ssthresh = max(flight/2, 2*mss)
	e.recover = e.sndMax - 1
	e.inRecovery = true
	if e.timerKind == timerTLP {
		e.armTimer(timerRTO, e.curRTO()) // no probes during recovery
	}
	e.p.stats.fastRetrans.Add(1)
	if e.sackOK {
		e.enterSACKRecovery()
		return
	}
	e.retransmitFirst()
	e.cwnd = e.ssthresh + 3*mss
}

// retransmitFirst resends the segment at SND.UNA: an MSS at most, and
// nothing past SND.MAX (bytes never sent go out as new data, which moves
// SND.NXT; sent here they would be acknowledged beyond what the sender
// counts as sent, and the connection would stall on an "ACK of unsent
// data").
func (e *Endpoint) retransmitFirst() {
	n := min(e.snd.len(), e.segMSS(), int(e.sndMax-e.sndUna))
	fin := e.shutWr && !e.finAcked && e.sndUna.add(n) == e.finSeq && e.sndMax.gt(e.finSeq)
	if n == 0 && !fin {
		return
	}
	e.sendData(e.sndUna, n, fin)
	if e.timerKind == timerRTO {
		e.timerAt = e.p.clk.Now().Add(e.curRTO())
	}
}

// rttSample folds a round-trip measurement into the RTO (RFC 6298 section 2).
func (e *Endpoint) rttSample(r time.Duration) {
	if r <= 0 {
		r = time.Microsecond
	}
	if e.srtt == 0 {
		e.srtt, e.rttvar = r, r/2
	} else {
		d := e.srtt - r
		if d < 0 {
			d = -d
		}
		e.rttvar = (3*e.rttvar + d) / 4
		e.srtt = (7*e.srtt + r) / 8
	}
	e.rto = min(max(e.srtt+max(time.Millisecond, 4*e.rttvar), e.p.opts.MinRTO), e.p.opts.MaxRTO)
}

// curRTO is the retransmission timeout with the exponential backoff of
// RFC 6298 section 5.5 applied. The backoff is cleared when new data is
// acknowledged, as BSD and Linux do, rather than only on a new RTT sample.
func (e *Endpoint) curRTO() time.Duration {
	d := e.rto << min(e.backoff, 16)
	return min(d, e.p.opts.MaxRTO)
}

// dupThresh is how many duplicate ACKs signal a loss: three (RFC 5681),
// or fewer when so little is in flight, with nothing new to send, that
// three could never arrive (early retransmit, RFC 5827).
func (e *Endpoint) dupThresh() int {
	mss := e.sndMSS
	flight := int(e.sndMax - e.sndUna)
	oseg := (flight + mss - 1) / mss
	unsent := e.snd.len() - int(e.sndNxt-e.sndUna)
	if oseg < 4 && (unsent <= 0 || e.sndWnd-flight < mss) {
		return max(oseg-1, 1)
	}
	return 3
}

// limitedTransmit is the extra window RFC 3042 grants for the first two
// duplicate ACKs: each may release one new segment, keeping the ACK clock
// going so that a small window can still reach three duplicates.
func (e *Endpoint) limitedTransmit() int {
	if e.inRecovery || e.dupAcks == 0 || e.dupAcks > 2 {
		return 0
	}
	return e.dupAcks * e.sndMSS
}
