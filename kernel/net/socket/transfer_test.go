package socket_test

import (
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"scone/kernel/net/link"
	"scone/kernel/net/nettest"
	"scone/kernel/net/socket"
	"scone/kernel/net/tcp"
	"scone/kernel/net/tcpip"
)

var long = flag.Bool("long", false, "run the long transfer sweeps")

// lanTCP tunes TCP for a link whose round trip is microseconds: Linux's
// 200 ms minimum RTO is meant for the Internet and would make every
// retransmission timeout here cost a thousand round trips.
var lanTCP = tcp.Options{MinRTO: 10 * time.Millisecond, InitialRTO: 100 * time.Millisecond}

// transfer sends size pseudo-random bytes from A to B through sockets and
// returns how long it took; it fails unless B's SHA-256 matches A's within
// limit.
func transfer(t *testing.T, p *nettest.Pair, size int, seed uint64, limit time.Duration) time.Duration {
	t.Helper()
	la, lb := socket.NewLayer(p.A), socket.NewLayer(p.B)
	srv := listener(t, lb, tcpip.FullAddr{Port: 5001})
	cli := mustSocket(t, la, socket.Stream)
	// One deadline for the whole transfer: a stall fails the test rather
	// than hanging it.
	c, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	start := time.Now()
	if err := cli.Connect(c, tcpip.FullAddr{Addr: nettest.AddrB, Port: 5001}); err != nil {
		t.Fatal(err)
	}
	conn, _, err := srv.Accept(c)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	var wg sync.WaitGroup
	var sent [32]byte
	var sendErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		h := sha256.New()
		rng := rand.NewChaCha8([32]byte{byte(seed)})
		buf := make([]byte, 256<<10)
		for left := size; left > 0; {
			b := buf[:min(len(buf), left)]
			rng.Read(b)
			h.Write(b)
			if _, err := cli.Write(c, b); err != nil {
				sendErr = err
				return
			}
			left -= len(b)
		}
		cli.Shutdown(socket.ShutWr)
		h.Sum(sent[:0])
	}()
	h := sha256.New()
	buf := make([]byte, 256<<10)
	got := 0
	for {
		n, err := conn.Read(c, buf)
		if err != nil {
			t.Fatalf("Read after %d bytes: %v", got, err)
		}
		if n == 0 {
			break
		}
		h.Write(buf[:n])
		got += n
	}
	elapsed := time.Since(start)
	wg.Wait()
	if sendErr != nil {
		t.Fatalf("Write: %v", sendErr)
	}
	if got != size || [32]byte(h.Sum(nil)) != sent {
		t.Fatalf("received %d of %d bytes; SHA-256 match: %v", got, size, [32]byte(h.Sum(nil)) == sent)
	}
	return elapsed
}

// TestTransfer moves data at 0%, 1% and 5% loss (each way), with reordering
// and duplication on the lossy links, every frame checked by gopacket:
// 64 MiB without delay, where the CPU bounds throughput, and 8 MiB with a
// 200 µs one-way delay, where the round trip does (real-time delays stretch
// on a loaded machine, so that run is kept small; -long has bigger ones).
func TestTransfer(t *testing.T) {
	for _, tc := range []struct {
		size  int
		loss  float64
		delay time.Duration
	}{
		{64 << 20, 0, 0}, {64 << 20, 0.01, 0}, {64 << 20, 0.05, 0},
		{8 << 20, 0.01, 200 * time.Microsecond},
	} {
		loss, size := tc.loss, tc.size
		t.Run(fmt.Sprintf("%dMiB,loss=%g,delay=%v", size>>20, loss, tc.delay), func(t *testing.T) {
			imp := link.Impairments{Loss: loss, Delay: tc.delay}
			if loss > 0 {
				imp.Reorder, imp.Duplicate = 0.01, 0.001
			}
			p := nettest.NewPair(t, nettest.PairOptions{
				Link: link.PipeConfig{AToB: imp, BToA: imp, Seed: uint64(loss * 1000)},
				TCP:  lanTCP,
			})
			d := transfer(t, p, size, 1, 2*time.Minute)
			w := &p.EndA.Out().Stats
			t.Logf("%d MiB at %g%% loss, %v delay: %v, %.1f MB/s; A->B frames %d sent, %d lost, %d reordered; %d retransmitted segments; %d frames checked",
				size>>20, loss*100, tc.delay, d.Round(time.Millisecond), float64(size)/d.Seconds()/1e6,
				w.Sent.Value(), w.Lost.Value(), w.Reordered.Value(), p.TCPA.Stats().RetransSegs, p.Checker.Frames())
		})
	}
}

// TestTransferCorrupted flips a bit in 1% of frames: TCP checksums must
// catch every one, and the data still arrives intact.
func TestTransferCorrupted(t *testing.T) {
	imp := link.Impairments{Corrupt: 0.01}
	p := nettest.NewPair(t, nettest.PairOptions{
		Link: link.PipeConfig{AToB: imp, BToA: imp, Seed: 9},
		TCP:  lanTCP,
		// The checker sees frames as the stacks wrote them, before the
		// link corrupts them, so it stays on.
	})
	transfer(t, p, 16<<20, 2, 2*time.Minute)
	corrupted := p.EndA.Out().Stats.Corrupted.Value() + p.EndB.Out().Stats.Corrupted.Value()
	caught := p.A.Stats.IP.InHdrErrors.Value() + p.B.Stats.IP.InHdrErrors.Value() +
		p.TCPA.Stats().InCsumErrors + p.TCPB.Stats().InCsumErrors
	t.Logf("%d frames corrupted, %d caught by IP and TCP checksums", corrupted, caught)
	if corrupted == 0 || caught == 0 {
		t.Fatalf("corrupted %d, caught %d", corrupted, caught)
	}
	// A flipped bit can also land in a field that makes the frame
	// someone else's (an address, the protocol number): those are dropped
	// before any checksum, and counted elsewhere. None may get through.
	if caught > corrupted {
		t.Fatalf("caught %d > corrupted %d", caught, corrupted)
	}
}

