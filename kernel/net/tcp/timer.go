package tcp

import (
	"syscall"
	"time"

	"scone/kernel/net/waiter"
)

// timerKind says what the endpoint's one main timer is doing. The uses
// never overlap: retransmission while data is in flight, persist while
// data waits on a zero window with nothing in flight, and the closing
// waits once all our data is acknowledged.
type timerKind int

const (
	timerNone timerKind = iota
	timerRTO
	timerTLP  // tail loss probe, standing in front of the RTO
	timerRACK // check on a retransmission in recovery, in front of the RTO
	timerPersist
	timerTimeWait
	timerFinWait2
)

// armTimer makes the main timer fire for kind after d. Moving a deadline
// later does not touch the underlying timer: when it fires early it
// re-arms itself for the rest, so a busy connection that restarts its RTO
// on every ACK costs no timer operations.
func (e *Endpoint) armTimer(kind timerKind, d time.Duration) {
	at := e.p.clk.Now().Add(d)
	e.timerKind, e.timerAt = kind, at
	if e.timer == nil {
		e.timerSet = at
		e.timer = e.p.clk.AfterFunc(d, e.onTimer)
		return
	}
	if e.timerSet.IsZero() || at.Before(e.timerSet) {
		e.timerSet = at
		e.timer.Reset(d)
	}
}

// stopTimer cancels the main timer (lazily: a later firing does nothing).
func (e *Endpoint) stopTimer() {
	e.timerKind, e.timerAt = timerNone, time.Time{}
}

func (e *Endpoint) onTimer() {
	e.mu.Lock()
	defer e.unlock()
	if e.timerAt.IsZero() {
		e.timerSet = time.Time{}
		return
	}
	now := e.p.clk.Now()
	if now.Before(e.timerAt) {
		e.timerSet = e.timerAt
		e.timer.Reset(e.timerAt.Sub(now))
		return
	}
	e.timerSet = time.Time{}
	kind := e.timerKind
	e.stopTimer()
	switch kind {
	case timerRTO:
		e.retransmitTimeout()
	case timerTLP:
		e.tailLossProbe()
	case timerRACK:
		e.rackTimeout()
	case timerPersist:
		e.persist()
	case timerTimeWait, timerFinWait2:
		e.closeLocked()
	}
}

// retransmitTimeout is RFC 6298 section 5.4-5.7 plus RFC 5681's loss
// window: back off, collapse the congestion window, and go back to
// SND.UNA. After too many attempts the connection fails with ETIMEDOUT
// (or the ICMP error that explains the silence).
func (e *Endpoint) retransmitTimeout() {
	p := e.p
	limit := e.retryLimit()
	if e.state == StateSynSent || e.state == StateSynReceived {
		limit = p.opts.SynRetries
	}
	// The peer shut its window on data in flight: as Linux, the
	// retransmissions are window probes and do not count while the peer
	// answers them; it is given up only after MaxRTO of silence.
	zeroWnd := e.state.synchronized() && e.sndWnd == 0 && !e.orphan
	if zeroWnd && p.clk.Now().Sub(e.lastRecv) > p.opts.MaxRTO || !zeroWnd && e.retries >= limit {
		if e.state == StateSynSent || e.state == StateSynReceived {
			p.stats.attemptFails.Add(1)
		}
		if e.state == StateSynReceived && e.parent != nil {
			p.stats.connTimeouts.Add(1)
			e.closeLocked() // half-open passive connection: just forget it
			return
		}
		e.giveUp()
		return
	}
	if !zeroWnd {
		e.retries++
	}
	p.stats.timeouts.Add(1)
	e.backoff++
	e.rttTiming = false
	if e.state == StateSynSent || e.state == StateSynReceived {
		e.sendSyn()
		e.armTimer(timerRTO, e.curRTO())
		return
	}
	mss := e.sndMSS
	// One reduction per loss episode: a timeout during fast recovery
	// keeps the ssthresh that recovery set, as Linux's tcp_enter_loss.
	fastRecovery := e.inRecovery && !e.rtoRecovery && e.sndUna.le(e.recover)
	first := e.retries == 1 || zeroWnd && e.backoff == 1
	if first && !fastRecovery {
		e.ssthresh = max(int(e.sndMax-e.sndUna)/2, 2*mss)
	}
	e.cwnd, e.cwndAcc = mss, 0
	e.recover = e.sndMax - 1 // RFC 6582 section 4
	e.dupAcks = 0
	if e.sackOK && !e.sb.empty() && e.retries == 1 {
		// Resend only what the peer lacks. A second timeout in a row
		// distrusts the scoreboard (the peer may have reneged) and goes
		// back to SND.UNA.
		e.inRecovery, e.rtoRecovery = true, true
		e.rtoHigh, e.rtxHigh = e.sndMax, e.sndUna
		e.sackSend()
	} else {
		e.sb.reset()
		e.inRecovery, e.rtoRecovery = false, false
		e.sndNxt = e.sndUna
		e.output()
		if e.sndWnd == 0 {
			// The peer shrank its window to zero under data in flight:
			// the retransmission goes anyway and serves as the window
			// probe, as in Linux.
			e.retransmitFirst()
		}
	}
	e.armTimer(timerRTO, e.curRTO())
}

