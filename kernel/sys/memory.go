package sys

import (
	"io"
	"syscall"

	"scone/kernel/file"
	"scone/kernel/mem"
	"scone/kernel/proc"
)

func init() {
	Register(9, "mmap", sysMmap)
	Register(11, "munmap", func(t *proc.Thread, a Args) (uintptr, error) {
		return 0, t.Mem().Munmap(a[0], a[1])
	})
	Register(10, "mprotect", func(t *proc.Thread, a Args) (uintptr, error) {
		if a[2]&^7 != 0 {
			return 0, syscall.EINVAL
		}
		return 0, t.Mem().Mprotect(a[0], a[1], int(a[2]))
	})
	Register(28, "madvise", func(t *proc.Thread, a Args) (uintptr, error) {
		return 0, t.Mem().Madvise(a[0], a[1], int(a[2]))
	})
	Register(12, "brk", func(t *proc.Thread, a Args) (uintptr, error) {
		return t.Mem().Brk(a[0]), nil
	})
}

func sysMmap(t *proc.Thread, a Args) (uintptr, error) {
	addr, length, prot, flags, fd, off := a[0], a[1], int(a[2]), int(a[3]), int(int32(a[4])), int64(a[5])
	if prot&^7 != 0 {
		return 0, syscall.EINVAL
	}
	var r io.ReaderAt
	var size int64
	if flags&mem.MapAnonymous == 0 {
		d, err := t.Proc().Files.Get(fd)
		if err != nil {
			return 0, syscall.EBADF
		}
		defer d.DecRef()
		fl := d.Flags()
		if fl&file.O_PATH != 0 || fl&syscall.O_ACCMODE == syscall.O_WRONLY {
			return 0, syscall.EACCES
		}
		st, err := d.Stat()
		if err != nil {
			return 0, err
		}
		if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
			return 0, syscall.ENODEV
		}
		r, size = proc.FileReader(d), st.Size
	}
	return t.Mem().Mmap(addr, length, prot, flags, r, off, size)
}
