package tcpip

import (
	"math/rand/v2"
	"testing"
)

// reference is RFC 1071's algorithm written plainly: 16-bit big-endian
// words, end-around carry.
func reference(b []byte, initial uint32) uint16 {
	s := uint64(initial)
	for i := 0; i+1 < len(b); i += 2 {
		s += uint64(b[i])<<8 | uint64(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint64(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

func TestChecksumMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 2000)
	for i := 0; i < 5000; i++ {
		n := rng.IntN(len(buf))
		b := buf[:n]
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		if i%7 == 0 { // all-ones data drives every carry path
			for j := range b {
				b[j] = 0xff
			}
		}
		initial := rng.Uint32() >> rng.IntN(32)
		if got, want := Checksum(b, initial), reference(b, initial); got != want {
			t.Fatalf("len %d initial %#x: Checksum = %#04x, reference %#04x", n, initial, got, want)
		}
	}
}

func TestChecksumRFC1071Example(t *testing.T) {
	// RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2.
	if got := Checksum([]byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}, 0); got != 0xddf2 {
		t.Fatalf("got %#04x, want 0xddf2", got)
	}
}

func FuzzChecksum(f *testing.F) {
	f.Add([]byte{1, 2, 3}, uint32(0))
	f.Fuzz(func(t *testing.T, b []byte, initial uint32) {
		if Checksum(b, initial) != reference(b, initial) {
			t.Fatal("mismatch with reference")
		}
	})
}

func BenchmarkChecksum1500(b *testing.B) {
	buf := make([]byte, 1500)
	b.SetBytes(1500)
	for i := 0; i < b.N; i++ {
		Checksum(buf, 0)
	}
}
