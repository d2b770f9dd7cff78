package sys

import (
	"encoding/binary"
	"syscall"

	"golang.org/x/sys/unix"

	"scone/kernel/file"
	"scone/kernel/net/waiter"
	"scone/kernel/proc"
	"scone/kernel/sockfile"
)

// read, write and their vectored and positional forms.

const (
	chunk     = 1 << 20 // bytes moved through a kernel buffer at a time
	iovMax    = 1024    // UIO_MAXIOV
	sigpipe   = 13
	maxRWSize = 0x7ffff000 // MAX_RW_COUNT: Linux's cap on one transfer
)

func init() {
	Register(unix.SYS_READ, "read", rwHandler(false, false, false))
	Register(unix.SYS_WRITE, "write", rwHandler(true, false, false))
	Register(unix.SYS_READV, "readv", rwHandler(false, true, false))
	Register(unix.SYS_WRITEV, "writev", rwHandler(true, true, false))
	Register(unix.SYS_PREAD64, "pread64", rwHandler(false, false, true))
	Register(unix.SYS_PWRITE64, "pwrite64", rwHandler(true, false, true))
	Register(unix.SYS_PREADV, "preadv", rwHandler(false, true, true))
	Register(unix.SYS_PWRITEV, "pwritev", rwHandler(true, true, true))
	Register(unix.SYS_PREADV2, "preadv2", rwv2(false))
	Register(unix.SYS_PWRITEV2, "pwritev2", rwv2(true))
	Register(unix.SYS_LSEEK, "lseek", sysLseek)
	Register(unix.SYS_FTRUNCATE, "ftruncate", sysFtruncate)
	Register(unix.SYS_TRUNCATE, "truncate", sysTruncate)
	Register(unix.SYS_FSYNC, "fsync", sysFsync)
	Register(unix.SYS_FDATASYNC, "fdatasync", sysFsync)
	Register(unix.SYS_SYNC, "sync", sysSync)
}

// iovec is one struct iovec.
type iovec struct {
	base uintptr
	len  int
}

// iovecs reads an iovec array: EINVAL for too many or a negative total.
func iovecs(t *proc.Thread, va uintptr, n uintptr) ([]iovec, error) {
	if int(int32(n)) < 0 || n > iovMax {
		return nil, syscall.EINVAL
	}
	raw := make([]byte, 16*n)
	if err := t.Mem().CopyIn(raw, va); err != nil {
		return nil, err
	}
	iov := make([]iovec, n)
	total := 0
	for i := range iov {
		l := binary.LittleEndian.Uint64(raw[16*i+8:])
		if l > 1<<62 {
			return nil, syscall.EINVAL
		}
		total += int(l)
		if total > 1<<62 {
			return nil, syscall.EINVAL
		}
		// Linux quietly shortens a transfer to MAX_RW_COUNT.
		if total > maxRWSize {
			l -= uint64(total - maxRWSize)
			total = maxRWSize
		}
		base := uintptr(binary.LittleEndian.Uint64(raw[16*i:]))
		if err := accessOK(base, uintptr(l)); err != nil {
			return nil, err
		}
		iov[i] = iovec{base, int(l)}
	}
	return iov, nil
}

// readIO is how a read reaches the description: at its offset (off < 0)
// or at off (pread).
func readIO(t *proc.Thread, d *file.Description, p []byte, off int64) (int, error) {
	if off < 0 {
		return d.Read(t.Ctx(), p)
	}
	return d.ReadAt(t.Ctx(), p, off)
}

func writeIO(t *proc.Thread, d *file.Description, p []byte, off int64) (int, error) {
	if off < 0 {
		return d.Write(t.Ctx(), p)
	}
	return d.WriteAt(t.Ctx(), p, off)
}

// doRead reads into the user buffers iov. A stream is read once (it
// returns what is there); a positional file is read a chunk at a time
// until the buffers are full or a read comes up short.
func doRead(t *proc.Thread, d *file.Description, iov []iovec, off int64) (uintptr, error) {
	if err := ttyJobControl(t, d, false); err != nil {
		return 0, err
	}
	total := 0
	for _, v := range iov {
		total += v.len
	}
	if f, ok := d.File().(*sockfile.File); ok && off < 0 {
		// As Linux's sock_read_iter: recv with no flags.
		n, _, _, err := recv(t, d, f, iov, 0, nil)
		return uintptr(n), err
	}
	_, positional := d.File().(file.Positional)
	if !positional && off < 0 && total > 0 {
		return streamRead(t, d, iov, total)
	}
	done := 0
	buf := make([]byte, min(total, chunk))
	for done < total {
		n, err := readIO(t, d, buf[:min(total-done, chunk)], off)
		if n > 0 {
			if cerr := scatter(t, iov, done, buf[:n]); cerr != nil {
				return 0, cerr
			}
			done += n
			if off >= 0 {
				off += int64(n)
			}
		}
		if err != nil {
			if done > 0 {
				break
			}
			return 0, err
		}
		if n < len(buf) || !positional || n == 0 {
			break
		}
	}
	return uintptr(done), nil
}

