package nettest

import (
	"testing"
	"time"

	"scone/kernel/net/waiter"
)

// Poll calls cond every millisecond until it returns true or timeout
// passes, and fails the test in that case. Use it only for state that
// announces no event; prefer WaitReady.
func Poll(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(time.Millisecond)
	}
}

// WaitReady waits until ready(mask) reports one of the events of mask,
// woken by q's notifications, failing the test after timeout.
func WaitReady(tb testing.TB, q *waiter.Queue, mask waiter.Events, ready func(waiter.Events) waiter.Events, timeout time.Duration) waiter.Events {
	tb.Helper()
	e, ch := waiter.NewChannelEntry(mask)
	q.Register(e)
	defer q.Unregister(e)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		if ev := ready(mask); ev != 0 {
			return ev
		}
		select {
		case <-ch:
		case <-timer.C:
			tb.Fatalf("timed out after %v waiting for events %#x", timeout, mask)
		}
	}
}
