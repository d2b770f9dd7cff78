package udp

import (
	"bytes"
	"testing"

	"scone/kernel/net/tcpip"
)

var (
	a = tcpip.FullAddr{Addr: tcpip.AddrFrom4(10, 0, 0, 1), Port: 1234}
	b = tcpip.FullAddr{Addr: tcpip.AddrFrom4(10, 0, 0, 2), Port: 53}
)

func makeDatagram(payload []byte) []byte {
	d := make([]byte, HeaderLen+len(payload))
	Encode(d, a, b, payload)
	copy(d[HeaderLen:], payload)
	return d
}

func TestHeader(t *testing.T) {
	d := makeDatagram([]byte("query"))
	h, p, err := Parse(a.Addr, b.Addr, append(d, 0, 0)) // trailing bytes beyond Length are ignored
	if err != nil || h.SrcPort != 1234 || h.DstPort != 53 || h.Length != 13 || string(p) != "query" {
		t.Fatalf("Parse = %+v %q %v", h, p, err)
	}
	for _, tc := range []struct {
		name string
		mod  func([]byte) []byte
		src  tcpip.Addr
		want error
	}{
		{"short", func(d []byte) []byte { return d[:7] }, a.Addr, ErrTooShort},
		{"length too big", func(d []byte) []byte { d[5] = 200; return d }, a.Addr, ErrLength},
		{"length below header", func(d []byte) []byte { d[5] = 7; return d }, a.Addr, ErrLength},
		{"payload bit", func(d []byte) []byte { d[9] ^= 4; return d }, a.Addr, ErrChecksum},
		{"wrong pseudo-header", func(d []byte) []byte { return d }, tcpip.AddrFrom4(10, 0, 0, 3), ErrChecksum},
		{"no checksum", func(d []byte) []byte { d[6], d[7] = 0, 0; d[9] ^= 4; return d }, a.Addr, nil},
	} {
		if _, _, err := Parse(tc.src, b.Addr, tc.mod(bytes.Clone(d))); err != tc.want {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

// TestChecksumNeverZero: a datagram whose checksum computes to zero is sent
// with 0xffff, since zero means "no checksum".
func TestChecksumNeverZero(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		p := []byte{byte(i >> 8), byte(i)}
		d := makeDatagram(p)
		if d[6] == 0 && d[7] == 0 {
			t.Fatalf("payload %x got checksum 0", p)
		}
		if _, _, err := Parse(a.Addr, b.Addr, d); err != nil {
			t.Fatalf("payload %x: %v", p, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(makeDatagram([]byte("hello")))
	f.Fuzz(func(t *testing.T, d []byte) {
		h, p, err := Parse(a.Addr, b.Addr, d)
		if err == nil && len(p) != h.Length-HeaderLen {
			t.Fatalf("payload %d bytes, Length %d", len(p), h.Length)
		}
	})
}
