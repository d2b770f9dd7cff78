package socket_test

import (
	"context"
	"testing"

	"scone/kernel/net/nettest"
	"scone/kernel/net/socket"
	"scone/kernel/net/tcpip"
)

// connected returns a connected pair of stream sockets across a clean Pair.
func connected(b *testing.B, o nettest.PairOptions) (cli, srv socket.Socket) {
	o.NoCheck = true
	p := nettest.NewPair(b, o)
	la, lb := socket.NewLayer(p.A), socket.NewLayer(p.B)
	l, _ := lb.Socket(socket.Stream)
	l.Bind(tcpip.FullAddr{Port: 9})
	l.Listen(1)
	cli, _ = la.Socket(socket.Stream)
	if err := cli.Connect(context.Background(), tcpip.FullAddr{Addr: nettest.AddrB, Port: 9}); err != nil {
		b.Fatal(err)
	}
	srv, _, err := l.Accept(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cli.Close(); srv.Close(); l.Close() })
	return cli, srv
}

// BenchmarkStreamBulk measures one-way TCP throughput over a 1500-byte-MTU
// in-memory link; b.N counts 64 KiB writes.
func BenchmarkStreamBulk(b *testing.B) {
	cli, srv := connected(b, nettest.PairOptions{TCP: lanTCP})
	bulk(b, cli, srv)
}

// bulk writes b.N 64 KiB chunks from cli and reads them at srv.
func bulk(b *testing.B, cli, srv socket.Socket) {
	const chunk = 64 << 10
	done := make(chan int)
	go func() {
		buf := make([]byte, chunk)
		total := 0
		for {
			n, err := srv.Read(context.Background(), buf)
			if err != nil || n == 0 {
				done <- total
				return
			}
			total += n
		}
	}()
	buf := make([]byte, chunk)
	b.SetBytes(chunk)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := cli.Write(context.Background(), buf); err != nil {
			b.Fatal(err)
		}
	}
	cli.Shutdown(socket.ShutWr)
	if got := <-done; got != b.N*chunk {
		b.Fatalf("received %d of %d", got, b.N*chunk)
	}
}

// BenchmarkStreamPingPong measures 1-byte request/response round trips.
func BenchmarkStreamPingPong(b *testing.B) {
	cli, srv := connected(b, nettest.PairOptions{TCP: lanTCP})
	cli.SetNoDelay(true)
	srv.SetNoDelay(true)
	go func() {
		buf := make([]byte, 1)
		for {
			if n, err := srv.Read(context.Background(), buf); err != nil || n == 0 {
				return
			}
			srv.Write(context.Background(), buf)
		}
	}()
	roundTrips(b, cli, 1)
}

// BenchmarkDatagramRoundTrip measures UDP request/response round trips.
func BenchmarkDatagramRoundTrip(b *testing.B) {
	p := nettest.NewPair(b, nettest.PairOptions{NoCheck: true})
	la, lb := socket.NewLayer(p.A), socket.NewLayer(p.B)
	srv, _ := lb.Socket(socket.Datagram)
	srv.Bind(tcpip.FullAddr{Port: 7})
	cli, _ := la.Socket(socket.Datagram)
	cli.Connect(context.Background(), tcpip.FullAddr{Addr: nettest.AddrB, Port: 7})
	b.Cleanup(func() { cli.Close(); srv.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := srv.RecvFrom(context.Background(), buf)
			if err != nil {
				return
			}
			srv.SendTo(context.Background(), buf[:n], from)
		}
	}()
	roundTrips(b, cli, 64)
}

// roundTrips times b.N exchanges of a size-byte message between cli and
// an echo server.
func roundTrips(b *testing.B, cli socket.Socket, size int) {
	buf := make([]byte, size)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cli.Write(context.Background(), buf)
		if _, err := cli.Read(context.Background(), buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoopbackBulk measures TCP throughput to 127.0.0.1 (64 KiB
// frames through the loopback device).
func BenchmarkLoopbackBulk(b *testing.B) { loopbackBulk(b, 0) }

// BenchmarkLoopbackBulkRcvbuf32K is BenchmarkLoopbackBulk with SO_RCVBUF
// 32 KiB, a buffer smaller than one loopback MSS (issue 7, defect 7).
func BenchmarkLoopbackBulkRcvbuf32K(b *testing.B) { loopbackBulk(b, 32<<10) }

func loopbackBulk(b *testing.B, rcvbuf int) {
	p := nettest.NewPair(b, nettest.PairOptions{NoCheck: true, TCP: lanTCP})
	l := socket.NewLayer(p.A)
	lst, _ := l.Socket(socket.Stream)
	lst.SetBufferSizes(0, rcvbuf)
	lst.Bind(tcpip.FullAddr{Addr: tcpip.LoopbackAddr, Port: 9})
	lst.Listen(1)
	cli, _ := l.Socket(socket.Stream)
	cli.SetBufferSizes(0, rcvbuf)
	if err := cli.Connect(context.Background(), tcpip.FullAddr{Addr: tcpip.LoopbackAddr, Port: 9}); err != nil {
		b.Fatal(err)
	}
	srv, _, err := lst.Accept(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cli.Close(); srv.Close(); lst.Close() })
	bulk(b, cli, srv)
}
