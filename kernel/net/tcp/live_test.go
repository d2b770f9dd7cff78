package tcp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"syscall"
	"testing"
	"time"

	"scone/kernel/net/clock"
	"scone/kernel/net/tcpip"
)

// liveNet joins two protocols on the real clock: every packet is copied and
// delivered by the receiving host's goroutine, as a NIC's receive path
// would. It exercises the blocking API and real concurrency.
type liveNet struct {
	mu    sync.Mutex
	hosts map[tcpip.Addr]*liveHost
	done  chan struct{}
	wg    sync.WaitGroup
}

type liveHost struct {
	n    *liveNet
	addr tcpip.Addr
	p    *Protocol
	in   chan livePkt
}

type livePkt struct {
	src, dst tcpip.Addr
	b        []byte
}

func newLiveNet(t testing.TB, opts Options, addrs ...tcpip.Addr) (*liveNet, []*Protocol) {
	n := &liveNet{hosts: make(map[tcpip.Addr]*liveHost), done: make(chan struct{})}
	var ps []*Protocol
	for _, a := range addrs {
		h := &liveHost{n: n, addr: a, in: make(chan livePkt, 65536)}
		h.p = NewProtocol(h, clock.Real{}, opts)
		n.hosts[a] = h
		ps = append(ps, h.p)
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			for {
				select {
				case pk := <-h.in:
					h.p.HandlePacket(tcpip.PacketInfo{Src: pk.src, Dst: pk.dst, TTL: 64}, pk.b)
				case <-n.done:
					return
				}
			}
		}()
	}
	t.Cleanup(func() { close(n.done); n.wg.Wait() })
	return n, ps
}

func (h *liveHost) Route(src, dst tcpip.Addr) (tcpip.Route, error) {
	if h.n.hosts[dst] == nil {
		return tcpip.Route{}, syscall.ENETUNREACH
	}
	return tcpip.Route{Src: h.addr, Dst: dst, NextHop: dst, MTU: 1480}, nil
}

func (h *liveHost) IsLocal(a tcpip.Addr) bool { return a == h.addr }

func (h *liveHost) WritePacket(r tcpip.Route, proto uint8, hdr, payload []byte) error {
	b := make([]byte, len(hdr)+len(payload))
	copy(b, hdr)
	copy(b[len(hdr):], payload)
	select {
	case h.n.hosts[r.Dst].in <- livePkt{src: r.Src, dst: r.Dst, b: b}:
	default: // queue full: dropped, as a NIC would
	}
	return nil
}

func TestBlockingEcho(t *testing.T) {
	_, ps := newLiveNet(t, Options{}, addrA, addrB)
	l := ps[1].NewEndpoint()
	if err := l.Bind(tcpip.FullAddr{Port: 7}); err != nil {
		t.Fatal(err)
	}
	l.Listen(8)
	ctx, cancel := context.WithTimeout(bg, 30*time.Second)
	defer cancel()
	go func() {
		c, err := l.Accept(ctx)
		if err != nil {
			return
		}
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(ctx, buf)
			if err != nil {
				c.Close()
				return
			}
			c.Write(ctx, buf[:n])
		}
	}()
	c := ps[0].NewEndpoint()
	if err := c.Connect(ctx, tcpip.FullAddr{Addr: addrB, Port: 7}); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	msg := bytes.Repeat([]byte("echo "), 20000)
	go c.Write(ctx, msg)
	got := make([]byte, 0, len(msg))
	buf := make([]byte, 8192)
	for len(got) < len(msg) {
		n, err := c.Read(ctx, buf)
		if err != nil {
			t.Fatalf("Read after %d bytes: %v", len(got), err)
		}
		got = append(got, buf[:n]...)
	}
	if !bytes.Equal(got, msg) {
		t.Fatal("echo differs")
	}
	c.Shutdown(ShutWr)
	if _, err := c.Read(ctx, buf); err != io.EOF {
		t.Fatalf("Read after shutdown = %v, want EOF", err)
	}
	c.Close()
}

