package sys

import (
	"syscall"

	"golang.org/x/sys/unix"

	"scone/kernel/file"
	"scone/kernel/net/socket"
	"scone/kernel/proc"
	"scone/kernel/sockfile"
)

// Descriptor calls: close, dup, fcntl, pipe, eventfd and the ioctls every
// file answers.

func init() {
	Register(unix.SYS_CLOSE, "close", sysClose)
	Register(unix.SYS_DUP, "dup", sysDup)
	Register(unix.SYS_DUP2, "dup2", sysDup2)
	Register(unix.SYS_DUP3, "dup3", sysDup3)
	Register(unix.SYS_FCNTL, "fcntl", sysFcntl)
	Register(unix.SYS_PIPE, "pipe", func(t *proc.Thread, a Args) (uintptr, error) { return pipe2(t, a[0], 0) })
	Register(unix.SYS_PIPE2, "pipe2", func(t *proc.Thread, a Args) (uintptr, error) { return pipe2(t, a[0], int(int32(a[1]))) })
	Register(unix.SYS_EVENTFD, "eventfd", func(t *proc.Thread, a Args) (uintptr, error) { return eventfd(t, a[0], 0) })
	Register(unix.SYS_EVENTFD2, "eventfd2", func(t *proc.Thread, a Args) (uintptr, error) { return eventfd(t, a[0], int(int32(a[1]))) })
	Register(unix.SYS_IOCTL, "ioctl", sysIoctl)
}

// install puts a new description in the lowest free slot, dropping it on
// failure.
func install(t *proc.Thread, d *file.Description, cloexec bool) (uintptr, error) {
	fd, err := t.Proc().Files.Install(d, 0, cloexec)
	if err != nil {
		d.DecRef()
		return 0, err
	}
	return uintptr(fd), nil
}

func sysClose(t *proc.Thread, a Args) (uintptr, error) {
	// POSIX: closing any descriptor of a file drops the process's record
	// locks on it.
	if d, err := t.Proc().Files.Get(fdArg(a[0])); err == nil {
		file.ReleaseRecordLocks(t.Proc(), d)
		d.DecRef()
	}
	return 0, lingering(t, fdArg(a[0]), true, func() error {
		err := t.Proc().Files.Close(fdArg(a[0]))
		if err == syscall.EINTR {
			err = nil // the descriptor is gone whatever Close said (Linux: never retry close)
		}
		return err
	})
}

// lingering runs drop, a call that may close descriptor fd, and then, if
// that released a TCP socket with SO_LINGER set, waits as Linux's
// inet_release does for a task that is not exiting: close(2), dup2 or
// dup3 closing what their target named, and execve closing its
// close-on-exec descriptors (sysExecve). A process's exit closes its
// descriptors without this, and never lingers, as Linux. The socket's
// Close error is returned only if closeErr is set (dup2 ignores errors
// from its implicit close, as Linux's).
func lingering(t *proc.Thread, fd int, closeErr bool, drop func() error) error {
	h := holdSocket(t, fd)
	err := drop()
	if rerr := h.release(t); closeErr && err == nil && rerr != syscall.EINTR {
		err = rerr
	}
	return err
}

// heldSocket is a socket's description held across a call that may close
// its last descriptor, so that SO_LINGER's wait can follow the release.
type heldSocket struct {
	d    *file.Description
	sock *sockfile.File
}

// holdSocket holds fd's description if it is a socket.
func holdSocket(t *proc.Thread, fd int) heldSocket {
	d, _ := t.Proc().Files.Get(fd)
	if d == nil {
		return heldSocket{}
	}
	if sock, ok := d.File().(*sockfile.File); ok {
		return heldSocket{d, sock}
	}
	d.DecRef()
	return heldSocket{}
}

// release drops the hold, returning the socket's Close error if that was
// the last reference, and lingers if it closed a socket with SO_LINGER.
func (h heldSocket) release(t *proc.Thread) error {
	if h.d == nil {
		return nil
	}
	err := h.d.DecRef()
	socket.LingerWait(t.Ctx(), h.sock.Socket()) // returns at once unless this closed a lingering TCP socket
	return err
}

func sysDup(t *proc.Thread, a Args) (uintptr, error) {
	d, err := getFD(t, a[0])
	if err != nil {
		return 0, err
	}
	return install(t, d, false)
}

func sysDup2(t *proc.Thread, a Args) (uintptr, error) {
	return dup2(t, fdArg(a[0]), fdArg(a[1]), false)
}

// dup2 makes newfd a copy of oldfd; if that closes a lingering socket,
// the call waits as close(2) would.
func dup2(t *proc.Thread, oldfd, newfd int, cloexec bool) (uintptr, error) {
	var fd int
	err := lingering(t, newfd, false, func() error {
		var err error
		fd, err = t.Proc().Files.Dup2(oldfd, newfd, cloexec)
		return err
	})
	return uintptr(fd), err
}

func sysDup3(t *proc.Thread, a Args) (uintptr, error) {
	flags := int(int32(a[2]))
	if flags&^file.O_CLOEXEC != 0 || fdArg(a[0]) == fdArg(a[1]) {
		return 0, syscall.EINVAL
	}
	return dup2(t, fdArg(a[0]), fdArg(a[1]), flags != 0)
}

