//go:build proctest

package start

// A kernel for tests/qemu's process tests (go build -tags proctest): until
// the root disk is there, the root file system is a RAM disk holding the
// static program the test built as proctest/init.bin, installed as
// /bin/init.

import (
	"context"
	_ "embed"
	"os"
	"syscall"
	"time"

	"scone/kernel/file"
	"scone/kernel/file/diskfs"
	"scone/kernel/fs"
	"scone/kernel/net/waiter"
	"scone/kernel/proc"
	"scone/kernel/sys"
)

//go:embed proctest/init.bin
var proctestInit []byte

func init() {
	rootNamespace = func() (*file.Namespace, error) {
		disk, err := fs.NewRAMDisk(make([]byte, 32<<20))
		if err != nil {
			return nil, err
		}
		if _, err := fs.Format(disk, fs.FormatOptions{Now: time.Now().UnixNano()}); err != nil {
			return nil, err
		}
		f, err := fs.Mount(disk, fs.Options{})
		if err != nil {
			return nil, err
		}
		if err := f.Mkdir(nil, "/bin", 0o755); err != nil {
			return nil, err
		}
		// /dev/console: the console device when files has registered
		// it, else a stand-in that writes to the serial port.
		if err := f.Mkdir(nil, "/dev", 0o755); err != nil {
			return nil, err
		}
		if err := f.Mknod(nil, "/dev/console", syscall.S_IFCHR|0o600, 5, 1); err != nil {
			return nil, err
		}
		if c, err := file.OpenDevice(file.Mkdev(5, 1), syscall.O_RDWR); err == nil {
			c.Close()
		} else {
			file.RegisterDevice(file.Mkdev(5, 1), func(int) (file.File, error) { return serialOut{}, nil })
		}
		ip, err := f.Open(nil, "/bin/init", fs.O_CREAT|syscall.O_RDWR, 0o755)
		if err != nil {
			return nil, err
		}
		if _, err := ip.WriteAt(proctestInit, 0); err != nil {
			return nil, err
		}
		ip.Close()
		return file.NewNamespace(diskfs.New(f))
	}
}

// Until the file system calls are registered, the proctest kernel answers
// the few the Go runtime makes at start: 0-2 are the console and no other descriptor is open,
// no files exist (ENOENT), and writes to 1 and 2 go to the console.
func init() {
	fallback := func(nr int, name string, h sys.Handler) {
		if sys.Name(nr) == "" {
			sys.Register(nr, name, h)
		}
	}
	fallback(72, "fcntl", func(_ *proc.Thread, a sys.Args) (uintptr, error) {
		if a[0] <= 2 {
			return 0, nil // the console, as the kernel will open it
		}
		return 0, syscall.EBADF
	})
	fallback(257, "openat", func(*proc.Thread, sys.Args) (uintptr, error) { return 0, syscall.ENOENT })
	// The runtime's netpoller, which its timers need: one epoll (3) and
	// one eventfd (4); a wait just sleeps for its timeout.
	fallback(291, "epoll_create1", func(*proc.Thread, sys.Args) (uintptr, error) { return 3, nil })
	fallback(290, "eventfd2", func(*proc.Thread, sys.Args) (uintptr, error) { return 4, nil })
	fallback(233, "epoll_ctl", func(*proc.Thread, sys.Args) (uintptr, error) { return 0, nil })
	fallback(281, "epoll_pwait", func(t *proc.Thread, a sys.Args) (uintptr, error) {
		ms := time.Duration(int32(a[3]))
		if ms < 0 {
			ms = 1000
		}
		select {
		case <-time.After(ms * time.Millisecond):
		case <-t.Ctx().Done():
			return 0, sys.ErrNoRestart
		}
		return 0, nil
	})
	fallback(1, "write", func(t *proc.Thread, a sys.Args) (uintptr, error) {
		if a[0] == 4 {
			return 8, nil // the eventfd
		}
		if a[0] != 1 && a[0] != 2 {
			return 0, syscall.EBADF
		}
		b := make([]byte, min(a[2], 1<<16))
		if err := t.Mem().CopyIn(b, a[1]); err != nil {
			return 0, err
		}
		os.Stdout.Write(b)
		return uintptr(len(b)), nil
	})
}

// serialOut is the proctest console stand-in: writes go to the serial
// port, reads see end of file.
type serialOut struct{}

func (serialOut) Read(context.Context, []byte, bool) (int, error) { return 0, nil }
func (serialOut) Write(_ context.Context, p []byte, _ bool) (int, error) {
	return os.Stdout.Write(p)
}
func (serialOut) Close() error { return nil }
func (serialOut) Readiness(m waiter.Events) waiter.Events {
	return m & (waiter.EventIn | waiter.EventOut)
}
func (serialOut) Waiter() *waiter.Queue { return &waiter.Queue{} }
