package tcp

import (
	"bytes"
	"context"
	"io"
	"syscall"
	"testing"
	"time"

	"scone/kernel/net/tcpip"
)

// memDial connects a client on host b to listener l (on addr) and
// returns the listener's end and the client's, both non-blocking.
func memDial(t *testing.T, net *simNet, l *Endpoint, b *Protocol, addr tcpip.Addr) (*Endpoint, *Endpoint) {
	t.Helper()
	c := b.NewEndpoint()
	c.SetNonblocking(true)
	if err := c.Connect(context.Background(), tcpip.FullAddr{Addr: addr, Port: 80}); err != syscall.EINPROGRESS {
		t.Fatalf("Connect = %v", err)
	}
	var s *Endpoint
	if !net.runUntil(time.Minute, func() bool {
		if s == nil {
			s, _ = l.Accept(context.Background())
		}
		return s != nil && c.State() == StateEstablished
	}) {
		t.Fatal("handshake did not complete")
	}
	s.SetNonblocking(true)
	return s, c
}

// TestMemoryBound fills many connections on host A whose other end does
// not take the data (a peer that never reads what A sends, or A's own
// application that never reads what arrives), opening them one after
// another while the earlier ones fill: A's buffer memory stays within
// tcp_mem's hard limit plus the minimum each ring is always granted; the
// receiver's windows close (those opened under memory pressure are
// confined to the buffers they have); segments that found no memory are
// dropped unacknowledged, never acknowledged bytes; and once the data is
// read every byte arrives intact and all the memory is given back.
// Without the budget the 16 connections would hold 16 times their 64 KiB
// buffers.
func TestMemoryBound(t *testing.T) {
	const (
		conns = 16
		buf   = 64 << 10
		total = 4 * buf // per connection, more than both ends' buffers hold
	)
	memPages := [3]int{16, 24, 32} // 64, 96 and 128 KiB
	bound := int64(memPages[2]*PageSize + conns*2*ringMinCap)
	for _, dir := range []string{"receive", "send"} {
		t.Run(dir, func(t *testing.T) {
			net := newSimNet(3)
			pa := net.addHost(addrA, Options{Mem: memPages, SendBuffer: buf, ReceiveBuffer: buf})
			pb := net.addHost(addrB, Options{SendBuffer: buf, ReceiveBuffer: buf})
			l := pa.NewEndpoint()
			if err := l.Bind(tcpip.FullAddr{Port: 80}); err != nil {
				t.Fatal(err)
			}
			l.Listen(conns)
			l.SetNonblocking(true)
			// The receiver's windows must close: count the zero windows
			// it advertises.
			zeroWnd := 0
			receiver := addrA
			if dir == "send" {
				receiver = addrB
			}
			net.drop = func(src, _ tcpip.Addr, b []byte) bool {
				var s segment
				if src == receiver && s.parse(b) == nil && s.flags&flagACK != 0 && s.wnd == 0 {
					zeroWnd++
				}
				return false
			}
			var as, bs []*Endpoint // A's ends and B's
			ends := func() (src, dst []*Endpoint) {
				if dir == "send" {
					return as, bs // A writes, B does not read
				}
				return bs, as // B writes, A's application does not read
			}
			data := make([][]byte, conns)
			for i := range data {
				data[i] = bytes.Repeat([]byte{byte('a' + i)}, total)
				for j := 0; j < total; j += 1000 {
					data[i][j] = byte(j / 1000) // so that a lost or repeated chunk shows
				}
			}
			written := make([]int, conns)
			write := func() {
				src, _ := ends()
				for i, e := range src {
					if written[i] < total {
						k, err := e.Write(bg, data[i][written[i]:])
						if err != nil && err != syscall.EAGAIN {
							t.Fatalf("write %d: %v", i, err)
						}
						written[i] += k
					}
				}
			}
			// The heap A's connections hold, measured on the rings
			// themselves, and what the pool was charged for it.
			var peak int64
			watch := func() {
				var held int64
				for _, e := range as {
					e.mu.Lock()
					held += int64(len(e.snd.buf) + len(e.rcv.buf))
					e.mu.Unlock()
				}
				peak = max(peak, held)
				if used, _, _ := pa.Memory(); used != held {
					t.Fatalf("pool charged %d bytes, rings hold %d", used, held)
				}
			}
			for range conns {
				a, b := memDial(t, net, l, pb, addrA)
				as, bs = append(as, a), append(bs, b)
				net.runUntil(10*time.Second, func() bool { write(); watch(); return false })
			}
			l.Close()
			net.runUntil(2*time.Minute, func() bool { write(); watch(); return false })
			if peak > bound {
				t.Errorf("A's buffers reached %d bytes, over the bound %d", peak, bound)
			}
			st := pa.Stats()
			if st.MemoryPressures == 0 {
				t.Error("A never came under memory pressure")
			}
			if zeroWnd == 0 {
				t.Error("the receiver never advertised a zero window")
			}
			sum := 0
			for i := range written {
				sum += written[i]
			}
			if sum >= conns*total {
				t.Fatalf("every write completed (%d bytes) with nobody reading", sum)
			}
			src, dst := ends()
			for i, e := range src {
				if e.State() != StateEstablished || dst[i].State() != StateEstablished {
					t.Fatalf("connection %d: %v / %v", i, e.State(), dst[i].State())
				}
			}
			// Now read everything; the writers finish and close.
			got := make([][]byte, conns)
			eof := make([]bool, conns)
			rbuf := make([]byte, 8192)
			if !net.runUntil(10*time.Minute, func() bool {
				write()
				watch()
				done := true
				for i, e := range src {
					if written[i] == total && e.State() == StateEstablished {
						e.Close()
					}
					for !eof[i] {
						k, err := dst[i].Read(bg, rbuf)
						got[i] = append(got[i], rbuf[:k]...)
						if err == io.EOF {
							eof[i] = true
						} else if err != nil || k == 0 {
							break
						}
					}
					done = done && eof[i]
				}
				return done
			}) {
				t.Fatalf("transfers did not finish: wrote %v", written)
			}
			for i := range got {
				if !bytes.Equal(got[i], data[i]) {
					t.Errorf("connection %d: %d bytes arrived, differing from the %d sent", i, len(got[i]), total)
				}
			}
			if peak > bound {
				t.Errorf("A's buffers reached %d bytes, over the bound %d", peak, bound)
			}
			for _, e := range dst {
				e.Close()
			}
			net.runUntil(10*time.Minute, func() bool { return false }) // TIME-WAIT and the rest end
			if used, _, pressure := pa.Memory(); used != 0 || pressure {
				t.Errorf("after every connection closed: %d bytes still charged, pressure %v", used, pressure)
			}
			t.Logf("%s: peak %d bytes (bound %d), %d of %d bytes written before any read, %d segments dropped for memory, %d pressure episodes, %d zero windows advertised",
				dir, peak, bound, sum, conns*total, st.RcvQDrops, st.MemoryPressures, zeroWnd)
		})
	}
}