// fcntl commands (Linux's values).
const (
	fDupfd        = 0
	fGetfd        = 1
	fSetfd        = 2
	fGetfl        = 3
	fSetfl        = 4
	fGetlk        = 5
	fSetlk        = 6
	fSetlkw       = 7
	fDupfdCloexec = 1030
	fGetpipeSz    = 1032
	fdCloexec     = 1
)

func sysFcntl(t *proc.Thread, a Args) (uintptr, error) {
	tab := t.Proc().Files
	fd := fdArg(a[0])
	d, err := tab.Get(fd)
	if err != nil {
		return 0, err
	}
	defer d.DecRef()
	switch cmd := int(int32(a[1])); cmd {
	case fDupfd, fDupfdCloexec:
		min := int(int32(a[2]))
		if min < 0 || min >= tab.Limit() {
			return 0, syscall.EINVAL
		}
		d.IncRef()
		n, err := tab.Install(d, min, cmd == fDupfdCloexec)
		if err != nil {
			d.DecRef()
		}
		return uintptr(n), err
	case fGetfd:
		on, err := tab.Cloexec(fd)
		if on {
			return fdCloexec, err
		}
		return 0, err
	case fSetfd:
		return ok(tab.SetCloexec(fd, a[2]&fdCloexec != 0))
	case fGetfl:
		return uintptr(d.Flags() | file.O_LARGEFILE), nil
	case fSetfl:
		d.SetFlags(int(int32(a[2])))
		return 0, nil
	case fGetpipeSz:
		if _, ok := d.File().(interface{ Buffered() int }); ok {
			return file.PipeSize, nil
		}
	case fGetlk, fSetlk, fSetlkw:
		return recordLock(t, d, cmd, a[2])
	}
	// Leases, owners, signals and open file description locks are not
	// implemented.
	return 0, syscall.EINVAL
}

func pipe2(t *proc.Thread, va uintptr, flags int) (uintptr, error) {
	if flags&^(file.O_CLOEXEC|file.O_NONBLOCK|syscall.O_DIRECT) != 0 {
		return 0, syscall.EINVAL
	}
	r, w := file.NewPipe()
	fl := flags & file.O_NONBLOCK
	rd := file.NewDescription(r, file.O_RDONLY|fl)
	wd := file.NewDescription(w, file.O_WRONLY|fl)
	cloexec := flags&file.O_CLOEXEC != 0
	tab := t.Proc().Files
	rfd, err := tab.Install(rd, 0, cloexec)
	if err != nil {
		rd.DecRef()
		wd.DecRef()
		return 0, err
	}
	wfd, err := tab.Install(wd, 0, cloexec)
	if err != nil {
		tab.Close(rfd)
		wd.DecRef()
		return 0, err
	}
	var b [8]byte
	putLE32(b[:4], uint32(rfd))
	putLE32(b[4:], uint32(wfd))
	if err := t.Mem().CopyOut(va, b[:]); err != nil {
		tab.Close(rfd)
		tab.Close(wfd)
		return 0, err
	}
	return 0, nil
}

func putLE32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func eventfd(t *proc.Thread, initval uintptr, flags int) (uintptr, error) {
	if flags&^(file.EFD_SEMAPHORE|file.EFD_NONBLOCK|file.EFD_CLOEXEC) != 0 {
		return 0, syscall.EINVAL
	}
	d := file.NewDescription(file.NewEventFD(uint32(initval), flags), file.O_RDWR|flags&file.O_NONBLOCK)
	return install(t, d, flags&file.EFD_CLOEXEC != 0)
}

// ioctls every descriptor answers (Linux's values).
const (
	fionread = 0x541b
	fionbio  = 0x5421
	fionclex = 0x5450
	fioclex  = 0x5451
)

func sysIoctl(t *proc.Thread, a Args) (uintptr, error) {
	fd := fdArg(a[0])
	d, err := t.Proc().Files.Get(fd)
	if err != nil {
		return 0, err
	}
	defer d.DecRef()
	if handled, ret, err := ttyIoctl(t, d, uint32(a[1]), a[2]); handled {
		return ret, err
	}
	switch cmd := uint32(a[1]); cmd {
	case fioclex, fionclex:
		return ok(t.Proc().Files.SetCloexec(fd, cmd == fioclex))
	case fionbio:
		v, err := getU32(t, a[2])
		if err != nil {
			return 0, err
		}
		fl := d.Flags() &^ file.O_NONBLOCK
		if v != 0 {
			fl |= file.O_NONBLOCK
		}
		d.SetFlags(fl)
		return 0, nil
	case fionread:
		if b, ok := d.File().(interface{ Buffered() int }); ok {
			return 0, putU32(t, a[2], uint32(b.Buffered()))
		}
		if _, ok := d.File().(file.Positional); ok {
			st, err := d.Stat()
			if err != nil {
				return 0, err
			}
			if st.Mode&file.S_IFMT == file.S_IFREG {
				cur, _ := d.Seek(0, file.SeekCur)
				return 0, putU32(t, a[2], uint32(max(st.Size-cur, 0)))
			}
		}
		return d.Ioctl(t.Ctx(), t.Mem(), cmd, a[2])
	default:
		if _, isSock := d.File().(*sockfile.File); isSock && sockfile.NeedsAdmin(cmd) && t.Proc().Cred.EUID != 0 {
			return 0, syscall.EPERM // no CAP_NET_ADMIN
		}
		return d.Ioctl(t.Ctx(), t.Mem(), cmd, a[2])
	}
}
