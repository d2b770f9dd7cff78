package file

import "scone/kernel/net/waiter"

// pathFile is the File of an O_PATH descriptor: it names a place for
// fstat, fchdir and the *at calls and does no I/O.
type pathFile struct {
	n Node
	q waiter.Queue
}

func (p *pathFile) Stat() (Stat, error)                   { return p.n.Stat() }
func (p *pathFile) Readiness(waiter.Events) waiter.Events { return 0 }
func (p *pathFile) Waiter() *waiter.Queue                 { return &p.q }
func (p *pathFile) Close() error                          { return nil }
