package tcp

import (
	"errors"
	"io"
	"syscall"
	"testing"
	"time"

	"scone/kernel/net/tcpip"
)

// The benchmarks run two protocols over simNet on fake time, driven from
// one goroutine with the non-blocking API, so they measure TCP's own CPU
// time and allocations (the simulated network reuses its packet buffers).

// BenchmarkBulk moves 1 MiB per iteration from client to server.
func BenchmarkBulk(b *testing.B) {
	n := newSimNet(1)
	n.noCheck = true
	pr := newPair(b, n, Options{})
	src, dst := pr.client, pr.server
	chunk := make([]byte, 64<<10)
	rbuf := make([]byte, 64<<10)
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		written, read := 0, 0
		ok := n.runUntil(time.Hour, func() bool {
			for written < 1<<20 {
				w, err := src.Write(bg, chunk[:min(len(chunk), 1<<20-written)])
				written += w
				if err != nil || w == 0 {
					break
				}
			}
			for {
				r, err := dst.Read(bg, rbuf)
				read += r
				if err != nil {
					break
				}
			}
			return read == 1<<20
		})
		if !ok {
			b.Fatalf("iteration %d: moved %d of %d bytes", i, read, 1<<20)
		}
	}
}

// BenchmarkRoundTrip measures 1-byte request/response exchanges.
func BenchmarkRoundTrip(b *testing.B) {
	n := newSimNet(1)
	n.noCheck = true
	pr := newPair(b, n, Options{})
	c, s := pr.client, pr.server
	one := []byte{'x'}
	buf := make([]byte, 16)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(bg, one); err != nil {
			b.Fatal(err)
		}
		phase := 0
		ok := n.runUntil(time.Minute, func() bool {
			if phase == 0 {
				if k, _ := s.Read(bg, buf); k == 1 {
					s.Write(bg, one)
					phase = 1
				}
			}
			if phase == 1 {
				if k, _ := c.Read(bg, buf); k == 1 {
					return true
				}
			}
			return false
		})
		if !ok {
			b.Fatalf("round trip %d did not complete", i)
		}
	}
}

// BenchmarkConnect measures connection setup and teardown: connect,
// accept, one byte each way, close by both. TIME-WAIT is shortened (MSL
// 1 ms of fake time) so that ports recycle as they would over real time.
func BenchmarkConnect(b *testing.B) {
	n := newSimNet(1)
	n.noCheck = true
	opts := Options{MSL: time.Millisecond}
	pa, pb := n.addHost(addrA, opts), n.addHost(addrB, opts)
	l := pb.NewEndpoint()
	l.Bind(tcpip.FullAddr{Port: 80})
	l.Listen(128)
	l.SetNonblocking(true)
	remote := tcpip.FullAddr{Addr: addrB, Port: 80}
	buf := make([]byte, 16)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := pa.NewEndpoint()
		c.SetNonblocking(true)
		if err := c.Connect(bg, remote); err != syscall.EINPROGRESS {
			b.Fatal(err)
		}
		var s *Endpoint
		ok := n.runUntil(time.Minute, func() bool {
			if s == nil {
				if s, _ = l.Accept(bg); s != nil {
					s.SetNonblocking(true)
					s.Write(bg, buf[:1])
					s.Close()
				}
			}
			if s == nil {
				return false
			}
			_, err := c.Read(bg, buf)
			return errors.Is(err, io.EOF)
		})
		if !ok {
			b.Fatalf("connection %d: %v", i, c.State())
		}
		c.Close()
	}
	b.StopTimer()
	n.runUntil(time.Minute, func() bool { return pa.ConnCount() == 0 && pb.ConnCount() == 0 })
}
