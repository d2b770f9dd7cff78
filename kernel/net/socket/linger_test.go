package socket_test

import (
	"context"
	"testing"
	"time"

	"scone/kernel/net/link"
	"scone/kernel/net/nettest"
	"scone/kernel/net/socket"
)

// TestLingerWaits: with SO_LINGER on and a timeout, LingerWait after
// Close blocks until the peer has acknowledged everything (FIN
// included), as Linux's sk_stream_wait_close: at once over a working
// link; for the whole timeout when the peer's ACKs are lost; and only
// until the caller is interrupted.
func TestLingerWaits(t *testing.T) {
	conn := func(t *testing.T) (*nettest.Pair, socket.Socket) {
		p, cli, _ := streamPairOn(t)
		cli.SetLinger(true, time.Second)
		if _, err := cli.Write(ctx(t), []byte("last words")); err != nil {
			t.Fatal(err)
		}
		return p, cli
	}
	t.Run("acked", func(t *testing.T) {
		_, cli := conn(t)
		cli.Close()
		start := time.Now()
		socket.LingerWait(ctx(t), cli)
		if d := time.Since(start); d > 900*time.Millisecond {
			t.Errorf("LingerWait over a working link took %v", d)
		}
	})
	t.Run("unacked", func(t *testing.T) {
		p, cli := conn(t)
		p.EndB.Out().SetImpairments(link.Impairments{Loss: 1})
		cli.Close()
		start := time.Now()
		socket.LingerWait(ctx(t), cli)
		if d := time.Since(start); d < 900*time.Millisecond || d > 5*time.Second {
			t.Errorf("LingerWait with every ACK lost took %v, want the 1 s linger", d)
		}
	})
	t.Run("interrupted", func(t *testing.T) {
		p, cli := conn(t)
		p.EndB.Out().SetImpairments(link.Impairments{Loss: 1})
		cli.SetLinger(true, time.Minute)
		cli.Close()
		c, cancel := context.WithTimeout(ctx(t), 200*time.Millisecond) // a signal, as the caller's context sees it
		defer cancel()
		start := time.Now()
		socket.LingerWait(c, cli)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("interrupted LingerWait took %v", d)
		}
	})
}
