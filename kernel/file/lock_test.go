package file_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"scone/kernel/file"
)

// TestFlock: shared locks coexist, an exclusive one waits for them (and
// its wait ends with EINTR when the context does), LOCK_NB is
// EWOULDBLOCK, and the last close of a description drops its lock.
func TestFlock(t *testing.T) {
	_, c := newNS(t)
	open := func() *file.Description {
		d, err := c.Open(file.Location{}, "/lockf", file.O_RDWR|syscall.O_CREAT, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	a, b, x := open(), open(), open()
	bg := context.Background()
	for _, d := range []*file.Description{a, b} {
		if err := file.Flock(bg, d, file.LockSh); err != nil {
			t.Fatal(err)
		}
	}
	if err := file.Flock(bg, x, file.LockEx|file.LockNb); err != syscall.EWOULDBLOCK {
		t.Fatalf("LOCK_EX|LOCK_NB over two shared locks: %v", err)
	}
	ctx, cancel := context.WithTimeout(bg, 50*time.Millisecond)
	defer cancel()
	if err := file.Flock(ctx, x, file.LockEx); err != syscall.EINTR {
		t.Fatalf("interrupted wait: %v, want EINTR", err)
	}
	got := make(chan error, 1)
	go func() { got <- file.Flock(bg, x, file.LockEx) }()
	if err := file.Flock(bg, a, file.LockUn); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		t.Fatalf("exclusive lock granted (%v) while b still shares", err)
	case <-time.After(50 * time.Millisecond):
	}
	b.DecRef() // its last reference: the lock goes
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("exclusive lock not granted after the sharers left")
	}
	if err := file.Flock(bg, a, file.LockSh|file.LockNb); err != syscall.EWOULDBLOCK {
		t.Fatalf("shared under exclusive: %v", err)
	}
	if err := file.Flock(bg, a, 3); err != syscall.EINVAL {
		t.Fatalf("bad operation: %v", err)
	}
	a.DecRef()
	x.DecRef()
}

// TestRecordLocks: POSIX locks of two owners on byte ranges: read locks
// share, write locks conflict, an owner's unlock in the middle splits its
// lock, F_GETLK reports the first conflict, F_SETLKW waits, and dropping
// an owner's locks wakes the waiter.
func TestRecordLocks(t *testing.T) {
	_, c := newNS(t)
	d, err := c.Open(file.Location{}, "/rec", file.O_RDWR|syscall.O_CREAT, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer d.DecRef()
	ro, err := c.Open(file.Location{}, "/rec", file.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.DecRef()
	bg := context.Background()
	type owner struct{ n int }
	p1, p2 := &owner{1}, &owner{2}
	set := func(o *owner, typ int, start, end int64) error {
		return file.SetRecordLock(bg, d, o, o.n, file.RecordLock{Type: typ, Start: start, End: end}, false)
	}
	if err := set(p1, file.FWrlck, 0, 100); err != nil {
		t.Fatal(err)
	}
	if err := set(p2, file.FRdlck, 50, 60); err != syscall.EAGAIN {
		t.Fatalf("read lock inside another's write lock: %v", err)
	}
	if err := set(p1, file.FUnlck, 40, 70); err != nil { // splits p1's lock
		t.Fatal(err)
	}
	if err := set(p2, file.FRdlck, 50, 60); err != nil {
		t.Fatalf("read lock in the unlocked hole: %v", err)
	}
	if err := set(p1, file.FRdlck, 55, 56); err != nil {
		t.Fatalf("read locks share: %v", err)
	}
	for _, c := range []struct {
		o          *owner
		typ        int
		start, end int64
		want       file.RecordLock
	}{
		{p2, file.FWrlck, 0, file.ToEOF, file.RecordLock{Type: file.FWrlck, Start: 0, End: 40, PID: 1}},
		{p2, file.FWrlck, 70, 71, file.RecordLock{Type: file.FWrlck, Start: 70, End: 100, PID: 1}},
		{p2, file.FRdlck, 40, 50, file.RecordLock{Type: file.FUnlck, Start: 40, End: 50}},
		{p1, file.FWrlck, 50, 51, file.RecordLock{Type: file.FRdlck, Start: 50, End: 60, PID: 2}},
		{p1, file.FRdlck, 0, file.ToEOF, file.RecordLock{Type: file.FUnlck, Start: 0, End: file.ToEOF}},
	} {
		got, err := file.GetRecordLock(d, c.o, file.RecordLock{Type: c.typ, Start: c.start, End: c.end})
		if err != nil || got != c.want {
			t.Errorf("F_GETLK by %d of %d [%d,%d) = %+v, %v; want %+v", c.o.n, c.typ, c.start, c.end, got, err, c.want)
		}
	}
	if err := file.SetRecordLock(bg, ro, p2, 2, file.RecordLock{Type: file.FWrlck, Start: 0, End: 1}, false); err != syscall.EBADF {
		t.Errorf("write lock through a read-only descriptor: %v, want EBADF", err)
	}
	got := make(chan error, 1)
	go func() {
		got <- file.SetRecordLock(bg, d, p2, 2, file.RecordLock{Type: file.FWrlck, Start: 0, End: file.ToEOF}, true)
	}()
	select {
	case err := <-got:
		t.Fatalf("F_SETLKW returned %v while p1 holds locks", err)
	case <-time.After(50 * time.Millisecond):
	}
	file.ReleaseRecordLocks(p1, nil) // p1 exits
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("F_SETLKW still waiting after the holder's locks went")
	}
	file.ReleaseRecordLocks(p2, d) // p2 closes a descriptor of the file
	if l, _ := file.GetRecordLock(d, p1, file.RecordLock{Type: file.FWrlck, Start: 0, End: file.ToEOF}); l.Type != file.FUnlck {
		t.Errorf("locks left after both owners let go: %+v", l)
	}
}
