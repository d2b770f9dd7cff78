package tcp

import "time"

// Tail loss probe (RFC 8985 section 7). When the last segments of a flight
// are lost no duplicate ACKs come back, and without help only the
// retransmission timer, at least MinRTO, would notice. Instead, about two
// round trips after the last ACK a probe goes out: one new segment if the
// window allows, else the last segment again. Its acknowledgement carries
// the SACK information that lets fast recovery repair the tail. One probe
// is sent per flight; the retransmission timer still stands behind it.

// tlpEligible reports whether the loss timer should be a probe timer.
func (e *Endpoint) tlpEligible() bool {
	return e.sackOK && e.srtt > 0 && !e.inRecovery && !e.tlpSent && e.canSend()
}

// pto is the probe timeout: two smoothed round trips, plus the peer's
// delayed-ACK allowance when only one segment is in flight (its ACK may be
// held back), at least 10 ms, and never later than the RTO.
func (e *Endpoint) pto() time.Duration {
	d := 2 * e.srtt
	if int(e.sndMax-e.sndUna) <= e.sndMSS {
		d += e.p.opts.DelayedACK
	}
	return min(max(d, 10*time.Millisecond), e.curRTO())
}

// armLossTimer (re)starts the timer that guards data in flight: a probe
// timer when a tail loss probe is allowed, else the retransmission timer.
func (e *Endpoint) armLossTimer() {
	if e.tlpEligible() {
		e.armTimer(timerTLP, e.pto())
	} else {
		e.armTimer(timerRTO, e.curRTO())
	}
}

// tailLossProbe sends the probe and leaves the retransmission timer armed.
func (e *Endpoint) tailLossProbe() {
	e.tlpSent = true
	defer e.armTimer(timerRTO, e.curRTO())
	if !e.canSend() {
		return
	}
	e.p.stats.tailLossProbes.Add(1)
	mss := e.sndMSS
	off := int(e.sndNxt - e.sndUna)
	unsent := e.snd.len() - off
	if room := e.sndWnd - off; unsent > 0 && room >= min(unsent, mss) {
		n := min(unsent, mss, room)
		fin := e.shutWr && !e.finAcked && e.sndNxt.add(n) == e.finSeq
		e.sendData(e.sndNxt, n, fin)
		e.sndNxt = e.sndNxt.add(n)
		if fin {
			e.sndNxt++
		}
		e.sndMax = seqMax(e.sndMax, e.sndNxt)
		return
	}
	// Nothing new may go: resend the last segment sent (with the FIN if
	// that was last).
	fin := e.shutWr && !e.finAcked && e.sndMax == e.finSeq+1
	dataEnd := e.sndMax
	if fin {
		dataEnd = e.finSeq
	}
	start := dataEnd.add(-mss)
	if start.lt(e.sndUna) {
		start = e.sndUna
	}
	if n := int(int32(dataEnd - start)); n > 0 || fin {
		e.sendData(start, max(n, 0), fin)
	}
}
