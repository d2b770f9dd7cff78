package loopback

import (
	"testing"
	"time"

	"scone/kernel/net/link"
)

type sink chan []byte

func (s sink) DeliverFrame(f []byte) { s <- append([]byte(nil), f...) }

func TestLoopsBack(t *testing.T) {
	d := New(0)
	defer d.Close()
	s := make(sink, 1)
	d.Attach(s)
	big := make([]byte, link.EthernetHeaderLen+MTU)
	big[len(big)-1] = 0x5a
	if err := d.WriteFrame(big); err != nil {
		t.Fatal(err)
	}
	select {
	case f := <-s:
		if len(f) != len(big) || f[len(f)-1] != 0x5a {
			t.Fatalf("looped frame of %d bytes", len(f))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("frame did not come back")
	}
	if err := d.WriteFrame(make([]byte, len(big)+1)); err != link.ErrFrameTooLarge {
		t.Fatalf("oversized frame: %v", err)
	}
	var _ link.Endpoint = d
}
