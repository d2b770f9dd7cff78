package file

import (
	"context"
	"sync/atomic"
	"syscall"
	"testing"

	"scone/kernel/net/waiter"
)

// countFile is a Positional File over a byte slice that counts closes.
type countFile struct {
	closes atomic.Int32
	data   []byte
	q      waiter.Queue
}

func (f *countFile) Close() error                            { f.closes.Add(1); return nil }
func (f *countFile) Waiter() *waiter.Queue                   { return &f.q }
func (f *countFile) Readiness(m waiter.Events) waiter.Events { return m & waiter.EventIn }
func (f *countFile) ReadAt(_ context.Context, p []byte, off int64) (int, error) {
	if off >= int64(len(f.data)) {
		return 0, nil
	}
	return copy(p, f.data[off:]), nil
}
func (f *countFile) WriteAt(_ context.Context, p []byte, off int64) (int, error) {
	for int64(len(f.data)) < off+int64(len(p)) {
		f.data = append(f.data, 0)
	}
	return copy(f.data[off:], p), nil
}
func (f *countFile) Append(ctx context.Context, p []byte) (int, int64, error) {
	n, err := f.WriteAt(ctx, p, int64(len(f.data)))
	return n, int64(len(f.data)), err
}
func (f *countFile) Stat() (Stat, error) { return Stat{Size: int64(len(f.data)), Mode: S_IFREG}, nil }

func install(t *testing.T, tb *Table, f File, min int) int {
	t.Helper()
	fd, err := tb.Install(NewDescription(f, O_RDWR), min, false)
	if err != nil {
		t.Fatal(err)
	}
	return fd
}

func TestTableLowestFree(t *testing.T) {
	tb := NewTable()
	f := &countFile{}
	for want := 0; want < 4; want++ {
		if fd := install(t, tb, f, 0); fd != want {
			t.Fatalf("Install = %d, want %d", fd, want)
		}
	}
	if err := tb.Close(1); err != nil {
		t.Fatal(err)
	}
	if fd := install(t, tb, f, 0); fd != 1 {
		t.Fatalf("Install after close(1) = %d, want 1", fd)
	}
	if fd := install(t, tb, f, 10); fd != 10 { // F_DUPFD's minimum
		t.Fatalf("Install(min 10) = %d", fd)
	}
	if err := tb.Close(1); err != nil || tb.Close(1) != syscall.EBADF {
		t.Fatalf("second close of 1: want EBADF")
	}
	for _, fd := range []int{-1, 1, 5, 1 << 20} {
		if _, err := tb.Get(fd); err != syscall.EBADF {
			t.Errorf("Get(%d) = %v, want EBADF", fd, err)
		}
	}
}

func TestTableLimit(t *testing.T) {
	tb := NewTable()
	if err := tb.SetLimit(3); err != nil {
		t.Fatal(err)
	}
	f := &countFile{}
	for i := 0; i < 3; i++ {
		install(t, tb, f, 0)
	}
	d := NewDescription(f, O_RDONLY)
	if _, err := tb.Install(d, 0, false); err != syscall.EMFILE {
		t.Fatalf("Install past limit: %v, want EMFILE", err)
	}
	if _, err := tb.Install(d, 3, false); err != syscall.EINVAL {
		t.Fatalf("Install(min = limit): %v, want EINVAL", err)
	}
	if _, err := tb.Dup2(0, 3, false); err != syscall.EBADF {
		t.Fatalf("Dup2 to the limit: %v, want EBADF", err)
	}
	for _, n := range []int{0, HardLimit + 1} {
		if err := tb.SetLimit(n); err != syscall.EINVAL {
			t.Errorf("SetLimit(%d) = %v", n, err)
		}
	}
}

func TestTableDup2AndCloexec(t *testing.T) {
	tb := NewTable()
	a, b := &countFile{}, &countFile{}
	install(t, tb, a, 0)                                        // 0
	install(t, tb, b, 0)                                        // 1
	if fd, err := tb.Dup2(0, 0, false); fd != 0 || err != nil { // dup2(fd, fd) is a no-op
		t.Fatalf("Dup2(0, 0) = %d, %v", fd, err)
	}
	if fd, err := tb.Dup2(0, 1, true); fd != 1 || err != nil {
		t.Fatalf("Dup2(0, 1) = %d, %v", fd, err)
	}
	if b.closes.Load() != 1 {
		t.Fatal("dup2 over fd 1 did not close its old file")
	}
	if on, _ := tb.Cloexec(1); !on {
		t.Fatal("dup3 O_CLOEXEC flag lost")
	}
	if on, _ := tb.Cloexec(0); on {
		t.Fatal("dup2 set FD_CLOEXEC on the old descriptor")
	}
	if _, err := tb.Dup2(7, 1, false); err != syscall.EBADF {
		t.Fatalf("Dup2 of a closed fd: %v", err)
	}
	tb.CloseOnExec()
	if _, err := tb.Get(1); err != syscall.EBADF {
		t.Fatal("exec kept a close-on-exec descriptor")
	}
	if a.closes.Load() != 0 {
		t.Fatal("closing one of two descriptors closed the file")
	}
	tb.Release()
	if a.closes.Load() != 1 {
		t.Fatalf("Release closed the file %d times", a.closes.Load())
	}
}

