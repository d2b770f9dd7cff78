// Package file is the layer between the system calls and everything a file
// descriptor can name: regular files and directories (over kernel/fs),
// pipes, eventfds, epoll instances, the tty, /dev and /proc. It owns the
// open file description (offset and status flags, shared across dup and
// fork), the per-process descriptor table, and the per-process file-system
// context (root, working directory, umask).
//
// A File is the implementation behind a description. Every File is a
// waiter.Waitable so poll and epoll work on anything; the rest is optional
// interfaces a File implements when it can do the thing.
package file

import (
	"context"

	"scone/kernel/net/waiter"
)

// File is the implementation behind an open file description. Close is
// called once, when the last descriptor (or in-flight system call) lets go.
type File interface {
	waiter.Waitable
	Close() error
}

// Stream is a File read and written without an offset (pipes, the tty,
// eventfd). nonblock is the description's O_NONBLOCK: a call that would
// block fails with EAGAIN instead. A blocking call ends early with EINTR
// when ctx is cancelled.
type Stream interface {
	Read(ctx context.Context, p []byte, nonblock bool) (int, error)
	Write(ctx context.Context, p []byte, nonblock bool) (int, error)
}

// Positional is a File read and written at offsets (regular files and
// devices like /dev/zero). The description keeps the offset for read and
// write; pread and pwrite pass their own.
type Positional interface {
	ReadAt(ctx context.Context, p []byte, off int64) (int, error)
	WriteAt(ctx context.Context, p []byte, off int64) (int, error)
}

// Appender writes at the end of a Positional file atomically with respect
// to other writers (O_APPEND) and returns the offset just past the data.
type Appender interface {
	Append(ctx context.Context, p []byte) (n int, end int64, err error)
}

// Stater describes a File for fstat.
type Stater interface {
	Stat() (Stat, error)
}

// DirReader lists a directory for getdents64, from offset off (0 for the
// start; a Dirent's Next to resume) until fn returns false.
type DirReader interface {
	ReadDir(off int64, fn func(Dirent) bool) error
}

// Dirent is one directory entry.
type Dirent struct {
	Name string
	Ino  uint64
	Type uint8 // DT_* (Linux's values)
	Next int64 // offset to resume after this entry
}

// Ioctler handles ioctl(2) requests; arg is the raw argument, a user
// address for most requests, read and written through m.
type Ioctler interface {
	Ioctl(ctx context.Context, m Memory, cmd uint32, arg uintptr) (uintptr, error)
}

// Truncater sets a file's size (ftruncate).
type Truncater interface {
	Truncate(size int64) error
}

// Syncer makes a file's data durable (fsync, fdatasync).
type Syncer interface {
	Sync() error
}

// Memory is a process's user memory as the file layer needs it: copies
// that fail with EFAULT on a bad address.
type Memory interface {
	CopyIn(dst []byte, addr uintptr) error
	CopyOut(addr uintptr, src []byte) error
}