// TestTransferReordered sends 16 MiB over a link that loses nothing but
// holds 2% of frames back by up to 2 ms while later ones pass: three or
// more duplicate ACKs follow, so fast retransmit and SACK recovery run
// under reordering alone (the needless retransmissions are the price),
// and the data arrives intact.
func TestTransferReordered(t *testing.T) {
	imp := link.Impairments{Reorder: 0.02, ReorderDelay: 2 * time.Millisecond}
	p := nettest.NewPair(t, nettest.PairOptions{
		Link: link.PipeConfig{AToB: imp, BToA: imp, Seed: 11},
		TCP:  lanTCP,
	})
	d := transfer(t, p, 16<<20, 3, 2*time.Minute)
	st := p.TCPA.Stats()
	w := &p.EndA.Out().Stats
	t.Logf("16 MiB in %v: A->B frames %d sent, %d reordered; %d fast retransmits, %d retransmitted segments, %d timeouts",
		d.Round(time.Millisecond), w.Sent.Value(), w.Reordered.Value(), st.FastRetrans, st.RetransSegs, st.Timeouts)
	if w.Reordered.Value() == 0 || st.FastRetrans == 0 {
		t.Fatalf("%d frames reordered, %d fast retransmits: recovery never ran under reordering", w.Reordered.Value(), st.FastRetrans)
	}
}

// TestThousandConnections opens 1,000 connections at once over a link
// that loses 1% of frames, each echoing a message through a server
// goroutine.
func TestThousandConnections(t *testing.T) {
	const n = 1000
	imp := link.Impairments{Loss: 0.01}
	p := nettest.NewPair(t, nettest.PairOptions{
		Link: link.PipeConfig{AToB: imp, BToA: imp, Seed: 5},
		TCP:  lanTCP,
	})
	la, lb := socket.NewLayer(p.A), socket.NewLayer(p.B)
	srv := mustSocket(t, lb, socket.Stream)
	if err := srv.Bind(tcpip.FullAddr{Port: 7}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(n); err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, _, err := srv.Accept(ctx(t))
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				b := make([]byte, 64)
				for {
					k, err := c.Read(ctx(t), b)
					if err != nil || k == 0 {
						return
					}
					c.Write(ctx(t), b[:k])
				}
			}()
		}
	}()
	start := time.Now()
	errs := make(chan error, n)
	socks := make([]socket.Socket, n)
	for i := range socks {
		socks[i] = mustSocket(t, la, socket.Stream)
	}
	for i := 0; i < n; i++ {
		go func(s socket.Socket, i int) {
			if err := s.Connect(ctx(t), tcpip.FullAddr{Addr: nettest.AddrB, Port: 7}); err != nil {
				errs <- fmt.Errorf("connect %d: %w", i, err)
				return
			}
			msg := fmt.Sprintf("hello from %d", i)
			if _, err := s.Write(ctx(t), []byte(msg)); err != nil {
				errs <- err
				return
			}
			s.Shutdown(socket.ShutWr)
			got, err := io.ReadAll(reader{s, t})
			if err == nil && string(got) != msg {
				err = fmt.Errorf("connection %d echoed %q", i, got)
			}
			errs <- err
		}(socks[i], i)
	}
	for i := 0; i < n; i++ {
		if err := wait(t, errs); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d concurrent connections echoed in %v", n, time.Since(start).Round(time.Millisecond))
}

// reader adapts a socket to io.Reader.
type reader struct {
	s socket.Socket
	t *testing.T
}

func (r reader) Read(b []byte) (int, error) {
	n, err := r.s.Read(ctx(r.t), b)
	if n == 0 && err == nil {
		return 0, io.EOF
	}
	return n, err
}

// TestTransferSweep is the long variant: 256 MiB at more loss rates, and
// with a 1 ms one-way delay (a LAN-like round trip of 2 ms, where
// throughput is bounded by the congestion window, not the CPU). Run with
// -long.
func TestTransferSweep(t *testing.T) {
	if !*long {
		t.Skip("run with -long")
	}
	const size = 256 << 20
	for _, loss := range []float64{0, 0.02, 0.05} {
		for _, delay := range []time.Duration{0, time.Millisecond} {
			t.Run(fmt.Sprintf("loss=%g,delay=%v", loss, delay), func(t *testing.T) {
				imp := link.Impairments{Loss: loss, Reorder: 0.01, Duplicate: 0.001, Delay: delay}
				p := nettest.NewPair(t, nettest.PairOptions{
					Link: link.PipeConfig{AToB: imp, BToA: imp, Seed: 3, QueueLen: 4096},
					TCP:  lanTCP, NoCheck: true,
				})
				d := transfer(t, p, size, 3, 10*time.Minute)
				t.Logf("256 MiB: %v, %.1f MB/s; %d retransmitted segments, %d timeouts",
					d.Round(time.Millisecond), float64(size)/d.Seconds()/1e6,
					p.TCPA.Stats().RetransSegs, p.TCPA.Stats().Timeouts)
			})
		}
	}
}
