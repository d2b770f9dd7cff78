package tcp

import (
	"context"
	"syscall"

	"scone/kernel/net/tcpip"
	"scone/kernel/net/waiter"
)

// Bind gives the endpoint a local address. Port 0 picks an ephemeral port;
// the unspecified address means every local address.
func (e *Endpoint) Bind(addr tcpip.FullAddr) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.bound || e.state != StateClosed {
		return syscall.EINVAL
	}
	a, err := e.p.bind(e, addr)
	if err != nil {
		return err
	}
	e.id.local, e.bound = a, true
	if addr.Port != 0 {
		e.userBind = addr // Linux's SOCK_BINDPORT_LOCK
	}
	return nil
}

// Connect opens a connection to remote (an active open), with Linux's
// semantics. A blocking call returns nil when the handshake completes, or
// how it failed (ECONNREFUSED, ETIMEDOUT, ENETUNREACH, ...). The attempt
// outlives the call: if ctx is cancelled Connect returns EINTR, and if its
// deadline passes (SO_SNDTIMEO) EINPROGRESS, and the handshake goes on;
// a non-blocking call returns EINPROGRESS at once. EventOut then signals
// completion and Error reports how it went. Calling Connect again while
// the attempt is in progress gives EALREADY (or waits, if blocking); the
// first call after it completes gives its result (nil or the error), and
// later ones EISCONN.
func (e *Endpoint) Connect(ctx context.Context, remote tcpip.FullAddr) error {
	e.mu.Lock()
	var err error // what to report if the handshake is still going on
	switch {
	case e.connecting:
		err = syscall.EALREADY
	case e.state != StateClosed || e.connected:
		e.mu.Unlock()
		return syscall.EISCONN
	case remote.Port == 0:
		e.mu.Unlock()
		return syscall.ECONNREFUSED
	default:
		if err := e.startConnect(remote); err != nil {
			e.mu.Unlock()
			return err
		}
		err = syscall.EINPROGRESS
	}
	for e.state == StateSynSent || e.state == StateSynReceived {
		if e.nonblock {
			e.unlock()
			return err
		}
		if werr := e.sleep(ctx, writeEvents); werr != nil {
			e.unlock()
			if werr == syscall.EAGAIN {
				return err // SO_SNDTIMEO: still connecting
			}
			return werr
		}
	}
	e.connecting = false
	if e.state == StateClosed {
		err = e.takeErr()
		if err == nil {
			err = syscall.ECONNABORTED
		}
		e.unlock()
		return err
	}
	e.unlock()
	return nil
}

// startConnect registers the four-tuple and sends the SYN.
func (e *Endpoint) startConnect(remote tcpip.FullAddr) error {
	if remote.Addr.IsUnspecified() {
		remote.Addr = tcpip.LoopbackAddr // as Linux: 0.0.0.0 means this host
	}
	p := e.p
	r, err := p.net.Route(e.id.local.Addr, remote.Addr)
	if err != nil {
		return err
	}
	if err := p.connectRegister(e, r.Src, remote); err != nil {
		return err
	}
	e.route = r
	e.route.TTL = e.ttl
	e.initConn()
	e.state = StateSynSent
	e.connecting = true
	p.stats.activeOpens.Add(1)
	e.sendSyn()
	return nil
}

// Shutdown closes one or both directions (ShutRd, ShutWr, ShutRdWr). Shutting
// the write side sends a FIN once queued data has gone. Shutting the read
// side sends nothing, as Linux's tcp_shutdown: queued data and data that
// arrives later are still acknowledged and readable, and a read finds
// the end of the stream whenever the queue is empty; once both sides are
// shut, new data resets the connection (receiveData).
func (e *Endpoint) Shutdown(how int) error {
	e.mu.Lock()
	defer e.unlock()
	if how != ShutRd && how != ShutWr && how != ShutRdWr {
		return syscall.EINVAL
	}
	switch e.state {
	case StateListen:
		if how == ShutWr {
			return nil
		}
		// As Linux: shutting a listener's read side stops it listening
		// and wakes its accepters, which then fail with EINVAL.
		e.closeListener()
		return nil
	case StateClosed:
		return syscall.ENOTCONN
	}
	if how != ShutWr {
		e.shutRd = true
		e.notify(waiter.EventIn | waiter.EventRdHup)
	}
	if how != ShutRd {
		e.shutdownWrite()
	}
	return nil
}

