package file

import (
	"context"
	"sync"
	"syscall"

	"scone/kernel/net/waiter"
)

// Pipe sizes, as Linux's defaults.
const (
	PipeSize = 65536 // capacity in bytes
	PipeBuf  = 4096  // writes up to this size are atomic (PIPE_BUF)
)

// pipe is the buffer both ends share.
type pipe struct {
	mu      sync.Mutex
	buf     [PipeSize]byte
	head    int // next byte to read
	n       int // bytes buffered
	readers int // open read ends
	writers int // open write ends
	ino     uint64
	q       waiter.Queue
	// A named pipe (FIFO) counts the opens of each side, so an open
	// waiting for its partner sees one come even if it has gone again.
	fifo           *fifoKey
	ropens, wopens int
}

// pipeEnd is one end of a pipe: its File. A FIFO opened O_RDWR is both.
type pipeEnd struct {
	p     *pipe
	write bool
	both  bool
}

// NewPipe returns the read and write ends of a new pipe.
func NewPipe() (r, w File) {
	p := &pipe{readers: 1, writers: 1, ino: anonIno.Add(1)}
	return &pipeEnd{p: p}, &pipeEnd{p: p, write: true}
}

func (e *pipeEnd) Read(ctx context.Context, b []byte, nonblock bool) (int, error) {
	if e.write && !e.both {
		return 0, syscall.EBADF
	}
	p := e.p
	if len(b) == 0 {
		return 0, nil
	}
	for {
		p.mu.Lock()
		if p.n > 0 {
			n := 0
			for n < len(b) && p.n > 0 {
				c := copy(b[n:], p.buf[p.head:min(p.head+p.n, PipeSize)])
				n += c
				p.head = (p.head + c) % PipeSize
				p.n -= c
			}
			// Like Linux, wake writers only if the pipe was too full to
			// write to: epoll's edge-triggered writers see that edge only.
			wasFull := PipeSize-(p.n+n) < PipeBuf
			p.mu.Unlock()
			if wasFull {
				p.q.Notify(waiter.EventOut)
			}
			return n, nil
		}
		done := p.writers == 0
		p.mu.Unlock()
		if done {
			return 0, nil // end of file
		}
		if nonblock {
			return 0, syscall.EAGAIN
		}
		if err := waitUntil(ctx, &p.q, &p.mu, waiter.EventIn, func() bool { return p.n > 0 || p.writers == 0 }); err != nil {
			return 0, err
		}
	}
}

// Write writes all of b, blocking while the pipe is full. A write of up to
// PipeBuf bytes is never interleaved with others; a longer one may be. With
// no reader left it fails with EPIPE (the caller sends SIGPIPE). A write
// interrupted or made non-blocking after some bytes went in returns their
// count.
func (e *pipeEnd) Write(ctx context.Context, b []byte, nonblock bool) (int, error) {
	if !e.write && !e.both {
		return 0, syscall.EBADF
	}
	p := e.p
	atomicWrite := len(b) <= PipeBuf
	done := 0
	for {
		p.mu.Lock()
		if p.readers == 0 {
			p.mu.Unlock()
			if done > 0 {
				return done, nil
			}
			return 0, syscall.EPIPE
		}
		free := PipeSize - p.n
		if free > 0 && (!atomicWrite || free >= len(b)) {
			for done < len(b) && p.n < PipeSize {
				tail := (p.head + p.n) % PipeSize
				end := PipeSize
				if tail < p.head {
					end = p.head
				}
				c := copy(p.buf[tail:end], b[done:])
				done += c
				p.n += c
			}
			p.mu.Unlock()
			p.q.Notify(waiter.EventIn)
			if done == len(b) {
				return done, nil
			}
		} else {
			p.mu.Unlock()
		}
		if nonblock {
			if done > 0 {
				return done, nil
			}
			return 0, syscall.EAGAIN
		}
		need := 1
		if atomicWrite {
			need = len(b)
		}
		err := waitUntil(ctx, &p.q, &p.mu, waiter.EventOut, func() bool { return PipeSize-p.n >= need || p.readers == 0 })
		if err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
	}
}

func (e *pipeEnd) Close() error {
	p := e.p
	p.mu.Lock()
	if e.write || e.both {
		p.writers--
	}
	if !e.write || e.both {
		p.readers--
	}
	unused := p.readers == 0 && p.writers == 0
	p.mu.Unlock()
	if unused && p.fifo != nil {
		forgetFIFO(p)
	}
	// Readers see end of file; writers see EPIPE and POLLERR.
	p.q.Notify(waiter.EventHup | waiter.EventErr | waiter.EventIn | waiter.EventOut)
	return nil
}

func (e *pipeEnd) Waiter() *waiter.Queue { return &e.p.q }

// Readiness is Linux's pipe_poll: the read end is readable with data and
// hung up with no writers; the write end is writable with room for an
// atomic write and in error with no readers.
func (e *pipeEnd) Readiness(mask waiter.Events) waiter.Events {
	p := e.p
	p.mu.Lock()
	defer p.mu.Unlock()
	var ev waiter.Events
	if e.write || e.both {
		if PipeSize-p.n >= PipeBuf {
			ev |= waiter.EventOut
		}
		if p.readers == 0 {
			ev |= waiter.EventErr
		}
	}
	if !e.write || e.both {
		if p.n > 0 {
			ev |= waiter.EventIn
		}
		if p.writers == 0 {
			ev |= waiter.EventHup
		}
	}
	return ev & mask
}

// Buffered returns the bytes waiting to be read (FIONREAD).
func (e *pipeEnd) Buffered() int {
	e.p.mu.Lock()
	defer e.p.mu.Unlock()
	return e.p.n
}

func (e *pipeEnd) Stat() (Stat, error) {
	return Stat{Ino: e.p.ino, Mode: S_IFIFO | 0o600, Nlink: 1, BlkSize: PipeBuf}, nil
}