// TestMemoryReleased: however a connection ends, its buffers are given
// back to the pool, so that sockstat's TCP mem returns to nothing once
// the sockets are closed (nettest's free test).
func TestMemoryReleased(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(pr *pair)
	}{
		{"graceful", func(pr *pair) {
			pr.server.Read(bg, make([]byte, 1<<20))
			pr.client.Close()
			pr.server.Close()
		}},
		{"close-with-unread-data", func(pr *pair) { pr.server.Close(); pr.client.Close() }},
		{"abort", func(pr *pair) { pr.server.Abort(); pr.client.Close() }},
		{"reset-by-peer-then-close", func(pr *pair) {
			pr.client.Abort()
			pr.net.runUntil(time.Second, func() bool { return pr.server.State() == StateClosed })
			pr.server.Close()
		}},
		{"listener-closed-before-accept", func(pr *pair) {
			l := pr.pb.NewEndpoint()
			l.Bind(tcpip.FullAddr{Port: 81})
			l.Listen(4)
			c := pr.pa.NewEndpoint()
			c.SetNonblocking(true)
			c.Connect(bg, tcpip.FullAddr{Addr: addrB, Port: 81})
			pr.net.runUntil(time.Second, func() bool { return c.State() == StateEstablished })
			c.Write(bg, make([]byte, 5000))
			pr.net.runUntil(time.Second, func() bool { return false })
			l.Close()
			pr.net.runUntil(time.Second, func() bool { return c.State() == StateClosed })
			c.Close()
			pr.server.Close()
			pr.client.Close()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newSimNet(5)
			pr := newPair(t, n, Options{})
			pr.client.Write(bg, make([]byte, 100000))
			pr.server.Write(bg, make([]byte, 3000))
			n.runUntil(time.Second, func() bool { return false })
			if used, _, _ := pr.pb.Memory(); used == 0 {
				t.Fatal("no memory charged for the data")
			}
			tc.end(pr)
			n.runUntil(10*time.Minute, func() bool { return false })
			for i, p := range []*Protocol{pr.pa, pr.pb} {
				if used, _, _ := p.Memory(); used != 0 {
					t.Errorf("host %d: %d bytes still charged", i, used)
				}
			}
		})
	}
}

// TestMemPool checks tcp_mem's three thresholds step by step: free below
// min, pressure from past the pressure mark until usage falls back to
// min, refusals past the hard limit except for a ring's first ringMinCap
// bytes.
func TestMemPool(t *testing.T) {
	var m memPool
	m.setLimits([3]int{2, 4, 6}) // 8, 16 and 24 KiB
	const k = 1024
	for i, step := range []struct {
		charge, release int // bytes
		capacity        int // the ring's capacity after the charge
		ok, pressure    bool
	}{
		{charge: 8 * k, capacity: 8 * k, ok: true},
		{charge: 8 * k, capacity: 16 * k, ok: true},                 // 16 KiB: at the pressure mark, not past it
		{charge: 4 * k, capacity: 32 * k, ok: true, pressure: true}, // past it
		{release: 8 * k, pressure: true},                            // 12 KiB: above min, still under pressure
		{charge: 16 * k, capacity: 64 * k, pressure: true},          // would pass the hard limit: refused
		{charge: 4 * k, capacity: 4 * k, ok: true, pressure: true},  // a ring's first 4 KiB: always granted
		{release: 12 * k}, // 4 KiB: back under min, pressure ends
		{charge: 4 * k, capacity: 8 * k, ok: true},
	} {
		if step.charge > 0 {
			if ok := m.charge(step.charge, step.capacity); ok != step.ok {
				t.Errorf("step %d: charge %d granted %v, want %v", i, step.charge, ok, step.ok)
			}
		} else {
			m.release(step.release)
		}
		if p := m.underPressure(); p != step.pressure {
			t.Errorf("step %d: pressure %v, want %v (used %d)", i, p, step.pressure, m.used.Load())
		}
	}
	if m.used.Load() != 8*k || m.pressures.Load() != 1 || m.refused.Load() != 1 {
		t.Errorf("used %d, %d pressure episodes, %d refusals; want 8192, 1, 1", m.used.Load(), m.pressures.Load(), m.refused.Load())
	}
}
