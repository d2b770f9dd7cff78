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

// Connect opens a connection to remote (an active open). A blocking call
// returns when the handshake completes or fails (ECONNREFUSED, ETIMEDOUT,
// ENETUNREACH); if ctx ends first the attempt is abandoned and Connect
// returns EINTR (cancelled) or ETIMEDOUT (deadline). A non-blocking one
// returns EINPROGRESS; EventOut then signals completion and Error reports
// how it went.
func (e *Endpoint) Connect(ctx context.Context, remote tcpip.FullAddr) error {
	e.mu.Lock()
	switch {
	case e.state == StateSynSent || e.state == StateSynReceived:
		e.mu.Unlock()
		return syscall.EALREADY
	case e.state != StateClosed || e.connected:
		e.mu.Unlock()
		return syscall.EISCONN
	case remote.Port == 0:
		e.mu.Unlock()
		return syscall.ECONNREFUSED
	}
	if remote.Addr.IsUnspecified() {
		remote.Addr = tcpip.LoopbackAddr // as Linux: 0.0.0.0 means this host
	}
	p := e.p
	r, err := p.net.Route(e.id.local.Addr, remote.Addr)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	if err := p.connectRegister(e, r.Src, remote); err != nil {
		e.mu.Unlock()
		return err
	}
	e.route = r
	e.initConn()
	e.state = StateSynSent
	p.stats.activeOpens.Add(1)
	e.sendSyn()
	if e.nonblock {
		e.unlock()
		return syscall.EINPROGRESS
	}
	for e.state == StateSynSent || e.state == StateSynReceived {
		if err := e.sleep(ctx, writeEvents); err != nil {
			if err == syscall.EAGAIN {
				err = syscall.ETIMEDOUT
			}
			e.abort(nil)
			e.unlock()
			return err
		}
	}
	err = e.takeErr()
	if err == nil && !e.connected {
		err = syscall.ECONNREFUSED
	}
	e.unlock()
	return err
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
// close, a pending error such as ECONNRESET, or EINTR/EAGAIN when ctx
// ends. A non-blocking Write queues what fits and returns that count with
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
			return n, err
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
	case StateClosed, StateListen:
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