// streamRead reads a stream whose read takes what it returns (a pipe, the
// tty, an eventfd). Like Linux's pipe_read it never takes bytes it cannot
// copy out: it reads only into the writable start of the buffers
// (fault_in_writeable), so a buffer that goes bad part-way gets what fits
// and the rest stays queued. With no byte writable it waits as the read
// would, then fails with EFAULT and leaves the data.
func streamRead(t *proc.Thread, d *file.Description, iov []iovec, total int) (uintptr, error) {
	want := min(total, file.PipeSize) // no stream returns more at once
	if b, ok := d.File().(interface{ Buffered() int }); ok {
		// Fault in only the pages the waiting bytes need, as Linux.
		if n := b.Buffered(); n > 0 {
			want = min(want, n)
		}
	}
	room := writable(t, iov, 0, want)
	if room == 0 {
		return 0, faultWhenReadable(t, d)
	}
	buf := make([]byte, room)
	n, err := d.Read(t.Ctx(), buf)
	if err == syscall.EINVAL && room < want {
		// A record (an eventfd's 8-byte count) does not fit in the
		// writable start: the buffer's fault, not its size.
		return 0, syscall.EFAULT
	}
	if n > 0 {
		// Fails only if another thread unmapped the buffer meanwhile.
		if cerr := scatter(t, iov, 0, buf[:n]); cerr != nil {
			return 0, cerr
		}
		return uintptr(n), nil
	}
	return 0, err
}

// faultWhenReadable is a stream read into a buffer with no writable byte:
// as Linux, it blocks until there is data (EAGAIN if non-blocking, EINTR
// on a signal) and then fails with EFAULT, or returns 0 at end of file.
func faultWhenReadable(t *proc.Thread, d *file.Description) error {
	f := d.File()
	e, ch := waiter.NewChannelEntry(waiter.EventIn | waiter.EventHup | waiter.EventErr)
	f.Waiter().Register(e)
	defer f.Waiter().Unregister(e)
	for {
		ev := f.Readiness(waiter.EventIn | waiter.EventHup)
		switch {
		case ev&waiter.EventIn != 0:
			return syscall.EFAULT
		case ev&waiter.EventHup != 0:
			return nil // end of file: read returns 0
		case nonblocking(d):
			return syscall.EAGAIN
		}
		select {
		case <-ch:
		case <-t.Ctx().Done():
			return syscall.EINTR
		}
	}
}

// scatter copies b out to the iovecs starting at byte at of their
// concatenation.
func scatter(t *proc.Thread, iov []iovec, at int, b []byte) error {
	for _, v := range iov {
		if len(b) == 0 {
			return nil
		}
		if at >= v.len {
			at -= v.len
			continue
		}
		n := min(v.len-at, len(b))
		if err := t.Mem().CopyOut(v.base+uintptr(at), b[:n]); err != nil {
			return err
		}
		b, at = b[n:], 0
	}
	return nil
}

// gather copies into b the bytes at byte at of the iovecs' concatenation.
func gather(t *proc.Thread, iov []iovec, at int, b []byte) error {
	for _, v := range iov {
		if len(b) == 0 {
			return nil
		}
		if at >= v.len {
			at -= v.len
			continue
		}
		n := min(v.len-at, len(b))
		if err := t.Mem().CopyIn(b[:n], v.base+uintptr(at)); err != nil {
			return err
		}
		b, at = b[n:], 0
	}
	return nil
}

