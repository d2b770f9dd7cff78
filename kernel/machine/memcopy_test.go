package machine

import (
	"bytes"
	"testing"
)

// TestMemcopy copies every length up to 300 bytes between every pair of
// misalignments up to 16, and checks the bytes around the copy are left
// alone.
func TestMemcopy(t *testing.T) {
	src := make([]byte, 400)
	for i := range src {
		src[i] = byte(i*7 + 1)
	}
	for n := 0; n <= 300; n++ {
		for so := 0; so < 16; so++ {
			for do := 0; do < 16; do += 3 {
				dst := bytes.Repeat([]byte{0xEE}, 400)
				if n > 0 {
					memcopy(addr(&dst[do]), addr(&src[so]), uintptr(n))
				}
				want := bytes.Repeat([]byte{0xEE}, 400)
				copy(want[do:], src[so:so+n])
				if !bytes.Equal(dst, want) {
					t.Fatalf("memcopy of %d bytes from offset %d to offset %d went wrong", n, so, do)
				}
			}
		}
	}
}

// TestMemclr zeroes every multiple of 8 up to 520 bytes at every
// alignment up to 16, and nothing beyond.
func TestMemclr(t *testing.T) {
	for n := 0; n <= 520; n += 8 {
		for o := 0; o < 16; o++ {
			b := bytes.Repeat([]byte{0xEE}, 600)
			if n > 0 {
				memclr(addr(&b[o]), uintptr(n))
			}
			want := bytes.Repeat([]byte{0xEE}, 600)
			clear(want[o : o+n])
			if !bytes.Equal(b, want) {
				t.Fatalf("memclr of %d bytes at offset %d went wrong", n, o)
			}
		}
	}
}
