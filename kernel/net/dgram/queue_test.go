package dgram

import (
	"testing"

	"scone/kernel/net/tcpip"
)

func TestQueue(t *testing.T) {
	var q Queue
	for i := 0; i < Len+5; i++ {
		ok := q.Push(tcpip.FullAddr{Port: uint16(i)}, tcpip.Addr{}, 64, []byte{byte(i), byte(i)})
		if ok != (i < Len) {
			t.Fatalf("Push %d = %v", i, ok)
		}
	}
	b := make([]byte, 1) // shorter than the datagrams: truncated
	for i := 0; i < Len; i++ {
		n, from, ok := q.Pop(b)
		if !ok || n != 1 || b[0] != byte(i) || from.Port != uint16(i) {
			t.Fatalf("Pop %d = %d %v %v, byte %d", i, n, from, ok, b[0])
		}
		// The ring wraps: refill as we go.
		if i < 3 {
			q.Push(tcpip.FullAddr{Port: uint16(100 + i)}, tcpip.Addr{}, 64, []byte{byte(100 + i)})
		}
	}
	if q.Len() != 3 {
		t.Fatalf("Len = %d, want 3", q.Len())
	}
	if _, from, _ := q.Pop(b); from.Port != 100 {
		t.Fatalf("after wrap, Pop from %v", from)
	}
	q.Clear()
	if _, _, ok := q.Pop(b); ok {
		t.Fatal("Pop after Clear")
	}
}

func TestQueueDropsBigBuffers(t *testing.T) {
	var q Queue
	q.Push(tcpip.FullAddr{}, tcpip.Addr{}, 64, make([]byte, 60000))
	q.Push(tcpip.FullAddr{}, tcpip.Addr{}, 64, make([]byte, 100))
	b := make([]byte, 65536)
	q.Pop(b)
	q.Pop(b)
	if q.slots[0].buf != nil || cap(q.slots[1].buf) != 100 {
		t.Fatalf("kept %d and %d bytes; want the big buffer freed, the small kept",
			cap(q.slots[0].buf), cap(q.slots[1].buf))
	}
}
