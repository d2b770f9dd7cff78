package ethernet

import (
	"bytes"
	"testing"

	"scone/kernel/net/tcpip"
)

func TestRoundTrip(t *testing.T) {
	h := Header{
		Dst:  tcpip.MAC{1, 2, 3, 4, 5, 6},
		Src:  tcpip.MAC{0x52, 0x54, 0, 0x12, 0x34, 0x56},
		Type: TypeARP,
	}
	b := make([]byte, HeaderLen+3)
	Encode(b, h)
	copy(b[HeaderLen:], "abc")
	got, payload, err := Parse(b)
	if err != nil || got != h || !bytes.Equal(payload, []byte("abc")) {
		t.Fatalf("Parse = %+v, %q, %v; want %+v, \"abc\"", got, payload, err, h)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		frame []byte
		want  error
	}{
		{"empty", nil, ErrTooShort},
		{"13 bytes", make([]byte, 13), ErrTooShort},
		{"802.3 length", append(make([]byte, 12), 0x05, 0xdc), ErrLength},
	} {
		if _, _, err := Parse(tc.frame); err != tc.want {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(make([]byte, 14))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 8, 6, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, p, err := Parse(b)
		if err != nil {
			return
		}
		out := make([]byte, HeaderLen)
		Encode(out, h)
		if !bytes.Equal(out, b[:HeaderLen]) || len(p) != len(b)-HeaderLen {
			t.Fatalf("re-encode mismatch")
		}
	})
}
