package file

import (
	"context"
	"sync"
	"syscall"

	"scone/kernel/net/waiter"
)

// Named pipes (FIFOs): a FIFO node in a file system opens onto one pipe
// shared by everyone who has it open, made at the first open and gone
// (with any unread data) when the last end closes, as Linux's.

type fifoKey struct {
	m   *Mount
	ino uint64
}

var fifos = struct {
	mu sync.Mutex
	m  map[fifoKey]*pipe
}{m: make(map[fifoKey]*pipe)}

// openFIFO opens the FIFO at loc as Linux's fifo_open does: O_RDONLY
// waits for a writer and O_WRONLY for a reader unless O_NONBLOCK, with
// which a reader opens at once and a writer without a reader fails with
// ENXIO; O_RDWR never waits. ctx ends a wait with EINTR.
func openFIFO(ctx context.Context, loc Location, flags int) (File, error) {
	k := fifoKey{loc.Mount, loc.Ino}
	acc, nonblock := flags&O_ACCMODE, flags&syscall.O_NONBLOCK != 0
	fifos.mu.Lock()
	p := fifos.m[k]
	if p == nil {
		p = &pipe{ino: loc.Ino, fifo: &k}
		fifos.m[k] = p
	}
	p.mu.Lock()
	if acc == O_WRONLY && nonblock && p.readers == 0 {
		unused := p.readers == 0 && p.writers == 0
		p.mu.Unlock()
		if unused {
			delete(fifos.m, k)
		}
		fifos.mu.Unlock()
		return nil, syscall.ENXIO
	}
	e := &pipeEnd{p: p, write: acc == O_WRONLY, both: acc == O_RDWR}
	if acc != O_WRONLY {
		p.readers++
		p.ropens++
	}
	if acc != O_RDONLY {
		p.writers++
		p.wopens++
	}
	ropens, wopens := p.ropens, p.wopens
	p.mu.Unlock()
	fifos.mu.Unlock()
	p.q.Notify(waiter.EventIn | waiter.EventOut) // a partner may wait in open
	if nonblock || acc == O_RDWR {
		return e, nil
	}
	var err error
	if acc == O_RDONLY {
		err = waitUntil(ctx, &p.q, &p.mu, waiter.EventIn, func() bool { return p.writers > 0 || p.wopens != wopens })
	} else {
		err = waitUntil(ctx, &p.q, &p.mu, waiter.EventOut, func() bool { return p.readers > 0 || p.ropens != ropens })
	}
	if err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// forgetFIFO drops p from the table once its last end has closed (unless
// a new open took it up meanwhile).
func forgetFIFO(p *pipe) {
	fifos.mu.Lock()
	defer fifos.mu.Unlock()
	p.mu.Lock()
	unused := p.readers == 0 && p.writers == 0
	p.mu.Unlock()
	if unused && fifos.m[*p.fifo] == p {
		delete(fifos.m, *p.fifo)
	}
}
