package ipv4

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"

	"scone/kernel/net/clock"
	"scone/kernel/net/tcpip"
)

var (
	src = tcpip.AddrFrom4(10, 0, 0, 1)
	dst = tcpip.AddrFrom4(10, 0, 0, 2)
)

func packet(h Header, payload []byte) []byte {
	b := make([]byte, HeaderLen+len(payload))
	h.TotalLen = len(b)
	Encode(b, &h)
	copy(b[HeaderLen:], payload)
	return b
}

func TestHeaderRoundTrip(t *testing.T) {
	h := Header{TOS: 0x10, ID: 0x1234, Flags: FlagMF, FragOffset: 1480, TTL: 63, Protocol: tcpip.ProtoUDP, Src: src, Dst: dst}
	b := packet(h, []byte("payload"))
	b = append(b, 0, 0, 0) // link padding is trimmed
	got, p, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	h.HeaderLen, h.TotalLen = HeaderLen, HeaderLen+7
	if got != h || string(p) != "payload" {
		t.Fatalf("Parse = %+v %q, want %+v", got, p, h)
	}
}

func TestParseErrors(t *testing.T) {
	good := packet(Header{TTL: 64, Protocol: 17, Src: src, Dst: dst}, make([]byte, 8))
	withOpts := func(opts ...byte) []byte {
		b := make([]byte, HeaderLen+len(opts)+8)
		copy(b, good[:HeaderLen])
		copy(b[HeaderLen:], opts)
		b[0] = 0x40 | byte((HeaderLen+len(opts))/4)
		b[2], b[3] = 0, byte(len(b))
		b[10], b[11] = 0, 0
		c := ^tcpip.Checksum(b[:HeaderLen+len(opts)], 0)
		b[10], b[11] = byte(c>>8), byte(c)
		return b
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"short", good[:19], ErrTooShort},
		{"version 6", func() []byte { b := bytes.Clone(good); b[0] = 0x65; return b }(), ErrVersion},
		{"ihl 4", func() []byte { b := bytes.Clone(good); b[0] = 0x44; return b }(), ErrHeaderLen},
		{"ihl beyond packet", good[:HeaderLen], ErrTotalLen},
		{"total beyond packet", func() []byte { b := bytes.Clone(good); b[3] = 200; return b }(), ErrTotalLen},
		{"checksum", func() []byte { b := bytes.Clone(good); b[8]--; return b }(), ErrChecksum},
		{"option overruns", withOpts(7, 9, 0, 0), ErrBadOptions},
		{"option length 1", withOpts(7, 1, 0, 0), ErrBadOptions},
		{"nop nop rr", withOpts(1, 1, 7, 2), nil},
		{"end then junk", withOpts(0, 0xff, 0xff, 0xff), nil},
	} {
		if _, _, err := Parse(tc.b); err != tc.want {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestFragmentAndReassemble(t *testing.T) {
	hdr := []byte("transport-header")
	payload := make([]byte, 4000)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	total := len(hdr) + len(payload)
	const mtu = 576
	size := FragmentSize(mtu, total)
	if size%8 != 0 || size+HeaderLen > mtu {
		t.Fatalf("FragmentSize = %d", size)
	}
	var frags [][]byte
	for off := 0; off < total; off += size {
		n := min(size, total-off)
		h := Header{ID: 9, TTL: 64, Protocol: 17, Src: src, Dst: dst, FragOffset: off}
		if off+n < total {
			h.Flags = FlagMF
		}
		body := make([]byte, n)
		CopyRange(body, hdr, payload, off, n)
		frags = append(frags, packet(h, body))
	}
	want := append(bytes.Clone(hdr), payload...)
	// Deliver in a shuffled order with a duplicate: reassembly must not care.
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(frags), func(i, j int) { frags[i], frags[j] = frags[j], frags[i] })
	frags = append(frags[:2], append([][]byte{frags[0]}, frags[2:]...)...)
	r := NewReassembler(ReassemblyConfig{}, clock.NewFake())
	var got []byte
	for i, f := range frags {
		h, p, err := Parse(f)
		if err != nil {
			t.Fatal(err)
		}
		whole, done, err := r.Add(&h, p)
		if err != nil {
			t.Fatalf("fragment %d: %v", i, err)
		}
		if done {
			if got != nil {
				t.Fatal("completed twice")
			}
			got = whole
		}
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("reassembled %d bytes, want %d equal", len(got), len(want))
	}
	if n, b := r.Pending(); n != 0 || b != 0 {
		t.Fatalf("pending after completion: %d datagrams, %d bytes", n, b)
	}
}

func frag(id uint16, off int, data []byte, more bool) (*Header, []byte) {
	h := &Header{ID: id, Protocol: 17, Src: src, Dst: dst, FragOffset: off}
	if more {
		h.Flags = FlagMF
	}
	return h, data
}

func TestReassemblyErrors(t *testing.T) {
	r := NewReassembler(ReassemblyConfig{}, clock.NewFake())
	d16 := make([]byte, 16)
	if _, _, err := r.Add(frag(1, 0, make([]byte, 10), true)); err != ErrFragAlign {
		t.Errorf("unaligned: %v", err)
	}
	r.Add(frag(2, 0, d16, true))
	if _, _, err := r.Add(frag(2, 8, d16, true)); err != ErrOverlap {
		t.Errorf("overlap: %v", err)
	}
	r.Add(frag(3, 16, d16, false))
	if _, _, err := r.Add(frag(3, 0, make([]byte, 40), true)); err != ErrInconsistent {
		t.Errorf("beyond end: %v", err)
	}
	r.Add(frag(4, 16, d16, false))
	if _, _, err := r.Add(frag(4, 32, d16, false)); err != ErrInconsistent {
		t.Errorf("two ends: %v", err)
	}
	if n, b := r.Pending(); n != 0 || b != 0 {
		t.Fatalf("failed datagrams kept: %d, %d bytes", n, b)
	}
}

func TestReassemblyBounds(t *testing.T) {
	clk := clock.NewFake()
	r := NewReassembler(ReassemblyConfig{MaxBytes: 64 << 10, MaxDatagrams: 8}, clk)
	// A flood of first fragments that never complete.
	for i := 0; i < 1000; i++ {
		r.Add(frag(uint16(i), 0, make([]byte, 8000), true))
		if n, b := r.Pending(); n > 8 || b > 64<<10 {
			t.Fatalf("after %d: %d datagrams, %d bytes", i, n, b)
		}
	}
	if r.Stats.Evicted.Value() == 0 {
		t.Fatal("nothing evicted")
	}
	// A datagram still completes after the flood.
	r.Add(frag(5000, 0, make([]byte, 8), true))
	if _, done, _ := r.Add(frag(5000, 8, make([]byte, 8), false)); !done {
		t.Fatal("datagram did not complete after flood")
	}
	clk.Advance(31 * time.Second)
	if n, b := r.Pending(); n != 0 || b != 0 {
		t.Fatalf("after timeout: %d datagrams, %d bytes", n, b)
	}
	if r.Stats.Timeouts.Value() == 0 {
		t.Fatal("no timeouts counted")
	}
}

func TestRouteTable(t *testing.T) {
	var rt RouteTable
	rt.Add(RouteEntry{Dest: tcpip.Subnet{Bits: 0}, Gateway: tcpip.AddrFrom4(10, 0, 2, 2), NIC: 1})
	rt.Add(RouteEntry{Dest: tcpip.SubnetOf(tcpip.AddrFrom4(10, 0, 2, 15), 24), NIC: 1})
	rt.Add(RouteEntry{Dest: tcpip.SubnetOf(tcpip.AddrFrom4(127, 0, 0, 1), 8), NIC: 0})
	for _, tc := range []struct {
		dst     string
		nic     int
		gateway string
	}{
		{"10.0.2.3", 1, "0.0.0.0"},
		{"127.1.2.3", 0, "0.0.0.0"},
		{"8.8.8.8", 1, "10.0.2.2"},
	} {
		e, ok := rt.Lookup(tcpip.MustParseAddr(tc.dst))
		if !ok || e.NIC != tc.nic || e.Gateway.String() != tc.gateway {
			t.Errorf("Lookup(%s) = %+v, %v", tc.dst, e, ok)
		}
	}
	rt.RemoveNIC(1)
	if _, ok := rt.Lookup(tcpip.MustParseAddr("8.8.8.8")); ok {
		t.Error("route survived RemoveNIC")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(packet(Header{TTL: 64, Protocol: 6, Src: src, Dst: dst}, []byte("x")))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, p, err := Parse(b)
		if err != nil {
			return
		}
		if len(p) != h.TotalLen-h.HeaderLen {
			t.Fatalf("payload %d bytes, header says %d", len(p), h.TotalLen-h.HeaderLen)
		}
	})
}

// FuzzReassembly feeds arbitrary fragment sequences: no panic, memory
// within bounds, and a completed datagram covers the fragment completing it.
func FuzzReassembly(f *testing.F) {
	f.Add([]byte{0, 2, 1, 2, 1, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		r := NewReassembler(ReassemblyConfig{MaxBytes: 32 << 10, MaxDatagrams: 4}, clock.NewFake())
		for len(ops) >= 3 {
			id, off, n := uint16(ops[0]&7), int(ops[1])*8*16, int(ops[2])*8
			more := ops[0]&8 == 0
			if ops[0]&16 != 0 {
				n++ // sometimes unaligned
			}
			ops = ops[3:]
			whole, done, _ := r.Add(frag(id, off, make([]byte, n), more))
			if done && len(whole) < off+n {
				t.Fatalf("completed with %d bytes, a fragment ended at %d", len(whole), off+n)
			}
			if d, b := r.Pending(); d > 4 || b > 32<<10 {
				t.Fatalf("%d datagrams, %d bytes", d, b)
			}
		}
	})
}
