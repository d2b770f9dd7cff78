package file_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"scone/kernel/file"
)

// TestFIFO opens a FIFO made with mknod as Linux's fifo_open would: a
// non-blocking reader opens at once, a non-blocking writer without a
// reader is ENXIO, a blocking reader waits for a writer (and a signal
// ends the wait with EINTR), O_RDWR never waits, bytes pass from writer to
// reader, and the buffer is gone after the last close.
func TestFIFO(t *testing.T) {
	_, c := newNS(t)
	if err := c.Mknod(file.Location{}, "/fifo", file.S_IFIFO|0o640, 0); err != nil {
		t.Fatal(err)
	}
	bg := context.Background()
	open := func(ctx context.Context, flags int) (*file.Description, error) {
		return c.OpenContext(ctx, file.Location{}, "/fifo", flags, 0)
	}
	if _, err := open(bg, file.O_WRONLY|syscall.O_NONBLOCK); err != syscall.ENXIO {
		t.Fatalf("non-blocking writer with no reader: %v, want ENXIO", err)
	}
	ctx, cancel := context.WithTimeout(bg, 50*time.Millisecond)
	defer cancel()
	if _, err := open(ctx, file.O_RDONLY); err != syscall.EINTR {
		t.Fatalf("blocking reader interrupted: %v, want EINTR", err)
	}
	nr, err := open(bg, file.O_RDONLY|syscall.O_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	if n, err := nr.Read(bg, buf); n != 0 || err != nil {
		t.Fatalf("read with no writer: %d, %v; want end of file", n, err)
	}
	st, err := nr.Stat()
	if err != nil || st.Mode != file.S_IFIFO|0o640 {
		t.Errorf("fstat of a FIFO: mode %o, %v", st.Mode, err)
	}
	nr.DecRef()
	// A blocking reader waits until a writer comes.
	got := make(chan *file.Description, 1)
	go func() {
		d, err := open(bg, file.O_RDONLY)
		if err != nil {
			t.Error(err)
		}
		got <- d
	}()
	select {
	case <-got:
		t.Fatal("a blocking reader opened without a writer")
	case <-time.After(50 * time.Millisecond):
	}
	w, err := open(bg, file.O_WRONLY)
	if err != nil {
		t.Fatal(err)
	}
	var r *file.Description
	select {
	case r = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("the reader still waits after a writer opened")
	}
	if _, err := w.Write(bg, []byte("through the fifo")); err != nil {
		t.Fatal(err)
	}
	if n, err := r.Read(bg, buf); err != nil || string(buf[:n]) != "through the fifo" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	if _, err := w.Write(bg, []byte("left unread")); err != nil {
		t.Fatal(err)
	}
	w.DecRef()
	r.DecRef()
	// O_RDWR opens alone; the unread bytes went with the last close.
	rw, err := open(bg, file.O_RDWR|syscall.O_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := rw.Read(bg, buf); err != syscall.EAGAIN {
		t.Errorf("read of a fresh FIFO opened O_RDWR: %d, %v; want EAGAIN", n, err)
	}
	if _, err := rw.Write(bg, []byte("self")); err != nil {
		t.Fatal(err)
	}
	if n, _ := rw.Read(bg, buf); string(buf[:n]) != "self" {
		t.Errorf("O_RDWR read back %q", buf[:n])
	}
	rw.DecRef()
}
