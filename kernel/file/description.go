package file

import (
	"context"
	"sync"
	"sync/atomic"
	"syscall"
)

// Open flags the description keeps (Linux's values).
const (
	O_ACCMODE   = syscall.O_ACCMODE
	O_RDONLY    = syscall.O_RDONLY
	O_WRONLY    = syscall.O_WRONLY
	O_RDWR      = syscall.O_RDWR
	O_APPEND    = syscall.O_APPEND
	O_NONBLOCK  = syscall.O_NONBLOCK
	O_CLOEXEC   = syscall.O_CLOEXEC
	O_PATH      = 0x200000
	O_LARGEFILE = 0x8000
)

// settable are the status flags fcntl(F_SETFL) may change; Linux ignores
// the access mode and creation flags there.
const settable = O_APPEND | O_NONBLOCK | syscall.O_ASYNC | syscall.O_DIRECT | syscall.O_NOATIME

// Description is an open file description: the File, the offset and the
// status flags that dup and fork share. It is reference counted: each
// descriptor-table slot holds one reference and so does each system call
// using it, so a close racing a read never closes the File under it.
type Description struct {
	f     File
	refs  atomic.Int64
	flags atomic.Int32

	// posMu serialises offset updates with the I/O that uses them, as
	// Linux's f_pos_lock does, so two readers never read the same bytes.
	posMu sync.Mutex
	off   int64

	loc Location // where it was opened, for fchdir, openat and /proc; may be zero
	// dir and name are the directory and the name it was opened by, for
	// /proc/PID/fd (a file, unlike a directory, has no ".." to walk up).
	dir  Location
	name string

	hookMu sync.Mutex
	hooks  map[any]func() // run when the last reference goes (epoll removal)
}

// NewDescription returns a description of f holding one reference. flags
// carries the access mode and status flags given to open; creation flags
// and O_CLOEXEC (a descriptor flag) are dropped.
func NewDescription(f File, flags int) *Description {
	d := &Description{f: f}
	d.refs.Store(1)
	d.flags.Store(int32(flags &^ (syscall.O_CREAT | syscall.O_EXCL | syscall.O_NOCTTY | syscall.O_TRUNC | O_CLOEXEC)))
	return d
}

// Location returns where the description was opened in the namespace (a
// zero Location for pipes and the like). It stays valid while the caller
// holds a reference to d; Dup it to keep it longer.
func (d *Description) Location() Location { return d.loc }

// File returns the implementation.
func (d *Description) File() File { return d.f }

// Flags returns the access mode and status flags (fcntl F_GETFL).
func (d *Description) Flags() int { return int(d.flags.Load()) }

// SetFlags changes the status flags fcntl(F_SETFL) may change and keeps
// the rest.
func (d *Description) SetFlags(fl int) {
	for {
		old := d.flags.Load()
		nw := old&^settable | int32(fl&settable)
		if d.flags.CompareAndSwap(old, nw) {
			return
		}
	}
}

// IncRef takes another reference.
func (d *Description) IncRef() { d.refs.Add(1) }

// DecRef drops a reference; the last one runs the release hooks and
// closes the File, returning Close's error.
func (d *Description) DecRef() error {
	n := d.refs.Add(-1)
	if n > 0 {
		return nil
	}
	if n < 0 {
		panic("file: Description reference count below zero")
	}
	d.hookMu.Lock()
	hooks := d.hooks
	d.hooks = nil
	d.hookMu.Unlock()
	for _, h := range hooks {
		h()
	}
	d.loc.Release()
	d.dir.Release()
	return d.f.Close()
}

// OnRelease arranges for fn to run when the last reference goes; key
// identifies it for RemoveOnRelease. epoll uses it to forget a closed
// file as Linux does.
func (d *Description) OnRelease(key any, fn func()) {
	d.hookMu.Lock()
	if d.hooks == nil {
		d.hooks = make(map[any]func())
	}
	d.hooks[key] = fn
	d.hookMu.Unlock()
}

// RemoveOnRelease cancels a hook set by OnRelease.
func (d *Description) RemoveOnRelease(key any) {
	d.hookMu.Lock()
	delete(d.hooks, key)
	d.hookMu.Unlock()
}

func (d *Description) readable() bool {
	fl := d.Flags()
	return fl&O_PATH == 0 && fl&O_ACCMODE != O_WRONLY
}

func (d *Description) writable() bool {
	fl := d.Flags()
	return fl&O_PATH == 0 && fl&O_ACCMODE != O_RDONLY
}

// Read reads into p at the description's offset (advancing it) or from
// the stream.
func (d *Description) Read(ctx context.Context, p []byte) (int, error) {
	if !d.readable() {
		return 0, syscall.EBADF
	}
	switch f := d.f.(type) {
	case Positional:
		d.posMu.Lock()
		defer d.posMu.Unlock()
		n, err := f.ReadAt(ctx, p, d.off)
		d.off += int64(n)
		return n, err
	case Stream:
		return f.Read(ctx, p, d.Flags()&O_NONBLOCK != 0)
	}
	return 0, syscall.EINVAL
}

