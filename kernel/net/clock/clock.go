// Package clock is the network stack's view of time. Protocols take a Clock
// instead of calling the time package, so tests can run timers (retransmits,
// TIME_WAIT, ARP ageing, DHCP leases) on fake time, instantly and
// deterministically.
package clock

import "time"

// A Clock tells the time and runs functions later.
type Clock interface {
	// Now returns the current time. Only differences between values matter.
	Now() time.Time
	// AfterFunc calls f in its own goroutine (Real) or from Advance (Fake)
	// once d has elapsed.
	AfterFunc(d time.Duration, f func()) Timer
}

// A Timer is a pending AfterFunc call.
type Timer interface {
	// Stop prevents the call if it has not happened; it reports whether it
	// did prevent it.
	Stop() bool
	// Reset makes the timer fire d from now, whether or not it already
	// fired or was stopped; it reports whether the timer was pending.
	Reset(d time.Duration) bool
}

// Real is the wall clock, backed by the time package.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// AfterFunc is time.AfterFunc.
func (Real) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
