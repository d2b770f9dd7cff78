package sockfile

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"scone/kernel/net/link"
	"scone/kernel/net/nettest"
	"scone/kernel/net/socket"
	"scone/kernel/net/tcp"
	"scone/kernel/net/tcpip"
)

// wire records what host A puts on the link.
type wire struct {
	mu              sync.Mutex
	frames, biggest int
	fragments       int
	synMSS          []int // MSS options of A's SYNs
}

func (w *wire) observe(a *link.PipeEnd) func(*link.PipeEnd, []byte) {
	return func(from *link.PipeEnd, f []byte) {
		if from != a {
			return
		}
		pkt := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.NoCopy)
		w.mu.Lock()
		defer w.mu.Unlock()
		w.frames++
		ip, ok := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		if !ok {
			return
		}
		w.biggest = max(w.biggest, int(ip.Length))
		if ip.Flags&layers.IPv4MoreFragments != 0 || ip.FragOffset != 0 {
			w.fragments++
		}
		if t, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP); ok && t.SYN {
			for _, o := range t.Options {
				if o.OptionType == layers.TCPOptionKindMSS && len(o.OptionData) == 2 {
					w.synMSS = append(w.synMSS, int(binary.BigEndian.Uint16(o.OptionData)))
				}
			}
		}
	}
}

// reset forgets what was seen and returns the frame count before.
func (w *wire) reset() (frames int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	frames = w.frames
	w.frames, w.biggest, w.fragments, w.synMSS = 0, 0, 0, nil
	return frames
}

func (w *wire) get() (frames, biggest, fragments int, synMSS []int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.frames, w.biggest, w.fragments, append([]int(nil), w.synMSS...)
}

func ifSet(t *testing.T, p *nettest.Pair, cmd uint32, v uint32) {
	t.Helper()
	b := ifreq("eth0", binary.LittleEndian.AppendUint32(nil, v))
	if err := IfreqIoctl(p.A, cmd, b); err != nil {
		t.Fatalf("ioctl %#x %d: %v", cmd, v, err)
	}
}

// moveData writes data on c and reads it all on s.
func moveData(t *testing.T, c, s socket.Socket, data []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(ctx, data)
		errc <- err
	}()
	got := make([]byte, len(data))
	if _, err := io.ReadFull(readerCtx{ctx, s}, got); err != nil {
		t.Fatalf("read: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("write: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("data differs")
	}
}

type readerCtx struct {
	ctx context.Context
	s   socket.Socket
}

func (r readerCtx) Read(b []byte) (int, error) {
	n, err := r.s.Read(r.ctx, b)
	if n == 0 && err == nil {
		return 0, io.EOF
	}
	return n, err
}

// quiet waits until the connection has nothing in flight.
func quiet(t *testing.T, c socket.Socket) {
	t.Helper()
	nettest.Poll(t, 10*time.Second, "the data acknowledged", func() bool {
		return c.(interface{ Info() tcp.Info }).Info().InFlight == 0
	})
}

