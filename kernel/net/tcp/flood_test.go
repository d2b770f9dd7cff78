package tcp

import (
	"runtime"
	"testing"
	"time"

	"scone/kernel/net/tcpip"
)

// TestSynFlood sends SYNs from many spoofed sources that never complete
// the handshake, and checks that the listener holds at most MaxSynBacklog
// half-open connections, that memory stays bounded, that the half-open
// connections expire, and that a real client still gets through
// afterwards.
func TestSynFlood(t *testing.T) {
	const (
		synQueue = 64
		syns     = 20000
	)
	n := newSimNet(3)
	opts := Options{MaxSynBacklog: synQueue, SynRetries: 2}
	pb := n.addHost(addrB, opts)
	n.addRaw(addrR) // SYN-ACKs to the spoofed sources vanish here
	l := pb.NewEndpoint()
	l.Bind(tcpip.FullAddr{Port: 80})
	l.Listen(16)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var hb [maxHeaderLen]byte
	for i := 0; i < syns; i++ {
		src := tcpip.AddrFrom4(172, 16+byte(i>>16), byte(i>>8), byte(i))
		n.mu.Lock()
		n.raw[src] = n.raw[addrR]
		n.mu.Unlock()
		o := outSegment{srcPort: uint16(1024 + i%60000), dstPort: 80, seq: seqnum(i * 7919), flags: flagSYN, wnd: 1000, mss: 1460, wndScale: -1}
		h := o.build(hb[:], src, addrB, nil)
		pb.HandlePacket(tcpip.PacketInfo{Src: src, Dst: addrB}, h)
		if c := pb.ConnCount(); c > synQueue {
			t.Fatalf("after %d SYNs: %d half-open connections, limit %d", i+1, c, synQueue)
		}
	}
	n.mu.Lock()
	*n.raw[addrR] = nil // drop the captured SYN-ACKs before measuring
	n.mu.Unlock()
	runtime.GC()
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	if grown > 4<<20 {
		t.Errorf("heap grew by %d bytes under a SYN flood", grown)
	}
	st := pb.Stats()
	if st.ListenDrops != syns-synQueue {
		t.Errorf("ListenDrops %d, want %d", st.ListenDrops, syns-synQueue)
	}
	t.Logf("%d SYNs: %d half-open kept, heap grew %d KiB", syns, pb.ConnCount(), grown>>10)

	// The half-open connections give up (SYN-ACK retries), freeing the queue.
	n.clk.Advance(time.Hour)
	if c := pb.ConnCount(); c != 0 {
		t.Fatalf("%d half-open connections after their SYN-ACKs timed out", c)
	}
	pa := n.addHost(addrA, opts)
	c := pa.NewEndpoint()
	c.SetNonblocking(true)
	c.Connect(bg, tcpip.FullAddr{Addr: addrB, Port: 80})
	if !n.runUntil(time.Minute, func() bool { return c.State() == StateEstablished }) {
		t.Fatalf("legitimate client after the flood: %v %v %+v", c.State(), c.Error(), pb.Stats())
	}
}