// Write writes p at the description's offset (at the end under
// O_APPEND), advancing it, or to the stream.
func (d *Description) Write(ctx context.Context, p []byte) (int, error) {
	if !d.writable() {
		return 0, syscall.EBADF
	}
	switch f := d.f.(type) {
	case Positional:
		d.posMu.Lock()
		defer d.posMu.Unlock()
		if a, ok := d.f.(Appender); ok && d.Flags()&O_APPEND != 0 {
			n, end, err := a.Append(ctx, p)
			if n > 0 || err == nil {
				d.off = end
			}
			return n, err
		}
		n, err := f.WriteAt(ctx, p, d.off)
		d.off += int64(n)
		return n, err
	case Stream:
		return f.Write(ctx, p, d.Flags()&O_NONBLOCK != 0)
	}
	return 0, syscall.EINVAL
}

// positional checks a pread or pwrite: access (EBADF), a file with
// offsets (ESPIPE) and the offset (EINVAL).
func (d *Description) positional(ok bool, off int64) (Positional, error) {
	if !ok {
		return nil, syscall.EBADF
	}
	f, isPos := d.f.(Positional)
	if !isPos {
		return nil, syscall.ESPIPE
	}
	if off < 0 {
		return nil, syscall.EINVAL
	}
	return f, nil
}

// ReadAt is pread: it reads at off and leaves the offset alone. Streams
// give ESPIPE.
func (d *Description) ReadAt(ctx context.Context, p []byte, off int64) (int, error) {
	f, err := d.positional(d.readable(), off)
	if err != nil {
		return 0, err
	}
	return f.ReadAt(ctx, p, off)
}

// WriteAt is pwrite: it writes at off and leaves the offset alone. As on
// Linux, O_APPEND still appends.
func (d *Description) WriteAt(ctx context.Context, p []byte, off int64) (int, error) {
	f, err := d.positional(d.writable(), off)
	if err != nil {
		return 0, err
	}
	if a, ok := d.f.(Appender); ok && d.Flags()&O_APPEND != 0 {
		n, _, err := a.Append(ctx, p)
		return n, err
	}
	return f.WriteAt(ctx, p, off)
}

// Seek whence values.
const (
	SeekSet = 0
	SeekCur = 1
	SeekEnd = 2
)

// Seek is lseek. Streams give ESPIPE; a directory may only be rewound or
// set to an offset getdents returned.
func (d *Description) Seek(off int64, whence int) (int64, error) {
	if d.Flags()&O_PATH != 0 {
		return 0, syscall.EBADF
	}
	_, pos := d.f.(Positional)
	_, dir := d.f.(DirReader)
	if !pos && !dir {
		return 0, syscall.ESPIPE
	}
	d.posMu.Lock()
	defer d.posMu.Unlock()
	var base int64
	switch whence {
	case SeekSet:
	case SeekCur:
		base = d.off
	case SeekEnd:
		st, ok := d.f.(Stater)
		if !ok || dir {
			return 0, syscall.EINVAL
		}
		s, err := st.Stat()
		if err != nil {
			return 0, err
		}
		base = s.Size
	default:
		return 0, syscall.EINVAL
	}
	n := base + off
	if (off > 0 && n < base) || n < 0 {
		return 0, syscall.EINVAL // overflow or before the start
	}
	d.off = n
	return n, nil
}

// ReadDir lists the directory from the description's offset, advancing it
// past each entry fn accepts.
func (d *Description) ReadDir(fn func(Dirent) bool) error {
	if d.Flags()&O_PATH != 0 {
		return syscall.EBADF
	}
	r, ok := d.f.(DirReader)
	if !ok {
		return syscall.ENOTDIR
	}
	d.posMu.Lock()
	defer d.posMu.Unlock()
	return r.ReadDir(d.off, func(e Dirent) bool {
		if !fn(e) {
			return false
		}
		d.off = e.Next
		return true
	})
}

// Stat describes the file.
func (d *Description) Stat() (Stat, error) {
	s, ok := d.f.(Stater)
	if !ok {
		return Stat{}, syscall.EINVAL
	}
	st, err := s.Stat()
	if pe, ok := d.f.(*pipeEnd); ok && pe.p.fifo != nil && d.loc.Node != nil {
		st, err = d.loc.Node.Stat() // a FIFO is its node in the file system
	}
	if d.loc.Mount != nil {
		st.Dev = d.loc.Mount.dev
	}
	return st, err
}

// Truncate is ftruncate: EINVAL unless the file is a regular file open
// for writing.
func (d *Description) Truncate(size int64) error {
	t, ok := d.f.(Truncater)
	if !ok || d.Flags()&O_PATH != 0 {
		return syscall.EINVAL
	}
	if !d.writable() {
		return syscall.EINVAL
	}
	if size < 0 {
		return syscall.EINVAL
	}
	return t.Truncate(size)
}

// Sync is fsync; files with nothing to make durable succeed, as Linux's
// pipes and ttys do not (EINVAL).
func (d *Description) Sync() error {
	if s, ok := d.f.(Syncer); ok {
		return s.Sync()
	}
	return syscall.EINVAL
}

// Ioctl passes the request to the File; ENOTTY if it takes none.
func (d *Description) Ioctl(ctx context.Context, m Memory, cmd uint32, arg uintptr) (uintptr, error) {
	if d.Flags()&O_PATH != 0 {
		return 0, syscall.EBADF
	}
	if i, ok := d.f.(Ioctler); ok {
		return i.Ioctl(ctx, m, cmd, arg)
	}
	return 0, syscall.ENOTTY
}
