package arp

import (
	"bytes"
	"testing"
	"time"

	"scone/kernel/net/clock"
	"scone/kernel/net/tcpip"
)

type recorder struct {
	requests    []tcpip.Addr
	sent        [][]byte
	unreachable int
}

func (r *recorder) SendRequest(t tcpip.Addr) { r.requests = append(r.requests, t) }
func (r *recorder) SendQueued(f []byte)      { r.sent = append(r.sent, append([]byte(nil), f...)) }
func (r *recorder) Unreachable([]byte)       { r.unreachable++ }

var (
	ip1  = tcpip.AddrFrom4(10, 0, 0, 1)
	mac1 = tcpip.MAC{2, 0, 0, 0, 0, 1}
)

func TestPacketRoundTrip(t *testing.T) {
	p := Packet{Op: OpReply, SenderMAC: mac1, SenderIP: ip1, TargetMAC: tcpip.MAC{2, 0, 0, 0, 0, 2}, TargetIP: tcpip.AddrFrom4(10, 0, 0, 2)}
	b := make([]byte, PacketLen+18) // with Ethernet padding
	Encode(b, p)
	got, err := Parse(b)
	if err != nil || got != p {
		t.Fatalf("Parse = %+v, %v; want %+v", got, err, p)
	}
	for _, tc := range []struct {
		name string
		mod  func([]byte) []byte
		want error
	}{
		{"short", func(b []byte) []byte { return b[:27] }, ErrTooShort},
		{"hw type", func(b []byte) []byte { b[1] = 6; return b }, ErrUnsupported},
		{"proto", func(b []byte) []byte { b[2] = 0x86; return b }, ErrUnsupported},
		{"hlen", func(b []byte) []byte { b[4] = 8; return b }, ErrUnsupported},
		{"op", func(b []byte) []byte { b[7] = 3; return b }, ErrBadOp},
	} {
		c := append([]byte(nil), b...)
		if _, err := Parse(tc.mod(c)); err != tc.want {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestResolveQueuesAndFlushes(t *testing.T) {
	clk := clock.NewFake()
	r := &recorder{}
	c := NewCache(Config{MaxPending: 40}, clk, r) // room for two 20-byte frames
	frame := make([]byte, 20)
	frame[19] = 7
	for i := 0; i < 3; i++ {
		if _, ok := c.Resolve(ip1, frame); ok {
			t.Fatal("Resolve of unknown address succeeded")
		}
	}
	if len(r.requests) != 1 {
		t.Fatalf("sent %d requests, want 1", len(r.requests))
	}
	if c.Stats.PendingDrops.Value() != 1 {
		t.Fatalf("PendingDrops = %d, want 1 (queue bound 40 bytes)", c.Stats.PendingDrops.Value())
	}
	c.Update(ip1, mac1, false)
	if len(r.sent) != 2 || !bytes.Equal(r.sent[0][0:6], mac1[:]) || r.sent[0][19] != 7 {
		t.Fatalf("flushed %d frames %x, want 2 addressed to %v", len(r.sent), r.sent, mac1)
	}
	if mac, ok := c.Resolve(ip1, frame); !ok || mac != mac1 {
		t.Fatalf("Resolve after reply = %v, %v", mac, ok)
	}
}

func TestRetriesThenGivesUp(t *testing.T) {
	clk := clock.NewFake()
	r := &recorder{}
	c := NewCache(Config{}, clk, r)
	c.Resolve(ip1, make([]byte, 20))
	for i := 0; i < 10; i++ {
		clk.Advance(time.Second)
	}
	if len(r.requests) != 3 {
		t.Fatalf("sent %d requests, want 3", len(r.requests))
	}
	if r.unreachable != 1 {
		t.Fatalf("%d frames reported unreachable, want 1", r.unreachable)
	}
	if c.Len() != 0 || c.Stats.Failed.Value() != 1 || c.Stats.PendingDrops.Value() != 1 {
		t.Fatalf("after giving up: len %d failed %d drops %d", c.Len(), c.Stats.Failed.Value(), c.Stats.PendingDrops.Value())
	}
}

func TestAgeing(t *testing.T) {
	clk := clock.NewFake()
	r := &recorder{}
	c := NewCache(Config{}, clk, r)
	c.Update(ip1, mac1, true)
	clk.Advance(31 * time.Second) // reachable -> stale
	if _, ok := c.Resolve(ip1, nil); !ok {
		t.Fatal("stale entry not used")
	}
	if len(r.requests) != 1 {
		t.Fatalf("use of stale entry sent %d requests, want 1 probe", len(r.requests))
	}
	c.Update(ip1, mac1, false) // the probe is answered
	clk.Advance(31 * time.Second)
	clk.Advance(61 * time.Second) // stale and unused: removed
	if c.Len() != 0 {
		t.Fatalf("unused stale entry still cached")
	}
	// Update without create never adds.
	c.Update(ip1, mac1, false)
	if c.Len() != 0 {
		t.Fatal("Update(create=false) added an entry")
	}
}

func TestProbeFailureRemoves(t *testing.T) {
	clk := clock.NewFake()
	r := &recorder{}
	c := NewCache(Config{}, clk, r)
	c.Update(ip1, mac1, true)
	clk.Advance(31 * time.Second)
	c.Resolve(ip1, nil)
	clk.Advance(5 * time.Second)
	if _, ok := c.Lookup(ip1); ok {
		t.Fatal("entry survived unanswered probes")
	}
}

func TestBoundedEntries(t *testing.T) {
	clk := clock.NewFake()
	c := NewCache(Config{MaxEntries: 4}, clk, &recorder{})
	for i := 0; i < 100; i++ {
		c.Update(tcpip.AddrFrom4(10, 0, 1, byte(i)), mac1, true)
	}
	if c.Len() != 4 || c.Stats.Evictions.Value() != 96 {
		t.Fatalf("len %d evictions %d", c.Len(), c.Stats.Evictions.Value())
	}
	// A cache full of unresolved entries refuses new ones rather than grow.
	c2 := NewCache(Config{MaxEntries: 4}, clk, &recorder{})
	for i := 0; i < 10; i++ {
		c2.Resolve(tcpip.AddrFrom4(10, 0, 1, byte(i)), make([]byte, 14))
	}
	if c2.Len() != 4 {
		t.Fatalf("len %d, want 4", c2.Len())
	}
}

func FuzzParse(f *testing.F) {
	b := make([]byte, PacketLen)
	Encode(b, Packet{Op: OpRequest, SenderIP: ip1})
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			return
		}
		out := make([]byte, PacketLen)
		Encode(out, p)
		if !bytes.Equal(out, b[:PacketLen]) {
			t.Fatal("re-encode mismatch")
		}
	})
}

// TestResolveNilFrame: a nil frame (a packet too large for the queue,
// which its sender drops) starts resolution but queues nothing.
func TestResolveNilFrame(t *testing.T) {
	r := &recorder{}
	c := NewCache(Config{}, clock.NewFake(), r)
	if _, ok := c.Resolve(ip1, nil); ok {
		t.Fatal("Resolve of unknown address succeeded")
	}
	if len(r.requests) != 1 {
		t.Fatalf("sent %d requests, want 1", len(r.requests))
	}
	c.Update(ip1, mac1, false)
	if len(r.sent) != 0 {
		t.Fatalf("flushed %d frames for a nil one", len(r.sent))
	}
	if mac, ok := c.Resolve(ip1, nil); !ok || mac != mac1 {
		t.Fatalf("Resolve after reply = %v, %v", mac, ok)
	}
}
