package file

import (
	"bytes"
	"context"
	"encoding/binary"
	"sync"
	"syscall"
	"testing"
	"time"

	"scone/kernel/net/waiter"
)

func TestPipeCapacity(t *testing.T) {
	ctx := context.Background()
	r, w := NewPipe()
	rs, ws := r.(Stream), w.(Stream)
	if n, err := ws.Write(ctx, make([]byte, PipeSize+100), true); n != PipeSize || err != nil {
		t.Fatalf("non-blocking write of more than capacity = %d, %v; want %d", n, err, PipeSize)
	}
	if _, err := ws.Write(ctx, []byte{1}, true); err != syscall.EAGAIN {
		t.Fatalf("write to a full pipe: %v", err)
	}
	// Free 100 bytes: an atomic write of 200 still does not fit; one of 100 does.
	rs.Read(ctx, make([]byte, 100), true)
	if _, err := ws.Write(ctx, make([]byte, 200), true); err != syscall.EAGAIN {
		t.Fatalf("atomic write larger than the room: %v, want EAGAIN", err)
	}
	if n, err := ws.Write(ctx, make([]byte, 100), true); n != 100 || err != nil {
		t.Fatalf("write of exactly the room = %d, %v", n, err)
	}
	if got := r.(*pipeEnd).Buffered(); got != PipeSize {
		t.Fatalf("FIONREAD = %d", got)
	}
	// A blocking write waits for a reader to make room, then completes.
	done := make(chan int)
	go func() {
		n, _ := ws.Write(ctx, bytes.Repeat([]byte{7}, 3*PipeSize), false)
		done <- n
	}()
	total := 0
	buf := make([]byte, 10000)
	for total < 4*PipeSize {
		n, err := rs.Read(ctx, buf, false)
		if err != nil || n == 0 {
			t.Fatalf("read: %d, %v", n, err)
		}
		total += n
	}
	select {
	case n := <-done:
		if n != 3*PipeSize {
			t.Fatalf("blocking write = %d", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("blocked writer never finished")
	}
}

func TestPipeEnds(t *testing.T) {
	ctx := context.Background()
	r, w := NewPipe()
	rs, ws := r.(Stream), w.(Stream)
	if _, err := rs.Read(ctx, make([]byte, 1), true); err != syscall.EAGAIN {
		t.Fatalf("read of an empty pipe: %v", err)
	}
	if _, err := rs.Write(ctx, []byte{1}, true); err != syscall.EBADF {
		t.Fatalf("write to the read end: %v", err)
	}
	// A blocked reader is interrupted by a signal (ctx cancelled).
	cctx, cancel := context.WithCancel(ctx)
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	if _, err := rs.Read(cctx, make([]byte, 1), false); err != syscall.EINTR {
		t.Fatalf("interrupted read: %v", err)
	}
	ws.Write(ctx, []byte("xy"), false)
	w.Close()
	buf := make([]byte, 10)
	if n, _ := rs.Read(ctx, buf, false); string(buf[:n]) != "xy" {
		t.Fatalf("read after writer closed: %q", buf[:n])
	}
	if n, err := rs.Read(ctx, buf, false); n != 0 || err != nil {
		t.Fatalf("end of file: %d, %v", n, err)
	}
	r2, w2 := NewPipe()
	r2.Close()
	if _, err := w2.(Stream).Write(ctx, []byte{1}, false); err != syscall.EPIPE {
		t.Fatalf("write with no reader: %v, want EPIPE", err)
	}
	if ev := w2.Readiness(^Events(0)); ev&EventErr == 0 {
		t.Fatalf("write end with no reader: readiness %#x, want POLLERR", ev)
	}
	// A writer blocked on a full pipe gets EPIPE when the reader goes.
	r3, w3 := NewPipe()
	w3.(Stream).Write(ctx, make([]byte, PipeSize), true)
	errc := make(chan error)
	go func() { _, err := w3.(Stream).Write(ctx, []byte{1}, false); errc <- err }()
	time.Sleep(10 * time.Millisecond)
	r3.Close()
	select {
	case err := <-errc:
		if err != syscall.EPIPE {
			t.Fatalf("blocked writer after reader closed: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("blocked writer not woken by the reader's close")
	}
}

// Writes of up to PIPE_BUF bytes from many writers never interleave.
func TestPipeAtomicWrites(t *testing.T) {
	ctx := context.Background()
	r, w := NewPipe()
	const writers, each, size = 4, 50, PipeBuf
	var wg sync.WaitGroup
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func(b byte) {
			defer wg.Done()
			for j := 0; j < each; j++ {
				w.(Stream).Write(ctx, bytes.Repeat([]byte{b}, size), false)
			}
		}(byte('a' + i))
	}
	go func() { wg.Wait(); w.Close() }()
	var all []byte
	buf := make([]byte, 3000) // odd-sized reads
	for {
		n, err := r.(Stream).Read(ctx, buf, false)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		all = append(all, buf[:n]...)
	}
	if len(all) != writers*each*size {
		t.Fatalf("read %d bytes", len(all))
	}
	for i := 0; i < len(all); i += size {
		if c := bytes.Count(all[i:i+size], all[i:i+1]); c != size {
			t.Fatalf("record at %d interleaved", i)
		}
	}
}

type Events = waiter.Events

const (
	EventIn  = waiter.EventIn
	EventOut = waiter.EventOut
	EventErr = waiter.EventErr
)

func TestEventFD(t *testing.T) {
	ctx := context.Background()
	put := func(v uint64) []byte { b := make([]byte, 8); binary.LittleEndian.PutUint64(b, v); return b }
	e := NewEventFD(3, 0).(Stream)
	b := make([]byte, 8)
	if n, err := e.Read(ctx, b, true); n != 8 || err != nil || binary.LittleEndian.Uint64(b) != 3 {
		t.Fatalf("read = %d, %v, %d", n, err, binary.LittleEndian.Uint64(b))
	}
	if _, err := e.Read(ctx, b, true); err != syscall.EAGAIN {
		t.Fatalf("read at zero: %v", err)
	}
	if _, err := e.Read(ctx, make([]byte, 7), true); err != syscall.EINVAL {
		t.Fatalf("short read: %v", err)
	}
	if _, err := e.Write(ctx, put(1<<64-1), true); err != syscall.EINVAL {
		t.Fatalf("write of 2^64-1: %v", err)
	}
	e.Write(ctx, put(1<<64-2), true)
	if _, err := e.Write(ctx, put(1), true); err != syscall.EAGAIN {
		t.Fatalf("write past the maximum: %v", err)
	}
	if ev := NewEventFD(0, 0).Readiness(^Events(0)); ev != EventOut {
		t.Fatalf("empty eventfd readiness %#x", ev)
	}
	s := NewEventFD(2, EFD_SEMAPHORE).(Stream)
	for want := 1; want <= 2; want++ {
		if _, err := s.Read(ctx, b, true); err != nil || binary.LittleEndian.Uint64(b) != 1 {
			t.Fatalf("semaphore read %d: %v, %d", want, err, binary.LittleEndian.Uint64(b))
		}
	}
	// A blocked read wakes on a write.
	got := make(chan uint64)
	go func() { e2 := make([]byte, 8); s.Read(ctx, e2, false); got <- binary.LittleEndian.Uint64(e2) }()
	time.Sleep(5 * time.Millisecond)
	s.Write(ctx, put(5), false)
	select {
	case v := <-got:
		if v != 1 {
			t.Fatalf("woken semaphore read = %d", v)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("blocked eventfd read not woken")
	}
}
