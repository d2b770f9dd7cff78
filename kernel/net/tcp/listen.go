package tcp

import (
	"context"
	"sync"
	"syscall"

	"scone/kernel/net/tcpip"
	"scone/kernel/net/waiter"
)

// listenState is a listener's two bounded queues. A SYN creates a small
// half-open endpoint (no buffers are allocated until data flows) counted
// against MaxSynBacklog; when the handshake completes the endpoint moves to
// the accept queue, bounded by the listen backlog. A full SYN queue drops
// new SYNs and a full accept queue drops the completing ACK (the peer
// retransmits it), so a SYN flood costs at most MaxSynBacklog small
// endpoints per listener.
//
// mu is a leaf lock: it is taken under the listener's or a child's
// endpoint lock and never the other way round.
type listenState struct {
	mu       sync.Mutex
	backlog  int
	accepted []*Endpoint            // completed connections, oldest first
	half     map[*Endpoint]struct{} // SYN-RECEIVED children
	closed   bool
}

func (l *listenState) pending() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.accepted) > 0
}

// Listen turns a bound (or, if unbound, an ephemeral-port) endpoint into a
// listener with room for backlog completed connections. Calling it again
// on a listener changes the backlog.
func (e *Endpoint) Listen(backlog int) error {
	backlog = min(max(backlog, 1), somaxconn)
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.state == StateListen:
		e.lst.mu.Lock()
		e.lst.backlog = backlog
		e.lst.mu.Unlock()
		return nil
	case e.state != StateClosed || e.connected:
		return syscall.EISCONN
	}
	p := e.p
	if !e.bound {
		a, err := p.bind(e, tcpip.FullAddr{})
		if err != nil {
			return err
		}
		e.id.local, e.bound = a, true
	}
	p.mu.Lock()
	if p.listeners[e.id.local] != nil {
		p.mu.Unlock()
		return syscall.EADDRINUSE
	}
	p.unbindLocked(e)
	p.listeners[e.id.local] = e
	p.mu.Unlock()
	e.lst = &listenState{backlog: backlog, half: make(map[*Endpoint]struct{})}
	e.state = StateListen
	return nil
}

// Accept returns the next completed connection, blocking unless the
// endpoint is non-blocking (EAGAIN) or ctx ends (EINTR or EAGAIN).
func (e *Endpoint) Accept(ctx context.Context) (*Endpoint, error) {
	e.mu.Lock()
	for {
		if e.state != StateListen {
			e.mu.Unlock()
			return nil, syscall.EINVAL
		}
		l := e.lst
		l.mu.Lock()
		if len(l.accepted) > 0 {
			c := l.accepted[0]
			copy(l.accepted, l.accepted[1:])
			l.accepted[len(l.accepted)-1] = nil
			l.accepted = l.accepted[:len(l.accepted)-1]
			l.mu.Unlock()
			e.mu.Unlock()
			return c, nil
		}
		l.mu.Unlock()
		if e.nonblock {
			e.mu.Unlock()
			return nil, syscall.EAGAIN
		}
		if err := e.sleep(ctx, readEvents); err != nil {
			e.mu.Unlock()
			return nil, err
		}
	}
}

// listenInput handles a segment that matched the listener but no
// connection (RFC 9293 section 3.10.7.2). It reports false when the caller
// should answer with a reset.
func (e *Endpoint) listenInput(id connID, seg *segment) bool {
	p := e.p
	switch {
	case seg.flags&flagRST != 0:
		return true // ignore
	case seg.flags&flagACK != 0:
		// A returning SYN cookie, or else reset <SEQ=SEG.ACK>.
		return seg.flags&flagSYN == 0 && !p.opts.DisableSynCookies && e.acceptCookie(id, seg)
	case seg.flags&flagSYN == 0:
		return true // neither: drop
	}
	l := e.lst
	l.mu.Lock()
	acceptFull := len(l.accepted) >= l.backlog
	synFull := len(l.half) >= p.opts.MaxSynBacklog
	l.mu.Unlock()
	switch {
	case acceptFull:
		p.stats.listenDrops.Add(1)
		return true
	case synFull && !p.opts.DisableSynCookies:
		e.sendCookie(id, seg)
		return true
	case synFull:
		p.stats.listenDrops.Add(1)
		return true
	}
	c := e.newChild(id)
	if c == nil {
		return true
	}
	if p.register(c) != nil {
		c.mu.Unlock()
		return true
	}
	l.mu.Lock()
	l.half[c] = struct{}{}
	l.mu.Unlock()
	p.stats.passiveOpens.Add(1)
	c.state = StateSynReceived
	c.acceptSyn(seg)
	c.sendSyn()
	c.unlock()
	return true
}

// enqueueAccepted moves a passive child from the SYN queue to the accept
// queue. It reports false, leaving the child in SYN-RECEIVED, when the
// accept queue is full, and aborts the child if the listener has closed.
func (c *Endpoint) enqueueAccepted() bool {
	parent := c.parent
	l := parent.lst
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		c.sendReset()
		c.orphan = true // never to be accepted
		c.closeLocked()
		return false
	}
	if len(l.accepted) >= l.backlog {
		l.mu.Unlock()
		c.p.stats.listenOverflows.Add(1)
		return false
	}
	delete(l.half, c)
	l.accepted = append(l.accepted, c)
	l.mu.Unlock()
	c.parent = nil
	parent.queue.Notify(waiter.EventIn)
	return true
}

// forgetChild removes a half-open child that is closing from its listener.
func (c *Endpoint) forgetChild() {
	if c.parent == nil {
		return
	}
	l := c.parent.lst
	l.mu.Lock()
	delete(l.half, c)
	l.mu.Unlock()
	c.parent = nil
}

// closeListener stops listening and resets every connection not yet
// accepted.
func (e *Endpoint) closeListener() {
	p := e.p
	p.mu.Lock()
	if p.listeners[e.id.local] == e {
		delete(p.listeners, e.id.local)
	}
	p.mu.Unlock()
	l := e.lst
	l.mu.Lock()
	l.closed = true
	children := l.accepted
	l.accepted = nil
	for c := range l.half {
		children = append(children, c)
	}
	l.mu.Unlock()
	e.state = StateClosed
	e.bound = false
	for _, c := range children {
		c.mu.Lock()
		c.orphan = true // never to be accepted
		if c.state != StateClosed {
			c.sendReset()
			c.closeLocked()
		} else {
			c.snd.drop()
			c.rcv.drop()
		}
		c.unlock()
	}
	e.notify(waiter.EventIn | waiter.EventHup)
}
