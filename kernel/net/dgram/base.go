package dgram

import (
	"sync"
	"syscall"

	"scone/kernel/net/tcpip"
	"scone/kernel/net/waiter"
)

// Base is the state and behaviour every datagram endpoint shares (UDP
// sockets, ICMP echo sockets): addresses, shutdown and close flags, the
// pending ICMP error, and the bounded receive queue. Protocols embed it and
// add binding and sending. Mu guards the fields; the methods take it.
type Base struct {
	Waiter *waiter.Queue // readiness announcements
	Drops  tcpip.Counter // datagrams dropped because the queue was full

	Mu        sync.Mutex
	Bound     bool
	Connected bool
	Local     tcpip.FullAddr
	Remote    tcpip.FullAddr
	SoftErr   syscall.Errno // an ICMP error not yet reported
	ShutRead  bool
	ShutWrite bool
	Closed    bool
	TTL       uint8 // IP_TTL for what the endpoint sends; 0 for the default
	queue     Queue
}

// NewBase returns a Base with its waiter queue.
func NewBase() Base { return Base{Waiter: new(waiter.Queue)} }

// Queue returns the readiness queue (the same as Waiter).
func (b *Base) Queue() *waiter.Queue { return b.Waiter }

// Deliver queues a datagram from from, sent to to, that arrived with TTL
// ttl. It reports false, and counts a drop, if the queue is full or the
// kernel-wide budget (Mem) has no room for it; a closed or read-shut
// endpoint takes the datagram silently.
func (b *Base) Deliver(from tcpip.FullAddr, to tcpip.Addr, ttl uint8, payload []byte) bool {
	b.Mu.Lock()
	if b.Closed || b.ShutRead {
		b.Mu.Unlock()
		return true
	}
	if b.queue.Len() == Len || !Mem.Charge(len(payload)) {
		b.Mu.Unlock()
		b.Drops.Inc()
		return false
	}
	b.queue.Push(from, to, ttl, payload) // room checked above
	b.Mu.Unlock()
	b.Waiter.Notify(waiter.EventIn)
	return true
}

// RecvFrom copies the oldest datagram into p (truncating, as recvfrom does
// without MSG_TRUNC) and returns its length and sender. With nothing queued
// it reports a pending ICMP error once, returns 0 after a read shutdown,
// and otherwise fails with EAGAIN.
func (b *Base) RecvFrom(p []byte) (int, tcpip.FullAddr, error) {
	bufs := [1][]byte{p}
	n, _, from, _, err := b.RecvMsg(bufs[:], false)
	return n, from, err
}

// RecvMsg is RecvFrom scattering into bufs, and returning the datagram's
// full size and the TTL it arrived with as well as the bytes copied; with
// peek (MSG_PEEK) the datagram stays queued.
func (b *Base) RecvMsg(bufs [][]byte, peek bool) (n, size int, from tcpip.FullAddr, ttl uint8, err error) {
	b.Mu.Lock()
	defer b.Mu.Unlock()
	if b.Closed {
		return 0, 0, tcpip.FullAddr{}, 0, syscall.EBADF
	}
	if n, size, from, ttl, ok := b.queue.Read(bufs, peek); ok {
		if !peek {
			Mem.Release(size)
		}
		return n, size, from, ttl, nil
	}
	if err := b.takeErrLocked(); err != nil {
		return 0, 0, tcpip.FullAddr{}, 0, err
	}
	if b.ShutRead {
		return 0, 0, tcpip.FullAddr{}, 0, nil
	}
	return 0, 0, tcpip.FullAddr{}, 0, syscall.EAGAIN
}

// SendDestLocked checks that a send may go ahead and returns where it
// goes: *to, or the connected peer if to is nil. A closed endpoint gives
// EBADF, one shut for writing EPIPE, a pending ICMP error that error
// (consumed, as Linux does), and no destination at all EDESTADDRREQ.
// Mu is held.
func (b *Base) SendDestLocked(to *tcpip.FullAddr) (tcpip.FullAddr, error) {
	switch {
	case b.Closed:
		return tcpip.FullAddr{}, syscall.EBADF
	case b.ShutWrite:
		return tcpip.FullAddr{}, syscall.EPIPE
	}
	if err := b.takeErrLocked(); err != nil {
		return tcpip.FullAddr{}, err
	}
	switch {
	case to != nil:
		return *to, nil
	case b.Connected:
		return b.Remote, nil
	}
	return tcpip.FullAddr{}, syscall.EDESTADDRREQ
}

