package dgram

import (
	"sync/atomic"

	"scone/kernel/net/tcpip"
)

// DefaultMemLimit is the kernel-wide bound on datagram payload bytes
// waiting in receive queues (Linux's udp_mem idea, simplified to one hard
// limit): 8 MiB, room for every socket's 16-slot queue of ordinary
// datagrams, but not for hundreds of sockets each holding 16 of 64 KiB.
const DefaultMemLimit = 8 << 20

// Budget is a kernel-wide count of queued bytes against a limit. Charge
// refuses what would pass the limit, so a flood fills the budget and is
// dropped and counted; it never grows the kernel's heap further.
type Budget struct {
	used, limit atomic.Int64
	Refused     tcpip.Counter // charges refused: datagrams dropped for memory
}

// Mem is the budget every datagram endpoint's receive queue draws on.
var Mem = newBudget(DefaultMemLimit)

func newBudget(limit int64) *Budget {
	b := new(Budget)
	b.limit.Store(limit)
	return b
}

// Charge takes n bytes from the budget, reporting false (and counting a
// refusal) if they would pass the limit.
func (b *Budget) Charge(n int) bool {
	if b.used.Add(int64(n)) > b.limit.Load() {
		b.used.Add(-int64(n))
		b.Refused.Inc()
		return false
	}
	return true
}

// Release gives n bytes back.
func (b *Budget) Release(n int) { b.used.Add(-int64(n)) }

// Used returns the bytes charged now.
func (b *Budget) Used() int64 { return b.used.Load() }

// Limit returns the limit; SetLimit changes it (bytes already charged
// stay charged).
func (b *Budget) Limit() int64     { return b.limit.Load() }
func (b *Budget) SetLimit(n int64) { b.limit.Store(n) }
