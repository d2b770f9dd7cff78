package tcp

import (
	"syscall"
	"time"
)

// Keep-alives (RFC 9293 section 3.8.4, RFC 1122 4.2.3.6), off by default
// as the RFCs require. After Idle without receiving anything, an idle
// connection sends a probe, <SEQ=SND.NXT-1><ACK=RCV.NXT>, which a live
// peer must answer with an ACK; Count unanswered probes Interval apart
// fail the connection with ETIMEDOUT. A connection with data in flight
// does not probe: its retransmissions already watch the peer.

// Linux's defaults.
const (
	defaultKeepIdle     = 2 * time.Hour
	defaultKeepInterval = 75 * time.Second
	defaultKeepCount    = 9
)

// SetKeepAlive turns keep-alive probes on or off (SO_KEEPALIVE).
func (e *Endpoint) SetKeepAlive(on bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if on && !e.kaOn {
		e.lastRecv = e.p.clk.Now() // count idleness from now
	}
	e.kaOn = on
	if on {
		e.armKeepAlive()
	}
}

// SetKeepAliveParams sets the idle time before the first probe
// (TCP_KEEPIDLE), the interval between probes (TCP_KEEPINTVL) and how many
// may go unanswered (TCP_KEEPCNT). Zero leaves a value unchanged.
func (e *Endpoint) SetKeepAliveParams(idle, interval time.Duration, count int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if idle > 0 {
		e.kaIdle = idle
	}
	if interval > 0 {
		e.kaInterval = interval
	}
	if count > 0 {
		e.kaCount = count
	}
	if e.kaOn {
		e.armKeepAlive()
	}
}

// KeepAlive reports whether keep-alive probes are on (SO_KEEPALIVE).
func (e *Endpoint) KeepAlive() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.kaOn
}

// KeepAliveParams returns the keep-alive idle time, interval and count in
// effect, defaults included (TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT).
func (e *Endpoint) KeepAliveParams() (idle, interval time.Duration, count int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	interval, count = e.kaInterval, e.kaCount
	if interval <= 0 {
		interval = defaultKeepInterval
	}
	if count <= 0 {
		count = defaultKeepCount
	}
	return e.keepIdle(), interval, count
}

func (e *Endpoint) keepIdle() time.Duration {
	if e.kaIdle > 0 {
		return e.kaIdle
	}
	return defaultKeepIdle
}

// armKeepAlive starts the keep-alive timer from the last time the peer
// was heard.
func (e *Endpoint) armKeepAlive() {
	if !e.state.synchronized() {
		return // establish calls again
	}
	d := e.keepIdle() - e.p.clk.Now().Sub(e.lastRecv)
	if e.ka == nil {
		e.ka = e.p.clk.AfterFunc(d, e.onKeepAlive)
	} else {
		e.ka.Reset(d)
	}
}

func (e *Endpoint) onKeepAlive() {
	e.mu.Lock()
	defer e.unlock()
	if !e.kaOn || (e.state != StateEstablished && e.state != StateCloseWait) {
		return
	}
	now := e.p.clk.Now()
	interval, count := e.kaInterval, e.kaCount
	if interval <= 0 {
		interval = defaultKeepInterval
	}
	if count <= 0 {
		count = defaultKeepCount
	}
	// Heard from recently, or busy retransmitting: wait some more.
	if idle := now.Sub(e.lastRecv); e.kaProbes == 0 && idle < e.keepIdle() || e.sndMax != e.sndUna {
		e.kaProbes = 0
		e.ka.Reset(max(e.keepIdle()-idle, interval))
		return
	}
	if e.kaProbes >= count {
		e.p.stats.connTimeouts.Add(1)
		e.sendReset()
		e.abort(syscall.ETIMEDOUT)
		return
	}
	e.kaProbes++
	e.p.stats.keepAliveProbes.Add(1)
	e.sendRaw(e.sndNxt-1, e.rcvNxt, flagACK, nil)
	e.ka.Reset(interval)
}