// A forked table shares descriptions (and so offsets) with its parent; a
// shared table (CLONE_FILES) is closed by its last user only.
func TestTableForkAndShare(t *testing.T) {
	tb := NewTable()
	f := &countFile{data: []byte("abcdef")}
	install(t, tb, f, 0)
	child := tb.Fork()
	ctx := context.Background()
	buf := make([]byte, 2)
	d, _ := tb.Get(0)
	d.Read(ctx, buf)
	d.DecRef()
	d, _ = child.Get(0)
	d.Read(ctx, buf)
	d.DecRef()
	if string(buf) != "cd" {
		t.Fatalf("child read %q after parent read 2 bytes; offsets not shared", buf)
	}
	child.Release()
	if f.closes.Load() != 0 {
		t.Fatal("child exit closed the parent's file")
	}
	shared := tb.Share()
	tb.Release()
	if f.closes.Load() != 0 {
		t.Fatal("first of two sharers closed the table")
	}
	shared.Release()
	if f.closes.Load() != 1 {
		t.Fatal("last sharer did not close the table")
	}
}

// A system call holding a reference keeps the file open across close.
func TestCloseDuringUse(t *testing.T) {
	tb := NewTable()
	f := &countFile{}
	install(t, tb, f, 0)
	d, _ := tb.Get(0)
	tb.Close(0)
	if f.closes.Load() != 0 {
		t.Fatal("closed under an in-flight call")
	}
	d.DecRef()
	if f.closes.Load() != 1 {
		t.Fatal("not closed after the last reference")
	}
}

func TestDescription(t *testing.T) {
	ctx := context.Background()
	f := &countFile{data: []byte("0123456789")}
	d := NewDescription(f, O_RDWR|O_APPEND|O_CLOEXEC|syscall.O_CREAT)
	if fl := d.Flags(); fl != O_RDWR|O_APPEND {
		t.Fatalf("Flags = %#x: creation flags or O_CLOEXEC kept", fl)
	}
	d.Write(ctx, []byte("ab"))
	if string(f.data) != "0123456789ab" {
		t.Fatalf("O_APPEND write gave %q", f.data)
	}
	if off, _ := d.Seek(0, SeekCur); off != 12 {
		t.Fatalf("offset after append = %d", off)
	}
	d.WriteAt(ctx, []byte("Z"), 0) // pwrite with O_APPEND appends, as on Linux
	if string(f.data) != "0123456789abZ" {
		t.Fatalf("pwrite under O_APPEND gave %q", f.data)
	}
	d.SetFlags(O_WRONLY | O_NONBLOCK) // F_SETFL keeps the access mode
	if fl := d.Flags(); fl != O_RDWR|O_NONBLOCK {
		t.Fatalf("after SetFlags: %#x", fl)
	}
	seeks := []struct {
		off    int64
		whence int
		want   int64
		err    error
	}{
		{3, SeekSet, 3, nil},
		{2, SeekCur, 5, nil},
		{-1, SeekEnd, 12, nil},
		{-20, SeekCur, 0, syscall.EINVAL},
		{0, 3, 0, syscall.EINVAL},
		{1 << 62, SeekSet, 1 << 62, nil},
		{1 << 62, SeekCur, 0, syscall.EINVAL},
	}
	for _, s := range seeks {
		got, err := d.Seek(s.off, s.whence)
		if err != s.err || (err == nil && got != s.want) {
			t.Errorf("Seek(%d, %d) = %d, %v; want %d, %v", s.off, s.whence, got, err, s.want, s.err)
		}
	}
	ro := NewDescription(f, O_RDONLY)
	if _, err := ro.Write(ctx, []byte("x")); err != syscall.EBADF {
		t.Errorf("write to O_RDONLY: %v", err)
	}
	if _, err := NewDescription(f, O_WRONLY).Read(ctx, make([]byte, 1)); err != syscall.EBADF {
		t.Errorf("read of O_WRONLY: %v", err)
	}
	if _, err := ro.ReadAt(ctx, make([]byte, 1), -1); err != syscall.EINVAL {
		t.Errorf("pread at -1: %v", err)
	}
	if err := ro.Truncate(0); err != syscall.EINVAL {
		t.Errorf("ftruncate of O_RDONLY: %v", err) // countFile has no Truncate either
	}
	if _, err := ro.Ioctl(ctx, nil, 0x5401, 0); err != syscall.ENOTTY {
		t.Errorf("ioctl on a plain file: %v", err)
	}
}
