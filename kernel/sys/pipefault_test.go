package sys

import (
	"bytes"
	"encoding/binary"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"scone/kernel/file"
	"scone/kernel/mem"
	"scone/kernel/tty"
)

// pipeFDs makes a pipe with pipe2(flags) and returns its read and write ends.
func pipeFDs(p *fileProc, flags uintptr) (r, w uintptr) {
	p.must(unix.SYS_PIPE2, p.buf+8000, flags)
	b := p.get(8000, 8)
	return uintptr(binary.LittleEndian.Uint32(b)), uintptr(binary.LittleEndian.Uint32(b[4:]))
}

func iov1(p *fileProc, at uintptr, base uintptr, n int) uintptr {
	return p.put(at, binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, uint64(base)), uint64(n)))
}

// TestStreamReadFaultKeepsData: a read of a pipe, the tty or an eventfd
// into a bad buffer fails with EFAULT and leaves the data for the next
// read; one into a buffer that goes bad part-way takes only what fits
// (Linux's pipe_read copies before it consumes). Before the fix doRead
// took the bytes into a kernel buffer and lost them with the EFAULT.
func TestStreamReadFaultKeepsData(t *testing.T) {
	p := newFileProc(t)
	end := p.buf + 16*mem.PageSize // newFileProc maps 16 pages
	r, w := pipeFDs(p, unix.O_NONBLOCK)
	var term *tty.TTY
	ttyFD := func() uintptr {
		term = tty.New(&bytes.Buffer{}, nil)
		fd, err := p.th.Proc().Files.Install(file.NewDescription(term.Open(file.Mkdev(5, 1)), file.O_RDWR|file.O_NONBLOCK), 0, false)
		if err != nil {
			t.Fatal(err)
		}
		return uintptr(fd)
	}()
	for _, src := range []struct {
		name string
		fd   uintptr
		fill func()
	}{
		{"pipe", r, func() { p.must(unix.SYS_WRITE, w, p.put(100, []byte("kept")), 4) }},
		{"tty", ttyFD, func() { term.Input([]byte("kept\n")) }},
	} {
		src.fill()
		for _, bad := range []uintptr{1, end, end + 100} {
			if n, e := p.call(unix.SYS_READ, src.fd, bad, 64); e != syscall.EFAULT {
				t.Errorf("%s: read into %#x: %d, %v; want EFAULT", src.name, bad, n, e)
			}
			if n, e := p.call(unix.SYS_READV, src.fd, iov1(p, 200, bad, 64), 1); e != syscall.EFAULT {
				t.Errorf("%s: readv into %#x: %d, %v; want EFAULT", src.name, bad, n, e)
			}
		}
		// Two good bytes before the bad page: they get the first two.
		if n, e := p.call(unix.SYS_READ, src.fd, end-2, 64); n != 2 || e != 0 || string(p.get(16*mem.PageSize-2, 2)) != "ke" {
			t.Errorf("%s: read into the last 2 good bytes: %d, %v", src.name, n, e)
		}
		if n, e := p.call(unix.SYS_READ, src.fd, p.buf+300, 64); n < 2 || e != 0 || string(p.get(300, 2)) != "pt" {
			t.Errorf("%s: read after the faults: %d %q, %v; want the rest of \"kept\"", src.name, n, p.get(300, 2), e)
		}
	}
	// Linux's order: an empty pipe is EAGAIN (blocking, it would wait)
	// and one with no writer is end of file, bad buffer or not.
	if n, e := p.call(unix.SYS_READ, r, 1, 64); e != syscall.EAGAIN {
		t.Errorf("read of an empty non-blocking pipe into a bad buffer: %d, %v; want EAGAIN", n, e)
	}
	p.must(unix.SYS_CLOSE, w)
	if n, e := p.call(unix.SYS_READ, r, 1, 64); n != 0 || e != 0 {
		t.Errorf("read of a pipe with no writer into a bad buffer: %d, %v; want 0", n, e)
	}
	// An eventfd keeps its count, also when the 8 bytes would run into
	// a bad page (Scone is kinder than Linux, which loses the count).
	efd := p.must(unix.SYS_EVENTFD2, 5, unix.EFD_NONBLOCK)
	for _, bad := range []uintptr{1, end - 4} {
		if n, e := p.call(unix.SYS_READ, efd, bad, 8); e != syscall.EFAULT {
			t.Errorf("eventfd: read into %#x: %d, %v; want EFAULT", bad, n, e)
		}
	}
	if n, e := p.call(unix.SYS_READ, efd, p.buf+400, 8); n != 8 || e != 0 || binary.LittleEndian.Uint64(p.get(400, 8)) != 5 {
		t.Errorf("eventfd: read after the faults: %d, %v, count %d; want 5", n, e, binary.LittleEndian.Uint64(p.get(400, 8)))
	}
}

// TestWriteFaultPartWay: a write from a buffer that goes bad part-way
// writes what comes before the bad byte (a regular file) or the whole
// pages before it (a pipe, as Linux's pipe_write: a short pipe write is
// all or EFAULT) and returns the count. Before the fix the whole chunk
// failed with EFAULT and nothing was written.
func TestWriteFaultPartWay(t *testing.T) {
	p := newFileProc(t)
	end := p.buf + 16*mem.PageSize
	f := p.must(unix.SYS_OPEN, p.str(0, "/f"), unix.O_RDWR|unix.O_CREAT, 0o644)
	if n, e := p.call(unix.SYS_WRITE, f, end-50, 100); n != 50 || e != 0 {
		t.Errorf("file write of 100 bytes, 50 good: %d, %v; want 50", n, e)
	}
	if n, e := p.call(unix.SYS_WRITEV, f, iov1(p, 100, end-10, 100), 1); n != 10 || e != 0 {
		t.Errorf("file writev of 100 bytes, 10 good: %d, %v; want 10", n, e)
	}
	if n, e := p.call(unix.SYS_WRITE, f, end, 100); e != syscall.EFAULT {
		t.Errorf("file write from a bad page: %d, %v; want EFAULT", n, e)
	}
	if n := p.must(unix.SYS_LSEEK, f, 0, unix.SEEK_END); n != 60 {
		t.Errorf("file size %d, want 60", n)
	}

	r, w := pipeFDs(p, unix.O_NONBLOCK)
	if n, e := p.call(unix.SYS_WRITE, w, end-50, 100); e != syscall.EFAULT {
		t.Errorf("pipe write of 100 bytes, 50 good: %d, %v; want EFAULT", n, e)
	}
	if n, e := p.call(unix.SYS_READ, r, p.buf, 64); e != syscall.EAGAIN {
		t.Errorf("the pipe after a failed write holds %d bytes (%v); want none", n, e)
	}
	good := file.PipeBuf + 100
	if n, e := p.call(unix.SYS_WRITE, w, end-uintptr(good), 3*file.PipeBuf); n != file.PipeBuf || e != 0 {
		t.Errorf("pipe write of %d bytes, %d good: %d, %v; want %d", 3*file.PipeBuf, good, n, e, file.PipeBuf)
	}
	if n, e := p.call(unix.SYS_READ, r, p.buf, 3*file.PipeBuf); n != file.PipeBuf || e != 0 {
		t.Errorf("read back %d, %v; want %d", n, e, file.PipeBuf)
	}
}
