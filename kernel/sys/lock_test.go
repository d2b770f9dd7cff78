package sys

import (
	"testing"

	"golang.org/x/sys/unix"

	"scone/kernel/file"
)

// flockBytes is struct flock as x86-64 lays it out.
func flockBytes(typ, whence int16, start, length int64) []byte {
	b := make([]byte, 32)
	le.PutUint16(b[0:], uint16(typ))
	le.PutUint16(b[2:], uint16(whence))
	le.PutUint64(b[8:], uint64(start))
	le.PutUint64(b[16:], uint64(length))
	return b
}

// TestFcntlLocks decodes struct flock (each whence, a negative length),
// checks the locks the kernel holds as another owner sees them, F_GETLK's
// answer, that close(2) of any descriptor of the file drops them, and
// flock(2) through the system call.
func TestFcntlLocks(t *testing.T) {
	p := newFileProc(t)
	fd := p.must(unix.SYS_OPENAT, atFDCWD, p.str(0, "/l"), unix.O_RDWR|unix.O_CREAT, 0o644)
	fd2 := p.must(unix.SYS_OPENAT, atFDCWD, p.str(0, "/l"), unix.O_RDWR, 0)
	p.must(unix.SYS_WRITE, fd, p.put(64, make([]byte, 100)), 100)
	p.must(unix.SYS_LSEEK, fd, 40, unix.SEEK_SET)
	d, err := p.th.Proc().Files.Get(int(fd))
	if err != nil {
		t.Fatal(err)
	}
	defer d.DecRef()
	other := &struct{}{}
	seen := func(start, end int64) file.RecordLock {
		l, _ := file.GetRecordLock(d, other, file.RecordLock{Type: file.FWrlck, Start: start, End: end})
		return l
	}
	for _, c := range []struct {
		name             string
		typ, whence      int16
		start, length    int64
		wantStart, wantE int64
	}{
		{"SEEK_SET", unix.F_WRLCK, unix.SEEK_SET, 10, 5, 10, 15},
		{"SEEK_CUR", unix.F_RDLCK, unix.SEEK_CUR, 2, 3, 42, 45},
		{"SEEK_END to EOF", unix.F_WRLCK, unix.SEEK_END, -10, 0, 90, file.ToEOF},
		{"negative length", unix.F_RDLCK, unix.SEEK_SET, 30, -10, 20, 30},
	} {
		p.must(unix.SYS_FCNTL, fd, unix.F_SETLK, p.put(256, flockBytes(c.typ, c.whence, c.start, c.length)))
		if l := seen(c.wantStart, c.wantE); l.Type != int(c.typ) || l.Start != c.wantStart || l.End != c.wantE || l.PID != p.th.Proc().PID {
			t.Errorf("%s: another owner sees %+v", c.name, l)
		}
	}
	// F_GETLK by the owner itself: its own locks never conflict.
	p.must(unix.SYS_FCNTL, fd, unix.F_GETLK, p.put(256, flockBytes(unix.F_WRLCK, unix.SEEK_SET, 0, 0)))
	if typ := int16(le.Uint16(p.get(256, 2))); typ != unix.F_UNLCK {
		t.Errorf("F_GETLK over its own locks: type %d, want F_UNLCK", typ)
	}
	if _, e := p.call(unix.SYS_FCNTL, fd, unix.F_SETLK, p.put(256, flockBytes(unix.F_WRLCK, unix.SEEK_SET, -5, 1))); e != unix.EINVAL {
		t.Errorf("negative start: %v", e)
	}
	if _, e := p.call(unix.SYS_FCNTL, fd, unix.F_SETLK, 0x10); e != unix.EFAULT {
		t.Errorf("bad struct flock pointer: %v", e)
	}
	p.must(unix.SYS_CLOSE, fd2) // another descriptor of the file: POSIX drops every lock
	if l := seen(0, file.ToEOF); l.Type != file.FUnlck {
		t.Errorf("after close of another descriptor: %+v still locked", l)
	}
	p.must(unix.SYS_FLOCK, fd, unix.LOCK_EX)
	if _, e := p.call(unix.SYS_FLOCK, fd, 0); e != unix.EINVAL {
		t.Errorf("flock(0): %v", e)
	}
	if _, e := p.call(unix.SYS_FLOCK, 99, unix.LOCK_SH); e != unix.EBADF {
		t.Errorf("flock of a bad fd: %v", e)
	}
}