// shutdownWrite queues the FIN and makes the matching state change
// (RFC 9293 section 3.10.4).
func (e *Endpoint) shutdownWrite() {
	if e.shutWr {
		return
	}
	switch e.state {
	case StateSynSent:
		e.closeLocked()
		return
	case StateSynReceived:
		// The FIN waits for the handshake; establish then enters FIN-WAIT-1.
	case StateEstablished:
		e.setState(StateFinWait1)
	case StateCloseWait:
		e.setState(StateLastAck)
	default:
		return
	}
	e.shutWr = true
	e.finSeq = e.sndUna.add(e.snd.len())
	if e.sndUna == e.iss {
		e.finSeq++ // the SYN is still unacknowledged
	}
	e.output()
	e.notify(waiter.EventOut)
}

// Close releases the endpoint. A listener resets connections not yet
// accepted; a connection with unread data is reset (RFC 9293 section
// 3.10.4, as Linux does); otherwise the connection closes gracefully in the
// background and the endpoint must not be used again.
func (e *Endpoint) Close() error {
	e.mu.Lock()
	defer e.unlock()
	if e.closeIdle() {
		return nil
	}
	if e.state == StateSynSent {
		e.closeLocked()
		return nil
	}
	e.orphan = true
	if e.rcv.len() > 0 {
		e.sendReset()
		e.closeLocked()
		return nil
	}
	e.rcv.drop() // nothing will be read: data arriving now resets
	e.shutdownWrite()
	if e.state == StateFinWait2 {
		e.armTimer(timerFinWait2, e.p.opts.FinWait2Timeout)
	}
	return nil
}

// closeIdle closes a listener or a never-connected endpoint, which have no
// connection to end, and reports whether it did. e.mu is held.
func (e *Endpoint) closeIdle() bool {
	switch e.state {
	case StateListen:
		e.closeListener()
		return true
	case StateClosed:
		if e.bound && !e.connected {
			e.p.unbind(e)
			e.bound = false
		}
		e.snd.drop()
		e.rcv.drop() // unread data after a reset or the peer's close
		return true
	}
	return false
}

// Disconnect dissolves whatever the endpoint is doing and makes it a
// fresh CLOSED endpoint that may bind, listen or connect again: connect(2)
// with AF_UNSPEC, Linux's tcp_disconnect. A listener stops listening (its
// unaccepted connections are reset). A connection that is synchronized
// (or half-open, or closing with data unsent) is reset and ECONNRESET
// becomes the pending error, as it does for an attempt still in SYN-SENT;
// a closing one otherwise just goes, TIME-WAIT included. Queued data in
// both directions is dropped. As Linux, a port the application bound
// stays bound (with the address, if it named one); a port chosen by
// Connect or Listen is given back.
func (e *Endpoint) Disconnect() error {
	e.mu.Lock()
	defer e.unlock()
	if e.state == StateClosed && !e.connected {
		e.connecting = false // a failed attempt is forgotten, not reported
		return nil           // nothing else to dissolve: a bound port stays bound
	}
	switch e.state {
	case StateListen:
		e.closeListener()
	case StateSynSent:
		e.err = syscall.ECONNRESET
	case StateEstablished, StateCloseWait, StateFinWait1, StateFinWait2, StateSynReceived:
		e.sendReset()
		e.err = syscall.ECONNRESET
	case StateClosing, StateLastAck:
		if e.sndMax.le(e.finSeq) { // data or the FIN not yet sent: the peer must not take the close as clean
			e.sendReset()
			e.err = syscall.ECONNRESET
		}
	}
	if e.err != nil {
		e.notify(waiter.EventErr)
	}
	e.closeLocked()
	e.snd.drop()
	e.rcv.drop()
	e.connected, e.connecting = false, false
	e.shutRd, e.shutWr, e.finRcvd, e.urgSet = false, false, false, false
	if e.bound {
		e.p.unbind(e) // a no-op unless bound and idle
		e.bound = false
	}
	e.id = connID{}
	if e.userBind.Port != 0 {
		if a, err := e.p.bind(e, e.userBind); err == nil {
			e.id.local, e.bound = a, true
		}
	}
	return nil
}

// Abort closes the endpoint at once, resetting a connection rather than
// closing it gracefully: close(2) with SO_LINGER on and a zero timeout
// (Linux's tcp_disconnect). Queued data in both directions is dropped.
func (e *Endpoint) Abort() error {
	e.mu.Lock()
	defer e.unlock()
	if e.closeIdle() {
		return nil
	}
	switch e.state {
	case StateSynSent, StateTimeWait:
	default:
		e.sendReset()
	}
	e.orphan = true
	e.closeLocked()
	return nil
}
