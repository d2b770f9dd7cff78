package tcp

import (
	"context"
	"io"
	"syscall"
	"testing"
	"time"
)

// TestReadVOptions reads "hello world" (11 bytes) queued on a connection
// with recv(2)'s flags and scattered buffers.
func TestReadVOptions(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sizes  []int
		o      RecvOptions
		want   string // what the buffers hold, joined
		n      int
		remain int // bytes still queued after the call
	}{
		{"plain", []int{5}, RecvOptions{}, "hello", 5, 6},
		{"scatter", []int{3, 0, 4, 10}, RecvOptions{}, "hello world", 11, 0},
		{"peek", []int{5}, RecvOptions{Peek: true}, "hello", 5, 11},
		{"peek-scatter", []int{2, 20}, RecvOptions{Peek: true}, "hello world", 11, 11},
		{"discard", []int{4}, RecvOptions{Discard: true}, "\x00\x00\x00\x00", 4, 7},
		{"waitall-enough", []int{4, 4}, RecvOptions{WaitAll: true}, "hello wo", 8, 3},
		// Non-blocking, Linux returns what a MSG_WAITALL peek found.
		{"peek-waitall-short", []int{20}, RecvOptions{Peek: true, WaitAll: true}, "hello world", 11, 11},
		{"peek-waitall-dontwait", []int{20}, RecvOptions{Peek: true, WaitAll: true, NoWait: true}, "hello world", 11, 11},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRawPeer(t, Options{})
			c := r.established()
			c.seg(flagACK|flagPSH, []byte("hello world"))
			var bufs [][]byte
			for _, k := range tc.sizes {
				bufs = append(bufs, make([]byte, k))
			}
			n, err := c.e.ReadV(bg, bufs, tc.o)
			var got []byte
			for _, b := range bufs {
				got = append(got, b...)
			}
			if err != nil || n != tc.n || string(got[:len(tc.want)]) != tc.want {
				t.Errorf("ReadV = %d, %v, %q; want %d, %q", n, err, got, tc.n, tc.want)
			}
			if q := c.e.rcv.len(); q != tc.remain {
				t.Errorf("%d bytes left queued, want %d", q, tc.remain)
			}
		})
	}
}

// TestReadVWaitAll blocks a MSG_WAITALL read until its buffer is full,
// across several segments; at EOF it returns what it has.
func TestReadVWaitAll(t *testing.T) {
	r := newRawPeer(t, Options{})
	c := r.established()
	c.e.SetNonblocking(false)
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	buf := make([]byte, 10)
	go func() {
		n, err := c.e.ReadV(bg, [][]byte{buf}, RecvOptions{WaitAll: true})
		done <- result{n, err}
	}()
	awaitSleepers(t, c.e, 1)
	c.seg(flagACK, []byte("01234"))
	awaitSleepers(t, c.e, 1) // took 5, asleep again for the rest
	c.seg(flagACK, []byte("56789ab"))
	select {
	case res := <-done:
		if res.n != 10 || res.err != nil || string(buf) != "0123456789" {
			t.Fatalf("WAITALL read = %d, %v, %q", res.n, res.err, buf)
		}
	case <-time.After(realWait):
		t.Fatal("WAITALL read did not return")
	}
	// Two bytes remain; the FIN ends a WAITALL read short, then EOF.
	c.seg(flagACK|flagFIN, nil)
	if n, err := c.e.ReadV(bg, [][]byte{buf}, RecvOptions{WaitAll: true}); n != 2 || err != nil {
		t.Fatalf("WAITALL read at EOF = %d, %v; want 2, nil", n, err)
	}
	if _, err := c.e.ReadV(bg, [][]byte{buf}, RecvOptions{WaitAll: true}); err != io.EOF {
		t.Fatalf("read after EOF = %v", err)
	}
}

// TestWriteVGathers sends three buffers as one stream.
func TestWriteVGathers(t *testing.T) {
	r := newRawPeer(t, Options{})
	c := r.established()
	c.e.SetNoDelay(true)
	n, err := c.e.WriteV(bg, [][]byte{[]byte("ab"), nil, []byte("cde"), []byte("f")}, false)
	if n != 6 || err != nil {
		t.Fatalf("WriteV = %d, %v", n, err)
	}
	var got []byte
	for _, s := range r.recv() {
		got = append(got, s.data...)
	}
	if string(got) != "abcdef" {
		t.Fatalf("sent %q, want abcdef", got)
	}
}

// TestNoWait makes single calls non-blocking on a blocking endpoint, as
// MSG_DONTWAIT does: nothing to read is EAGAIN, a full send buffer takes
// what fits and then EAGAIN.
func TestNoWait(t *testing.T) {
	r := newRawPeer(t, Options{SendBuffer: 4096})
	e, _ := r.connect(0, 1460, -1) // zero window: nothing leaves
	e.SetNonblocking(false)
	if _, err := e.ReadV(bg, [][]byte{make([]byte, 10)}, RecvOptions{NoWait: true}); err != syscall.EAGAIN {
		t.Fatalf("ReadV NoWait with nothing queued: %v, want EAGAIN", err)
	}
	if n, err := e.WriteV(bg, [][]byte{make([]byte, 10000)}, true); n != 4096 || err != nil {
		t.Fatalf("WriteV noWait into 4 KiB: %d, %v; want 4096, nil", n, err)
	}
	if n, err := e.WriteV(bg, [][]byte{make([]byte, 10)}, true); n != 0 || err != syscall.EAGAIN {
		t.Fatalf("WriteV noWait into a full buffer: %d, %v; want EAGAIN", n, err)
	}
}

// TestPeekWaitAllInterrupted blocks a MSG_PEEK|MSG_WAITALL read that has
// found part of what it wants, then cancels it: as Linux, the call
// returns the bytes it saw, which stay queued, rather than EINTR.
func TestPeekWaitAllInterrupted(t *testing.T) {
	r := newRawPeer(t, Options{})
	c := r.established()
	c.e.SetNonblocking(false)
	c.seg(flagACK|flagPSH, []byte("hello"))
	ctx, cancel := context.WithCancel(bg)
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	buf := make([]byte, 20)
	go func() {
		n, err := c.e.ReadV(ctx, [][]byte{buf}, RecvOptions{Peek: true, WaitAll: true})
		done <- result{n, err}
	}()
	awaitSleepers(t, c.e, 1)
	cancel()
	select {
	case res := <-done:
		if res.n != 5 || res.err != nil || string(buf[:5]) != "hello" {
			t.Errorf("ReadV = %d, %v, %q; want 5, nil, \"hello\"", res.n, res.err, buf[:res.n])
		}
	case <-time.After(realWait):
		t.Fatal("the interrupted read did not return")
	}
	if q := c.e.rcv.len(); q != 5 {
		t.Errorf("%d bytes queued after the peek, want 5", q)
	}
}
