package stack_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"sync"
	"testing"
	"time"

	nethost "scone/kernel/net/host"
	"scone/kernel/net/link"
	"scone/kernel/net/socket"
	"scone/kernel/net/tcpip"
)

// offloadDev is a pipe end that completes TCP and UDP checksums as a
// device with checksum offload does, recording what the stack gave it.
type offloadDev struct {
	*link.PipeEnd
	mu               sync.Mutex
	partial, full    int // frames whose checksum the stack left partial, or wrote whole
	fragmentsOrOther int
	err              string
}

func (d *offloadDev) TxChecksumOffload() bool { return true }

func (d *offloadDev) WriteFrame(f []byte) error {
	f = append([]byte(nil), f...)
	c, ok := link.FindTxChecksum(f)
	d.mu.Lock()
	if !ok {
		d.fragmentsOrOther++
	} else {
		var src, dst tcpip.Addr
		copy(src[:], f[26:30])
		copy(dst[:], f[30:34])
		got := binary.BigEndian.Uint16(f[c.Field:])
		switch {
		case got == tcpip.PartialChecksum(src, dst, c.Proto, c.End-c.Start):
			d.partial++
		case tcpip.Checksum(f[c.Start:c.End], tcpip.PseudoHeaderSum(src, dst, c.Proto, c.End-c.Start)) == 0xffff:
			d.full++
		default:
			d.err = "a frame's checksum is neither partial nor whole"
		}
		c.Seed(f)
		binary.BigEndian.PutUint16(f[c.Field:], ^tcpip.Checksum(f[c.Start:c.End], 0))
	}
	d.mu.Unlock()
	return d.PipeEnd.WriteFrame(f)
}

// TestChecksumOffload sends UDP (one datagram that fits, one that is
// fragmented) and a TCP stream through a device that offloads checksums:
// the stack leaves unfragmented packets' checksums to the device and
// computes fragmented ones itself, and the peer, which checks every
// checksum, receives everything intact.
func TestChecksumOffload(t *testing.T) {
	a, b := link.NewPipe(link.PipeConfig{}, tcpip.MAC{2, 0, 0, 0, 0, 1}, tcpip.MAC{2, 0, 0, 0, 0, 2})
	dev := &offloadDev{PipeEnd: a}
	ha, hb, addrB, ctx := offloadHosts(t, dev, b)

	got := make(chan []byte, 4)
	conn, err := nethost.ListenUDP(hb.UDP, tcpip.FullAddr{Port: 9000}, -1, func(_ tcpip.FullAddr, p []byte) {
		got <- append([]byte(nil), p...)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	send, err := nethost.ListenUDP(ha.UDP, tcpip.FullAddr{}, -1, func(tcpip.FullAddr, []byte) {})
	if err != nil {
		t.Fatal(err)
	}
	defer send.Close()
	for _, n := range []int{100, 4000} {
		msg := bytes.Repeat([]byte{byte(n)}, n)
		if err := send.SendTo(tcpip.FullAddr{Addr: addrB, Port: 9000}, msg); err != nil {
			t.Fatal(err)
		}
		select {
		case p := <-got:
			if !bytes.Equal(p, msg) {
				t.Fatalf("%d-byte datagram arrived as %d bytes", n, len(p))
			}
		case <-ctx.Done():
			t.Fatalf("%d-byte datagram never arrived (a bad checksum?)", n)
		}
	}

	tcpStream(t, ctx, ha, hb, addrB, bytes.Repeat([]byte("offload "), 40000))
	dev.mu.Lock()
	defer dev.mu.Unlock()
	if dev.err != "" {
		t.Error(dev.err)
	}
	// The fragmented datagram's pieces pass whole; everything else is
	// left to the device.
	if dev.full != 0 || dev.partial < 100 || dev.fragmentsOrOther < 3 {
		t.Errorf("%d partial, %d whole, %d fragments or other frames", dev.partial, dev.full, dev.fragmentsOrOther)
	}
}

// offloadHosts joins a host on dev, a device wrapping one end of a pipe,
// and one on b, the other end: 10.9.0.1 and 10.9.0.2 (addrB).
func offloadHosts(t *testing.T, dev link.Endpoint, b *link.PipeEnd) (ha, hb *nethost.Host, addrB tcpip.Addr, ctx context.Context) {
	t.Helper()
	ha, err := nethost.New(dev, nethost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ha.Close)
	hb, err = nethost.New(b, nethost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hb.Close)
	addrB = tcpip.MustParseAddr("10.9.0.2")
	ha.Configure(tcpip.MustParseAddr("10.9.0.1"), 24, tcpip.Addr{}, nil)
	hb.Configure(addrB, 24, tcpip.Addr{}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ha, hb, addrB, ctx
}

// tcpStream sends data from ha to a listener on hb and fails unless it
// all arrives intact.
func tcpStream(t *testing.T, ctx context.Context, ha, hb *nethost.Host, addrB tcpip.Addr, data []byte) {
	t.Helper()
	l, _ := socket.NewLayer(hb.Stack).Socket(socket.Stream)
	l.Bind(tcpip.FullAddr{Port: 80})
	l.Listen(1)
	werr := make(chan error, 1)
	go func() {
		c, err := socket.NewLayer(ha.Stack).Socket(socket.Stream)
		if err == nil {
			err = c.Connect(ctx, tcpip.FullAddr{Addr: addrB, Port: 80})
		}
		if err == nil {
			_, err = c.Write(ctx, data)
			c.Close()
		}
		werr <- err
	}()
	s, _, err := l.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var recv bytes.Buffer
	buf := make([]byte, 65536)
	for {
		n, err := s.Read(ctx, buf)
		recv.Write(buf[:n])
		if n == 0 || err != nil {
			if err != io.EOF && err != nil {
				t.Fatalf("read after %d bytes: %v", recv.Len(), err)
			}
			break
		}
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(recv.Bytes(), data) {
		t.Fatalf("TCP stream: %d bytes arrived, want %d intact", recv.Len(), len(data))
	}
}