// doWrite writes the user buffers a chunk at a time (a pipe write of up to
// PIPE_BUF is one chunk, so stays atomic) until all is written or a write
// comes up short. EPIPE sends SIGPIPE, as Linux does. A buffer that goes
// bad part-way writes what comes before the bad byte and returns its
// count (EFAULT if none), as Linux's generic_perform_write; a stream
// (pipe_write) counts only whole PIPE_BUF pages, so a short pipe write
// is all or EFAULT.
func doWrite(t *proc.Thread, d *file.Description, iov []iovec, off int64) (uintptr, error) {
	if err := ttyJobControl(t, d, true); err != nil {
		return 0, err
	}
	total := 0
	for _, v := range iov {
		total += v.len
	}
	_, positional := d.File().(file.Positional)
	done := 0
	buf := make([]byte, min(total, chunk))
	for done < total || total == 0 {
		b := buf[:min(total-done, chunk)]
		bad := false
		if ok := readable(t, iov, done, len(b)); ok < len(b) {
			if !positional {
				ok -= ok % file.PipeBuf
			}
			b, bad = b[:ok], true
		}
		if len(b) == 0 && bad {
			if done > 0 {
				break
			}
			return 0, syscall.EFAULT
		}
		if err := gather(t, iov, done, b); err != nil {
			if done > 0 {
				break
			}
			return 0, err
		}
		n, err := writeIO(t, d, b, off)
		done += n
		if off >= 0 {
			off += int64(n)
		}
		if err != nil {
			if err == syscall.EPIPE {
				t.Signal(sigpipe)
			}
			if done > 0 {
				break
			}
			return 0, err
		}
		if n < len(b) || total == 0 || bad {
			break
		}
	}
	return uintptr(done), nil
}

func rw(t *proc.Thread, fd uintptr, iov []iovec, off int64, write bool) (uintptr, error) {
	d, err := getFD(t, fd)
	if err != nil {
		return 0, err
	}
	defer d.DecRef()
	if write {
		return doWrite(t, d, iov, off)
	}
	return doRead(t, d, iov, off)
}

func one(va, n uintptr) ([]iovec, error) {
	if int64(n) < 0 {
		return nil, syscall.EINVAL
	}
	n = min(n, maxRWSize)
	if err := accessOK(va, n); err != nil {
		return nil, err
	}
	return []iovec{{va, int(n)}}, nil
}

// rwHandler makes the handler of one of the six calls: vectored or not,
// at the description's offset or at the fourth argument (pread, pwrite).
func rwHandler(write, vectored, positional bool) Handler {
	return func(t *proc.Thread, a Args) (uintptr, error) {
		var iov []iovec
		var err error
		if vectored {
			iov, err = iovecs(t, a[1], a[2])
		} else {
			iov, err = one(a[1], a[2])
		}
		if err != nil {
			return 0, err
		}
		off := int64(-1)
		if positional {
			if off = int64(a[3]); off < 0 {
				return 0, syscall.EINVAL
			}
		}
		return rw(t, a[0], iov, off, write)
	}
}

// rwv2 is preadv2/pwritev2: an offset of -1 means the description's
// offset; the RWF_ flags (priorities, DSYNC, NOWAIT, APPEND) are not
// supported (EOPNOTSUPP, as Linux says for flags a file cannot honour).
func rwv2(write bool) Handler {
	return func(t *proc.Thread, a Args) (uintptr, error) {
		if a[5] != 0 {
			return 0, syscall.EOPNOTSUPP
		}
		iov, err := iovecs(t, a[1], a[2])
		if err != nil {
			return 0, err
		}
		off := int64(a[3])
		if off < -1 {
			return 0, syscall.EINVAL
		}
		return rw(t, a[0], iov, off, write)
	}
}

func sysLseek(t *proc.Thread, a Args) (uintptr, error) {
	d, err := getFD(t, a[0])
	if err != nil {
		return 0, err
	}
	defer d.DecRef()
	off, err := d.Seek(int64(a[1]), int(int32(a[2])))
	return uintptr(off), err
}

func sysFtruncate(t *proc.Thread, a Args) (uintptr, error) {
	d, err := getFD(t, a[0])
	if err != nil {
		return 0, err
	}
	defer d.DecRef()
	return ok(d.Truncate(int64(a[1])))
}

func sysTruncate(t *proc.Thread, a Args) (uintptr, error) {
	path, err := pathArg(t, a[0])
	if err != nil {
		return 0, err
	}
	if int64(a[1]) < 0 {
		return 0, syscall.EINVAL
	}
	d, err := t.Proc().FS.Open(file.Location{}, path, file.O_WRONLY, 0)
	if err != nil {
		return 0, err
	}
	defer d.DecRef()
	return ok(d.Truncate(int64(a[1])))
}

func sysFsync(t *proc.Thread, a Args) (uintptr, error) {
	d, err := getFD(t, a[0])
	if err != nil {
		return 0, err
	}
	defer d.DecRef()
	return ok(d.Sync())
}

func sysSync(t *proc.Thread, a Args) (uintptr, error) {
	t.Proc().FS.Namespace().Sync() // sync(2) cannot fail
	return 0, nil
}
