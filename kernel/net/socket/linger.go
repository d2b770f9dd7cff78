package socket

import (
	"context"
	"time"

	"scone/kernel/net/tcp"
	"scone/kernel/net/waiter"
)

// lingerRecheck bounds each sleep of LingerWait, in case an
// acknowledgement changes the state without an event the sleeper hears.
const lingerRecheck = 50 * time.Millisecond

// LingerWait is the blocking half of SO_LINGER with a timeout, for
// close(2) to call after the last Close of s: while the connection's FIN
// (and the data before it) is unacknowledged, it waits, for at most the
// linger time and only until ctx is done (a signal), as Linux's
// sk_stream_wait_close. The close itself carries on in the background
// either way, and close(2) returns 0. Other sockets return at once.
func LingerWait(ctx context.Context, s Socket) {
	st, ok := s.(*stream)
	if !ok {
		return
	}
	on, d := st.Linger()
	if !on || d == 0 || !finPending(st.ep.State()) {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	sl := waiter.Arm(st.ep.Queue(), waiter.EventIn|waiter.EventOut|waiter.EventErr|waiter.EventHup)
	defer sl.Release()
	for finPending(st.ep.State()) && ctx.Err() == nil {
		wctx, c := context.WithTimeout(ctx, lingerRecheck)
		sl.Wait(wctx)
		c()
	}
}

// finPending reports whether a closed connection still waits for the
// acknowledgement of its FIN.
func finPending(s tcp.State) bool {
	return s == tcp.StateFinWait1 || s == tcp.StateClosing || s == tcp.StateLastAck
}