func TestBlockingInterrupted(t *testing.T) {
	_, ps := newLiveNet(t, Options{}, addrA, addrB)
	l := ps[1].NewEndpoint()
	l.Bind(tcpip.FullAddr{Port: 7})
	l.Listen(8)
	ctx, cancel := context.WithCancel(bg)
	errc := make(chan error, 1)
	go func() {
		_, err := l.Accept(ctx)
		errc <- err
	}()
	awaitSleepers(t, l, 1) // cancel while the call is blocked
	cancel()
	select {
	case err := <-errc:
		if err != syscall.EINTR {
			t.Fatalf("cancelled Accept = %v, want EINTR", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("cancelled Accept did not return")
	}
	// A read deadline gives EAGAIN, as SO_RCVTIMEO does.
	c := ps[0].NewEndpoint()
	if err := c.Connect(bg, tcpip.FullAddr{Addr: addrB, Port: 7}); err != nil {
		t.Fatal(err)
	}
	dctx, dcancel := context.WithTimeout(bg, 20*time.Millisecond)
	defer dcancel()
	if _, err := c.Read(dctx, make([]byte, 1)); err != syscall.EAGAIN {
		t.Fatalf("Read past deadline = %v, want EAGAIN", err)
	}
	// Connecting to a closed port is refused.
	d := ps[0].NewEndpoint()
	if err := d.Connect(bg, tcpip.FullAddr{Addr: addrB, Port: 8}); err != syscall.ECONNREFUSED {
		t.Fatalf("Connect to closed port = %v, want ECONNREFUSED", err)
	}
}

func TestThousandConnections(t *testing.T) {
	const conns = 1000
	_, ps := newLiveNet(t, Options{SendBuffer: 64 << 10, ReceiveBuffer: 64 << 10}, addrA, addrB)
	l := ps[1].NewEndpoint()
	l.Bind(tcpip.FullAddr{Port: 80})
	l.Listen(somaxconn)
	ctx, cancel := context.WithTimeout(bg, 2*time.Minute)
	defer cancel()
	go func() {
		for {
			c, err := l.Accept(ctx)
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 64)
				n, err := c.Read(ctx, buf)
				if err != nil {
					return
				}
				c.Write(ctx, append([]byte("re: "), buf[:n]...))
				c.Shutdown(ShutWr)
				c.Read(ctx, buf) // wait for the client's FIN
			}()
		}
	}()
	// Open all connections first so they are concurrent, then talk.
	eps := make([]*Endpoint, conns)
	errs := make(chan error, conns)
	var wg sync.WaitGroup
	for i := range eps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := ps[0].NewEndpoint()
			if err := c.Connect(ctx, tcpip.FullAddr{Addr: addrB, Port: 80}); err != nil {
				errs <- fmt.Errorf("connect %d: %w", i, err)
				return
			}
			eps[i] = c
		}()
	}
	wg.Wait()
	if st := ps[0].Stats(); st.CurrEstab != conns {
		t.Fatalf("CurrEstab %d, want %d", st.CurrEstab, conns)
	}
	for i, c := range eps {
		if c == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := fmt.Sprintf("hello %d", i)
			if _, err := c.Write(ctx, []byte(msg)); err != nil {
				errs <- err
				return
			}
			got, err := readAll(ctx, c)
			if err != nil || string(got) != "re: "+msg {
				errs <- fmt.Errorf("conn %d: got %q, %v", i, got, err)
			}
			c.Close()
		}()
	}
	wg.Wait()
	t.Logf("client %+v", ps[0].Stats())
	t.Logf("server %+v", ps[1].Stats())
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func readAll(ctx context.Context, c *Endpoint) ([]byte, error) {
	var out []byte
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(ctx, buf)
		out = append(out, buf[:n]...)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}
