package tcp

import (
	"bytes"
	"io"
	"syscall"
	"testing"
	"time"

	"scone/kernel/net/tcpip"
)

// TestSimultaneousOpenClosePair runs simultaneous open and simultaneous
// close between two TCP instances: each side connects to the other's bound
// port before either SYN arrives, talks, and shuts down before either FIN
// arrives.
func TestSimultaneousOpenClosePair(t *testing.T) {
	n := newSimNet(5)
	pa, pb := n.addHost(addrA, Options{MSL: time.Second}), n.addHost(addrB, Options{MSL: time.Second})
	a, b := pa.NewEndpoint(), pb.NewEndpoint()
	for _, x := range []struct {
		e    *Endpoint
		port uint16
	}{{a, 5000}, {b, 6000}} {
		x.e.SetNonblocking(true)
		if err := x.e.Bind(tcpip.FullAddr{Port: x.port}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Connect(bg, tcpip.FullAddr{Addr: addrB, Port: 6000}); err != syscall.EINPROGRESS {
		t.Fatal(err)
	}
	if err := b.Connect(bg, tcpip.FullAddr{Addr: addrA, Port: 5000}); err != syscall.EINPROGRESS {
		t.Fatal(err)
	}
	var sawSynRcvd bool
	if !n.runUntil(time.Minute, func() bool {
		sawSynRcvd = sawSynRcvd || a.State() == StateSynReceived || b.State() == StateSynReceived
		return a.State() == StateEstablished && b.State() == StateEstablished
	}) {
		t.Fatalf("simultaneous open: %v / %v", a.State(), b.State())
	}
	if !sawSynRcvd {
		t.Error("the SYNs did not cross (never in SYN-RECEIVED)")
	}
	if st := pa.Stats(); st.ActiveOpens != 1 || st.PassiveOpens != 0 {
		t.Errorf("A: ActiveOpens %d PassiveOpens %d", st.ActiveOpens, st.PassiveOpens)
	}
	a.Write(bg, []byte("from a"))
	b.Write(bg, []byte("from b"))
	// Both close at once: FINs cross, both go through CLOSING to TIME-WAIT.
	a.Shutdown(ShutWr)
	b.Shutdown(ShutWr)
	var sawClosing bool
	if !n.runUntil(time.Minute, func() bool {
		sawClosing = sawClosing || a.State() == StateClosing || b.State() == StateClosing
		return a.State() == StateTimeWait && b.State() == StateTimeWait
	}) {
		t.Fatalf("simultaneous close: %v / %v", a.State(), b.State())
	}
	if !sawClosing {
		t.Error("the FINs did not cross (never in CLOSING)")
	}
	for _, x := range []struct {
		e    *Endpoint
		want string
	}{{a, "from b"}, {b, "from a"}} {
		buf := make([]byte, 16)
		k, _ := x.e.Read(bg, buf)
		if _, err := x.e.Read(bg, buf[k:]); err != io.EOF || !bytes.Equal(buf[:k], []byte(x.want)) {
			t.Errorf("read %q then %v, want %q then EOF", buf[:k], err, x.want)
		}
	}
	n.clk.Advance(3 * time.Second)
	if a.State() != StateClosed || b.State() != StateClosed || pa.ConnCount()+pb.ConnCount() != 0 {
		t.Fatalf("after 2*MSL: %v / %v", a.State(), b.State())
	}
}

// TestResetBetweenPair checks the resets two instances exchange: connecting
// to a closed port is refused, and closing with unread data resets the
// peer, whose next read reports ECONNRESET.
func TestResetBetweenPair(t *testing.T) {
	n := newSimNet(6)
	pr := newPair(t, n, Options{})
	c := pr.pa.NewEndpoint()
	c.SetNonblocking(true)
	c.Connect(bg, tcpip.FullAddr{Addr: addrB, Port: 81})
	n.runUntil(time.Minute, func() bool { return c.State() == StateClosed })
	if err := c.Error(); err != syscall.ECONNREFUSED {
		t.Fatalf("connect to a closed port: %v", err)
	}
	pr.client.Write(bg, []byte("unread"))
	n.runUntil(time.Minute, func() bool { return pr.server.Readiness()&1 != 0 })
	pr.server.Close()
	n.runUntil(time.Minute, func() bool { return pr.client.State() == StateClosed })
	if _, err := pr.client.Read(bg, make([]byte, 1)); err != syscall.ECONNRESET {
		t.Fatalf("read after the peer reset: %v", err)
	}
	if st := pr.pa.Stats(); st.EstabResets != 1 || st.InRsts != 2 {
		t.Errorf("EstabResets %d InRsts %d, want 1 and 2", st.EstabResets, st.InRsts)
	}
}

// TestZeroWindowPair fills a receiver that does not read, keeps the
// sender probing for a long while, then reads: everything arrives.
func TestZeroWindowPair(t *testing.T) {
	n := newSimNet(8)
	pr := newPair(t, n, Options{ReceiveBuffer: 16 << 10, SendBuffer: 64 << 10})
	data := bytes.Repeat([]byte("0123456789abcdef"), 4<<10) // 64 KiB
	w, _ := pr.client.Write(bg, data)
	n.runUntil(10*time.Minute, func() bool { return false }) // ten minutes of a closed window
	if st := pr.pa.Stats(); st.ZeroWndProbes == 0 || pr.client.State() != StateEstablished {
		t.Fatalf("probes %d, state %v", st.ZeroWndProbes, pr.client.State())
	}
	var got []byte
	buf := make([]byte, 4096)
	if !n.runUntil(time.Minute, func() bool {
		for {
			if w < len(data) {
				k, _ := pr.client.Write(bg, data[w:])
				w += k
			}
			k, err := pr.server.Read(bg, buf)
			got = append(got, buf[:k]...)
			if err != nil || k == 0 {
				break
			}
		}
		return len(got) == len(data)
	}) {
		t.Fatalf("received %d of %d bytes after the window opened", len(got), len(data))
	}
	if !bytes.Equal(got, data) {
		t.Fatal("data differs")
	}
}