// giveUp fails a connection whose peer stopped answering: ETIMEDOUT, or
// the ICMP error that likely explains the silence.
func (e *Endpoint) giveUp() {
	e.p.stats.connTimeouts.Add(1)
	err := syscall.ETIMEDOUT
	if e.softErr != 0 {
		err = e.softErr
	}
	if e.state.synchronized() {
		e.sendReset() // in case the peer is alive but cannot reach us
	}
	e.abort(err)
}

// retryLimit is how many retransmissions, or unanswered window probes, a
// synchronized connection makes before it gives up: MaxRetries (Linux's
// tcp_retries2), or OrphanRetries once the application has closed it.
func (e *Endpoint) retryLimit() int {
	if e.orphan {
		return e.p.opts.OrphanRetries
	}
	return e.p.opts.MaxRetries
}

// persist probes a zero window with one byte beyond it, or pushes data
// into a small window that silly-window avoidance has been holding back
// (RFC 9293 sections 3.8.6.1 and 3.8.6.2.1). As in Linux, probes the peer
// does not answer count toward retryLimit (every ACK clears the count,
// so a live peer is probed for as long as it keeps its window shut, as
// RFC 1122 section 4.2.2.17 asks); and an orphan gives up once its probes
// have backed off to MaxRTO, answered or not, so that no peer can pin a
// closed socket's memory by advertising a zero window for ever.
func (e *Endpoint) persist() {
	if !e.canSend() {
		return
	}
	off := int(e.sndNxt - e.sndUna)
	unsent := e.snd.len() - off
	if unsent <= 0 {
		return
	}
	if e.sndWnd == 0 {
		limit := e.retryLimit()
		backedOff := e.rto<<min(e.backoff, 16) >= e.p.opts.MaxRTO
		if e.probes >= limit || (e.orphan && backedOff && e.backoff >= limit) {
			e.giveUp()
			return
		}
		e.probes++
		e.p.stats.zeroWndProbes.Add(1)
		e.sendData(e.sndNxt, 1, false)
		e.sndMax = seqMax(e.sndMax, e.sndNxt+1)
	} else {
		n := min(unsent, e.sndMSS, max(e.sndWnd-off, 1))
		e.sendData(e.sndNxt, n, false)
		e.sndNxt = e.sndNxt.add(n)
		e.sndMax = seqMax(e.sndMax, e.sndNxt)
	}
	e.backoff++
	e.armTimer(timerPersist, e.curRTO())
	e.armSendTimers()
}

func (e *Endpoint) onDelack() {
	e.mu.Lock()
	defer e.unlock()
	if !e.delackSet {
		return
	}
	e.delackSet = false
	if e.state.synchronized() && e.rcvNxt != e.lastAck {
		e.p.stats.delayedACKs.Add(1)
		e.sendAck()
	}
}

// setState changes state, keeping CurrEstab.
func (e *Endpoint) setState(s State) {
	was := e.state == StateEstablished || e.state == StateCloseWait
	is := s == StateEstablished || s == StateCloseWait
	if was && !is {
		e.p.stats.currEstab.Add(^uint64(0))
	} else if is && !was {
		e.p.stats.currEstab.Add(1)
	}
	e.state = s
}

// enterTimeWait starts (or restarts) the 2*MSL wait (RFC 9293 section 3.6).
// TIME-WAIT holds no buffers: everything we sent is acknowledged, and an
// orphan has no reader. Past Options.MaxTimeWait connections in TIME-WAIT
// the wait is skipped, as Linux does when its bucket table is full, so a
// server that closes first cannot be made to hold unbounded state.
func (e *Endpoint) enterTimeWait() {
	p := e.p
	if e.state != StateTimeWait {
		if p.timeWait.Add(1) > int64(p.opts.MaxTimeWait) {
			p.timeWait.Add(-1)
			p.stats.timeWaitOverflows.Add(1)
			e.closeLocked()
			return
		}
		e.setState(StateTimeWait)
		e.snd.drop()
		if e.orphan {
			e.rcv.drop()
		}
	}
	e.armTimer(timerTimeWait, 2*p.opts.MSL)
}

// closeLocked moves the connection to CLOSED and out of the tables.
func (e *Endpoint) closeLocked() {
	if e.state == StateClosed {
		return
	}
	if e.state == StateTimeWait {
		e.p.timeWait.Add(-1)
	}
	e.setState(StateClosed)
	e.stopTimer()
	if e.timer != nil {
		e.timer.Stop()
	}
	if e.delack != nil {
		e.delack.Stop()
	}
	if e.ka != nil {
		e.ka.Stop()
	}
	e.delackSet = false
	e.forgetChild()
	e.p.unregister(e)
	e.ooo.reset()
	e.snd.drop() // nothing more will be sent
	if e.orphan {
		e.rcv.drop()
	}
	e.notify(waiter.EventIn | waiter.EventOut | waiter.EventHup)
}

// abort closes the connection and records err (if not nil) for the
// application.
func (e *Endpoint) abort(err error) {
	if err != nil {
		e.err = err
		e.notify(waiter.EventErr)
	}
	e.closeLocked()
}
