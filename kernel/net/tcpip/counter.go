package tcpip

import "sync/atomic"

// Counter is a statistics counter (one line of `netstat -s`). The zero value
// is ready; it is safe for concurrent use and never allocates.
type Counter struct{ v atomic.Uint64 }

// Inc adds one.
func (c *Counter) Inc() { c.v.Add(1) }

// Add adds n.
func (c *Counter) Add(n uint64) { c.v.Add(n) }

// Value returns the current count.
func (c *Counter) Value() uint64 { return c.v.Load() }