func (b *Base) takeErrLocked() error {
	if b.SoftErr == 0 {
		return nil
	}
	err := b.SoftErr
	b.SoftErr = 0
	return err
}

// SetError records an ICMP error for a connected endpoint whose peer is
// remote, and announces it.
func (b *Base) SetError(errno syscall.Errno, remote tcpip.FullAddr) {
	b.Mu.Lock()
	if !b.Connected || b.Remote != remote {
		b.Mu.Unlock()
		return
	}
	b.SoftErr = errno
	b.Mu.Unlock()
	b.Waiter.Notify(waiter.EventErr | waiter.EventIn)
}

// SoftError returns and clears the pending ICMP error (SO_ERROR).
func (b *Base) SoftError() error {
	b.Mu.Lock()
	defer b.Mu.Unlock()
	return b.takeErrLocked()
}

// Readiness returns which of mask hold now.
func (b *Base) Readiness(mask waiter.Events) waiter.Events {
	b.Mu.Lock()
	defer b.Mu.Unlock()
	var ev waiter.Events
	if b.queue.Len() > 0 || b.ShutRead || b.SoftErr != 0 {
		ev |= waiter.EventIn
	}
	if !b.ShutWrite {
		ev |= waiter.EventOut
	}
	if b.SoftErr != 0 {
		ev |= waiter.EventErr
	}
	if b.ShutRead && b.ShutWrite {
		ev |= waiter.EventHup
	}
	return ev & mask
}

// Shutdown stops reading, writing or both; queued datagrams stay
// readable. As Linux's inet_shutdown, an endpoint that is not connected
// is shut down all the same, waking its blocked readers, and the call
// reports ENOTCONN.
func (b *Base) Shutdown(read, write bool) error {
	b.Mu.Lock()
	connected := b.Connected
	b.ShutRead = b.ShutRead || read
	b.ShutWrite = b.ShutWrite || write
	b.Mu.Unlock()
	b.Waiter.Notify(waiter.EventIn | waiter.EventOut | waiter.EventHup)
	if !connected {
		return syscall.ENOTCONN
	}
	return nil
}

// BindErr returns the error Bind must fail with before it looks at the
// address: EBADF once closed, EINVAL if already bound. Mu must be held.
func (b *Base) BindErr() error {
	switch {
	case b.Closed:
		return syscall.EBADF
	case b.Bound:
		return syscall.EINVAL
	}
	return nil
}

// Close marks the endpoint closed, drops its queue, calls unbind (outside
// the lock) if it was bound, and wakes every waiter. Later calls do
// nothing.
func (b *Base) Close(unbind func()) {
	b.Mu.Lock()
	if b.Closed {
		b.Mu.Unlock()
		return
	}
	b.Closed = true
	Mem.Release(b.queue.Bytes())
	b.queue.Clear()
	bound := b.Bound
	b.Mu.Unlock()
	if bound {
		unbind()
	}
	b.Waiter.Notify(waiter.EventIn | waiter.EventOut | waiter.EventHup)
}

// SetTTL sets IP_TTL (0: the stack's default).
func (b *Base) SetTTL(ttl uint8) {
	b.Mu.Lock()
	b.TTL = ttl
	b.Mu.Unlock()
}

// TTLValue returns IP_TTL as set (0 for the default).
func (b *Base) TTLValue() uint8 {
	b.Mu.Lock()
	defer b.Mu.Unlock()
	return b.TTL
}

// Next returns the size of the datagram a read would take, 0 if none
// (FIONREAD on a datagram socket, as Linux's).
func (b *Base) Next() int {
	b.Mu.Lock()
	defer b.Mu.Unlock()
	return b.queue.Next()
}

// Queued returns how many datagrams, and payload bytes, wait to be read.
func (b *Base) Queued() (datagrams, bytes int) {
	b.Mu.Lock()
	defer b.Mu.Unlock()
	return b.queue.Len(), b.queue.Bytes()
}

// LocalAddr returns the bound address (zero if unbound).
func (b *Base) LocalAddr() tcpip.FullAddr {
	b.Mu.Lock()
	defer b.Mu.Unlock()
	return b.Local
}

// RemoteAddr returns the connected peer, or ENOTCONN.
func (b *Base) RemoteAddr() (tcpip.FullAddr, error) {
	b.Mu.Lock()
	defer b.Mu.Unlock()
	if !b.Connected {
		return tcpip.FullAddr{}, syscall.ENOTCONN
	}
	return b.Remote, nil
}
