package sys

import (
	"syscall"

	"golang.org/x/sys/unix"

	"scone/kernel/file"
	"scone/kernel/proc"
)

// flock(2) and fcntl's record locks (F_GETLK, F_SETLK, F_SETLKW): the
// advisory locks of kernel/file/lock.go.
func init() {
	Register(unix.SYS_FLOCK, "flock", func(t *proc.Thread, a Args) (uintptr, error) {
		d, err := getFD(t, a[0])
		if err != nil {
			return 0, err
		}
		defer d.DecRef()
		if d.Flags()&file.O_PATH != 0 {
			return 0, syscall.EBADF
		}
		return ok(file.Flock(t.Ctx(), d, int(int32(a[1]))))
	})
}

// recordLock decodes struct flock at va (l_type, l_whence, l_start,
// l_len, l_pid at 0, 2, 8, 16, 24), sets or tests the lock for the
// calling process, and writes F_GETLK's answer back.
func recordLock(t *proc.Thread, d *file.Description, cmd int, va uintptr) (uintptr, error) {
	var b [32]byte
	if err := t.Mem().CopyIn(b[:], va); err != nil {
		return 0, err
	}
	typ, whence := int(int16(le.Uint16(b[0:]))), int(int16(le.Uint16(b[2:])))
	start, length := int64(le.Uint64(b[8:])), int64(le.Uint64(b[16:]))
	var base int64
	switch whence {
	case unix.SEEK_SET:
	case unix.SEEK_CUR:
		off, err := d.Seek(0, unix.SEEK_CUR)
		if err != nil {
			return 0, err
		}
		base = off
	case unix.SEEK_END:
		st, err := d.Stat()
		if err != nil {
			return 0, err
		}
		base = st.Size
	default:
		return 0, syscall.EINVAL
	}
	l := file.RecordLock{Type: typ, Start: base + start, End: file.ToEOF}
	switch {
	case length > 0:
		l.End = l.Start + length
	case length < 0: // the bytes before start
		l.Start, l.End = l.Start+length, l.Start
	}
	if l.Start < 0 || l.End < l.Start {
		return 0, syscall.EINVAL
	}
	p := t.Proc()
	if cmd != fGetlk {
		return ok(file.SetRecordLock(t.Ctx(), d, p, p.PID, l, cmd == fSetlkw))
	}
	got, err := file.GetRecordLock(d, p, l)
	if err != nil {
		return 0, err
	}
	le.PutUint16(b[0:], uint16(got.Type))
	if got.Type != file.FUnlck {
		le.PutUint16(b[2:], unix.SEEK_SET)
		le.PutUint64(b[8:], uint64(got.Start))
		n := got.End - got.Start
		if got.End == file.ToEOF {
			n = 0
		}
		le.PutUint64(b[16:], uint64(n))
		le.PutUint32(b[24:], uint32(got.PID))
	}
	return 0, t.Mem().CopyOut(va, b[:])
}