// TestInterfaceMTUAndDown: SIOCSIFMTU takes effect for the segments an
// established connection sends next (its MSS follows the interface, as
// Linux's tcp_sync_mss; nothing is fragmented) and for the MSS a new
// connection announces; SIOCSIFFLAGS without IFF_UP stops the interface
// sending and receiving (routes through it go, so a connect is
// ENETUNREACH) and bringing it up restores its subnet route, and the
// connection carries on.
func TestInterfaceMTUAndDown(t *testing.T) {
	var w wire
	var a *link.PipeEnd
	p := nettest.NewPair(t, nettest.PairOptions{
		Link: link.PipeConfig{Observe: func(from *link.PipeEnd, f []byte) {
			if a != nil {
				w.observe(a)(from, f)
			}
		}},
		TCP: tcp.Options{MinRTO: 10 * time.Millisecond, InitialRTO: 100 * time.Millisecond, MaxRTO: 200 * time.Millisecond},
	})
	a = p.EndA
	la, lb := socket.NewLayer(p.A), socket.NewLayer(p.B)
	l, _ := lb.Socket(socket.Stream)
	defer l.Close()
	l.Bind(tcpip.FullAddr{Port: 80})
	l.Listen(8)
	ctx := context.Background()
	dial := func() (socket.Socket, error) {
		c, _ := la.Socket(socket.Stream)
		return c, c.Connect(ctx, tcpip.FullAddr{Addr: nettest.AddrB, Port: 80})
	}
	c, err := dial()
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := l.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), 16<<10) // 256 KiB
	moveData(t, c, s, data)
	quiet(t, c)
	if _, biggest, _, _ := w.get(); biggest != 1500 {
		t.Fatalf("largest datagram at MTU 1500: %d", biggest)
	}

	ifSet(t, p, SIOCSIFMTU, 1000)
	w.reset()
	moveData(t, c, s, data)
	if _, biggest, frags, _ := w.get(); biggest != 1000 || frags != 0 {
		t.Errorf("after SIOCSIFMTU 1000: largest datagram %d, %d fragments; want 1000 and none", biggest, frags)
	}
	c2, err := dial()
	if err != nil {
		t.Fatal(err)
	}
	s2, _, _ := l.Accept(ctx)
	if _, _, _, mss := w.get(); len(mss) != 1 || mss[0] != 960 {
		t.Errorf("a new connection's SYN announced MSS %v, want 960", mss)
	}
	c2.Close()
	s2.Close()
	quiet(t, c)

	// Down: nothing leaves A, nothing reaches it, no route through it.
	ifSet(t, p, SIOCSIFFLAGS, 0)
	w.reset()
	before := nicInfo(t, p)
	if _, err := dial(); err != syscall.ENETUNREACH {
		t.Errorf("connect through a down interface: %v, want ENETUNREACH", err)
	}
	for _, r := range p.A.Routes() {
		if r.NIC == p.NICA {
			t.Errorf("route %v through the down interface", r)
		}
	}
	pctx, pcancel := context.WithTimeout(ctx, 300*time.Millisecond)
	if _, err := p.B.ICMP().Ping(pctx, nettest.AddrA, 1, nil); err == nil {
		t.Error("a down interface answered a ping")
	}
	pcancel()
	timeouts := p.TCPA.Stats().Timeouts
	writeErr := make(chan error, 1)
	go func() {
		_, err := c.Write(ctx, data)
		writeErr <- err
	}()
	// The connection keeps trying while down, and must stay silent.
	nettest.Poll(t, 10*time.Second, "retransmission timeouts while down", func() bool {
		return p.TCPA.Stats().Timeouts >= timeouts+2
	})
	after := nicInfo(t, p)
	if frames := w.reset(); frames != 0 || after.TxPackets != before.TxPackets || after.RxPackets != before.RxPackets {
		t.Errorf("while down: %d frames sent; tx %d->%d rx %d->%d", frames, before.TxPackets, after.TxPackets, before.RxPackets, after.RxPackets)
	}

	// Up again: the subnet route returns and the stalled write completes.
	ifSet(t, p, SIOCSIFFLAGS, iffUp)
	got := make([]byte, len(data))
	rctx, rcancel := context.WithTimeout(ctx, 30*time.Second)
	defer rcancel()
	if _, err := io.ReadFull(readerCtx{rctx, s}, got); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("after up: read %v, data equal %v", err, bytes.Equal(got, data))
	}
	if err := <-writeErr; err != nil {
		t.Errorf("write across the down time: %v", err)
	}
	c3, err := dial()
	if err != nil {
		t.Errorf("connect after up: %v", err)
	} else {
		c3.Close()
	}
	c.Close()
	s.Close()
}

func nicInfo(t *testing.T, p *nettest.Pair) (n struct{ TxPackets, RxPackets uint64 }) {
	for _, i := range p.A.NICs() {
		if i.ID == p.NICA {
			n.TxPackets, n.RxPackets = i.TxPackets, i.RxPackets
		}
	}
	return n
}
