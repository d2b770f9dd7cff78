package tcp

import (
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"io"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"scone/kernel/net/tcpip"
)

var long = flag.Bool("long", false, "run the long transfer tests (256 MiB at 5% loss)")

var (
	addrA = tcpip.AddrFrom4(10, 0, 0, 1)
	addrB = tcpip.AddrFrom4(10, 0, 0, 2)
)

// pair is a listener on B and a connection from A to it, both
// non-blocking, over a simNet.
type pair struct {
	net            *simNet
	pa, pb         *Protocol
	client, server *Endpoint
}

func newPair(t testing.TB, n *simNet, opts Options) *pair {
	t.Helper()
	pr := &pair{net: n, pa: n.addHost(addrA, opts), pb: n.addHost(addrB, opts)}
	l := pr.pb.NewEndpoint()
	if err := l.Bind(tcpip.FullAddr{Port: 80}); err != nil {
		t.Fatal(err)
	}
	if err := l.Listen(16); err != nil {
		t.Fatal(err)
	}
	l.SetNonblocking(true)
	pr.client = pr.pa.NewEndpoint()
	pr.client.SetNonblocking(true)
	if err := pr.client.Connect(context.Background(), tcpip.FullAddr{Addr: addrB, Port: 80}); err != syscall.EINPROGRESS {
		t.Fatalf("Connect = %v, want EINPROGRESS", err)
	}
	ok := n.runUntil(time.Minute, func() bool {
		if pr.server == nil {
			pr.server, _ = l.Accept(context.Background())
		}
		return pr.server != nil && pr.client.State() == StateEstablished
	})
	if !ok {
		t.Fatalf("handshake did not complete: client %v", pr.client.State())
	}
	pr.server.SetNonblocking(true)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return pr
}

// pump moves size pseudo-random bytes from src to dst over the pair's
// network, then closes src and waits for EOF at dst. It returns the SHA-256
// of what was sent and of what arrived.
func pump(t testing.TB, n *simNet, src, dst *Endpoint, size int, limit time.Duration) (sent, got [32]byte) {
	t.Helper()
	hs, hr := sha256.New(), sha256.New()
	rng := rand.New(rand.NewPCG(1, 2))
	chunk := make([]byte, 64<<10)
	rbuf := make([]byte, 64<<10)
	pending := chunk[:0] // generated, not yet accepted by Write
	written, read := 0, 0
	closed, eof := false, false
	ctx := context.Background()
	ok := n.runUntil(limit, func() bool {
		for !closed {
			if len(pending) == 0 {
				if written == size {
					if err := src.Close(); err != nil {
						t.Fatal(err)
					}
					closed = true
					break
				}
				k := min(len(chunk), size-written)
				for i := 0; i < k; i += 8 {
					v := rng.Uint64()
					for j := 0; j < 8 && i+j < k; j++ {
						chunk[i+j] = byte(v >> (8 * j))
					}
				}
				pending = chunk[:k]
				hs.Write(pending)
			}
			w, err := src.Write(ctx, pending)
			pending = pending[w:]
			written += w
			if err == syscall.EAGAIN || (err == nil && len(pending) > 0) {
				break
			}
			if err != nil {
				t.Fatalf("Write after %d bytes: %v\nsrc %s\ndst %s", written, err, src.dump(), dst.dump())
			}
		}
		for !eof {
			r, err := dst.Read(ctx, rbuf)
			hr.Write(rbuf[:r])
			read += r
			if errors.Is(err, io.EOF) {
				eof = true
			} else if err == syscall.EAGAIN {
				break
			} else if err != nil {
				t.Fatalf("Read after %d bytes: %v", read, err)
			}
		}
		return eof
	})
	if !ok {
		t.Fatalf("transfer incomplete: wrote %d, read %d of %d\nsrc %s\ndst %s", written, read, size, src.dump(), dst.dump())
	}
	if read != size {
		t.Fatalf("read %d bytes, want %d", read, size)
	}
	copy(sent[:], hs.Sum(nil))
	copy(got[:], hr.Sum(nil))
	return sent, got
}

func TestTransfer(t *testing.T) {
	const MiB = 1 << 20
	tests := []struct {
		name              string
		size              int
		loss, reorder, du float64
		long              bool
		noSACK            bool // NewReno recovery instead of SACK
	}{
		{"clean-64MiB", 64 * MiB, 0, 0, 0, false, false},
		{"loss1-64MiB", 64 * MiB, 0.01, 0.02, 0.01, false, false},
		{"loss5-64MiB", 64 * MiB, 0.05, 0.05, 0.01, false, false},
		{"loss5-nosack-64MiB", 64 * MiB, 0.05, 0.05, 0.01, false, true},
		{"loss5-256MiB", 256 * MiB, 0.05, 0.05, 0.01, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.long && !*long {
				t.Skip("needs -long")
			}
			n := newSimNet(7)
			pr := newPair(t, n, Options{DisableSACK: tc.noSACK})
			n.loss, n.reorder, n.dup = tc.loss, tc.reorder, tc.du
			start, fakeStart := time.Now(), n.clk.Now()
			sent, got := pump(t, n, pr.client, pr.server, tc.size, time.Hour)
			if sent != got {
				t.Fatal("SHA-256 of received data differs from sent")
			}
			wall, fake := time.Since(start), n.clk.Now().Sub(fakeStart)
			st := pr.pa.Stats()
			t.Logf("%d MiB: wall %v (%.0f MB/s of CPU), simulated %v (%.1f MB/s); segs out %d, retrans %d, fast retrans %d, timeouts %d, lost retransmissions %d, tail loss probes %d",
				tc.size/MiB, wall.Round(time.Millisecond), float64(tc.size)/wall.Seconds()/1e6,
				fake.Round(time.Millisecond), float64(tc.size)/fake.Seconds()/1e6,
				st.OutSegs, st.RetransSegs, st.FastRetrans, st.Timeouts, st.LostRetrans, st.TailLossProbes)
		})
	}
}
