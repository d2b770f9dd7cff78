package tcp

import (
	"context"
	"io"
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
	e.initConn()
	e.state = StateSynSent
	e.connecting = true
	p.stats.activeOpens.Add(1)
	e.sendSyn()
	return nil
}

// Read copies received bytes into b. It returns io.EOF once the peer has
// closed its side and every byte has been read, a pending error
// (ECONNRESET, ETIMEDOUT, ...) once, EAGAIN when non-blocking and nothing
// is ready, and EINTR or EAGAIN when ctx is cancelled or its deadline passes.
func (e *Endpoint) Read(ctx context.Context, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil // as recv(2) with a zero length: never blocks
	}
	e.mu.Lock()
	for {
		if e.rcv.len() > 0 {
			n := e.rcv.read(b)
			if e.ooo.empty() {
				e.rcv.rewind()
			}
			if e.urgSet && e.rcvNxt.add(-e.rcv.len()).ge(e.rcvUp) {
				e.urgSet = false // read past the urgent mark
			}
			e.windowUpdate()
			e.unlock()
			return n, nil
		}
		if e.err != nil {
			err := e.takeErr()
			e.unlock()
			return 0, err
		}
		if e.finRcvd || e.shutRd || (e.state == StateClosed && e.connected) {
			e.mu.Unlock()
			return 0, io.EOF
		}
		if e.state == StateClosed || e.state == StateListen {
			e.mu.Unlock()
			return 0, syscall.ENOTCONN
		}
		if e.nonblock {
			e.mu.Unlock()
			return 0, syscall.EAGAIN
		}
		if err := e.sleep(ctx, readEvents); err != nil {
			e.unlock()
			return 0, err
		}
	}
}

// Write queues b for sending. A blocking Write returns when all of b is
// queued, or with the count so far and an error: EPIPE after shutdown or
// close, or a pending error such as ECONNRESET. When ctx ends it returns
// the count so far with no error, or EINTR/EAGAIN if nothing was queued. A non-blocking Write queues what fits and returns that count with
// a nil error, or EAGAIN when nothing fits.
func (e *Endpoint) Write(ctx context.Context, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	e.mu.Lock()
	n := 0
	for {
		if e.err != nil {
			err := e.takeErr()
			e.unlock()
			return n, err
		}
		if e.shutWr {
			e.unlock()
			return n, syscall.EPIPE
		}
		switch e.state {
		case StateEstablished, StateCloseWait:
			if k := e.snd.append(b[n:]); k > 0 {
				n += k
				e.output()
			}
			if n == len(b) {
				e.unlock()
				return n, nil
			}
		case StateSynSent, StateSynReceived:
		default:
			e.unlock()
			if !e.connected {
				return n, syscall.ENOTCONN
			}
			return n, syscall.EPIPE
		}
		if e.nonblock {
			e.unlock()
			if n > 0 {
				return n, nil
			}
			return 0, syscall.EAGAIN
		}
		if err := e.sleep(ctx, writeEvents); err != nil {
			e.unlock()
			if n > 0 {
				return n, nil // as Linux: a partial send reports its count
			}
			return 0, err
		}
	}
}

// Shutdown closes one or both directions (ShutRd, ShutWr, ShutRdWr). Shutting
// the write side sends a FIN once queued data has gone; shutting the read
// side discards unread and future data.
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
		e.rcv.discard(e.rcv.len())
		e.notify(waiter.EventIn)
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
	switch e.state {
	case StateListen:
		e.closeListener()
		return nil
	case StateClosed:
		if e.bound && !e.connected {
			e.p.unbind(e)
			e.bound = false
		}
		return nil
	case StateSynSent:
		e.closeLocked()
		return nil
	}
	e.orphan = true
	if e.rcv.len() > 0 {
		e.sendReset()
		e.closeLocked()
		return nil
	}
	e.rcv = ring{limit: e.rcv.limit} // nothing will be read: data arriving now resets
	e.shutdownWrite()
	if e.state == StateFinWait2 {
		e.armTimer(timerFinWait2, e.p.opts.FinWait2Timeout)
	}
	return nil
}
