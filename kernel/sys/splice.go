package sys

import (
	"syscall"

	"golang.org/x/sys/unix"

	"scone/kernel/proc"
)

// splice and tee. Scone's files do not support splicing, so both fail
// with EINVAL after checking their descriptors, as Linux's do when "the
// target file system doesn't support splicing" (splice(2)). That is the
// answer programs expect: Go's io.Copy from a TCP connection tries splice
// and falls back to read and write on EINVAL, where ENOSYS would fail the
// copy.

func init() {
	Register(unix.SYS_SPLICE, "splice", func(t *proc.Thread, a Args) (uintptr, error) {
		return 0, spliceCheck(t, a[0], a[2])
	})
	Register(unix.SYS_TEE, "tee", func(t *proc.Thread, a Args) (uintptr, error) {
		return 0, spliceCheck(t, a[0], a[1])
	})
}

// spliceCheck fails with EBADF for a descriptor that is not open, and
// otherwise with EINVAL.
func spliceCheck(t *proc.Thread, in, out uintptr) error {
	for _, fd := range []uintptr{in, out} {
		d, err := getFD(t, fd)
		if err != nil {
			return err
		}
		d.DecRef()
	}
	return syscall.EINVAL
}
