package tcp

import (
	"context"
	"io"
	"syscall"
)

// RecvOptions are the flags of recv(2) that change how a read takes data.
type RecvOptions struct {
	Peek    bool // MSG_PEEK: copy the data but leave it queued
	WaitAll bool // MSG_WAITALL: wait until every buffer is full, the stream ends, an error or ctx
	Discard bool // MSG_TRUNC on TCP: consume the data without copying it
	NoWait  bool // MSG_DONTWAIT: EAGAIN rather than block, this call only
}

// Read copies received bytes into b: ReadV with one buffer and no options.
func (e *Endpoint) Read(ctx context.Context, b []byte) (int, error) {
	bufs := [1][]byte{b}
	return e.ReadV(ctx, bufs[:], RecvOptions{})
}

// ReadV copies received bytes into bufs in order (scatter). It returns
// io.EOF once the peer has closed its side and every byte has been read,
// a pending error (ECONNRESET, ETIMEDOUT, ...) once, EAGAIN when
// non-blocking and nothing is ready, and EINTR or EAGAIN when ctx is
// cancelled or its deadline passes. A read that got some bytes returns
// their count and no error whatever ended it, as Linux's.
func (e *Endpoint) ReadV(ctx context.Context, bufs [][]byte, o RecvOptions) (int, error) {
	want := 0
	for _, b := range bufs {
		want += len(b)
	}
	if want == 0 {
		return 0, nil // as recv(2) with a zero length: never blocks
	}
	e.mu.Lock()
	n := 0
	for {
		avail := e.rcv.len()
		switch {
		case avail > 0 && o.Peek:
			// A MSG_WAITALL peek that cannot wait returns what it found,
			// as Linux's.
			if !o.WaitAll || avail >= want || e.err != nil || e.eof() || e.nonblock || o.NoWait {
				k := copyOut(&e.rcv, bufs, 0)
				e.mu.Unlock()
				return k, nil
			}
		case avail > 0:
			k := min(avail, want-n)
			if !o.Discard {
				k = copyOut(&e.rcv, bufs, n)
			}
			e.rcv.discard(k)
			n += k
			e.consumed()
			if n == want || !o.WaitAll {
				e.unlock()
				return n, nil
			}
			continue // more may be queued already
		}
		var err error
		switch {
		case n > 0 && (e.err != nil || e.eof() || e.nonblock || o.NoWait):
			e.unlock() // the bytes now; the error or EOF on the next call
			return n, nil
		case e.err != nil:
			err = e.takeErr()
		case e.eof():
			err = io.EOF
		case e.state == StateClosed || e.state == StateListen:
			err = syscall.ENOTCONN
		case e.nonblock || o.NoWait:
			err = syscall.EAGAIN
		default:
			err = e.sleep(ctx, readEvents)
		}
		if err != nil {
			if o.Peek && e.rcv.len() > 0 {
				// Interrupted or timed out with bytes peeked: those, as Linux.
				k := copyOut(&e.rcv, bufs, 0)
				e.unlock()
				return k, nil
			}
			e.unlock()
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
	}
}

// eof reports whether no more bytes will arrive.
func (e *Endpoint) eof() bool {
	return e.finRcvd || e.shutRd || (e.state == StateClosed && e.connected)
}

// consumed updates the receive side after the reader took bytes.
func (e *Endpoint) consumed() {
	if e.ooo.empty() {
		e.rcv.rewind()
	}
	if e.urgSet && e.rcvNxt.add(-e.rcv.len()).ge(e.rcvUp) {
		e.urgSet = false // read past the urgent mark
	}
	e.windowUpdate()
}

// copyOut copies the bytes stored in r, from its start, into bufs taken
// as one buffer from byte offset skip on, and returns how many it copied.
func copyOut(r *ring, bufs [][]byte, skip int) int {
	off := 0
	for _, b := range bufs {
		if skip >= len(b) {
			skip -= len(b)
			continue
		}
		k := r.peek(off, b[skip:])
		off += k
		if k < len(b)-skip {
			break
		}
		skip = 0
	}
	return off
}

// Write queues b for sending: WriteV with one buffer.
func (e *Endpoint) Write(ctx context.Context, b []byte) (int, error) {
	bufs := [1][]byte{b}
	return e.WriteV(ctx, bufs[:], false)
}

// WriteV queues bufs, in order, for sending (gather). A blocking WriteV
// returns when all of it is queued, or with the count so far and an
// error: EPIPE after shutdown or close, or a pending error such as
// ECONNRESET. When ctx ends it returns the count so far with no error, or
// EINTR/EAGAIN if nothing was queued. A non-blocking one queues what fits
// and returns that count with a nil error, or EAGAIN when nothing fits;
// noWait (MSG_DONTWAIT) makes this one call non-blocking.
func (e *Endpoint) WriteV(ctx context.Context, bufs [][]byte, noWait bool) (int, error) {
	want := 0
	for _, b := range bufs {
		want += len(b)
	}
	if want == 0 {
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
			if k := appendFrom(&e.snd, bufs, n); k > 0 {
				n += k
				e.output()
			}
			if n == want {
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
		if e.nonblock || noWait {
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

// appendFrom appends bufs, taken as one buffer from byte offset skip on,
// to r as far as it has room, and returns how many bytes it took.
func appendFrom(r *ring, bufs [][]byte, skip int) int {
	n := 0
	for _, b := range bufs {
		if skip >= len(b) {
			skip -= len(b)
			continue
		}
		k := r.append(b[skip:])
		n += k
		if k < len(b)-skip {
			break
		}
		skip = 0
	}
	return n
}
