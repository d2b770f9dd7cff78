package main

import (
	"fmt"
	"os"
	"os/exec"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func init() {
	register("efault", testEFault)
}

// badPointers are addresses no user program may touch: unmapped low
// memory, the kernel half, and a non-canonical address.
var badPointers = []uintptr{1, 0xffff800000001000, 0x8000000000000000}

// A faultCase is one system call with a bad pointer in one argument.
type faultCase struct {
	name string
	nr   uintptr
	args func(bad uintptr) [6]uintptr
}

// testEFault passes each bad pointer to every system call that takes a
// pointer: each must fail with EFAULT (and the kernel must live).
func testEFault() error {
	f, err := os.Create("file")
	if err != nil {
		return err
	}
	f.WriteString("some bytes to read back\n")
	fd := f.Fd()
	dir, _ := os.Open(".")
	dfd := dir.Fd()
	pr, pw, _ := os.Pipe()
	pw.Write(make([]byte, 100)) // so read has something to fail to copy
	okPath := ptr(cstr("file"))
	var ts unix.Timespec
	cases := []faultCase{
		{"read", unix.SYS_READ, func(b uintptr) [6]uintptr { return [6]uintptr{pr.Fd(), b, 8} }},
		{"write", unix.SYS_WRITE, func(b uintptr) [6]uintptr { return [6]uintptr{pw.Fd(), b, 8} }},
		{"pread64", unix.SYS_PREAD64, func(b uintptr) [6]uintptr { return [6]uintptr{fd, b, 8, 0} }},
		{"pwrite64", unix.SYS_PWRITE64, func(b uintptr) [6]uintptr { return [6]uintptr{fd, b, 8, 0} }},
		{"readv", unix.SYS_READV, func(b uintptr) [6]uintptr { return [6]uintptr{fd, b, 1} }},
		{"writev", unix.SYS_WRITEV, func(b uintptr) [6]uintptr { return [6]uintptr{fd, b, 1} }},
		{"readv-base", unix.SYS_READV, func(b uintptr) [6]uintptr {
			iov := &[2]uint64{uint64(b), 8} // struct iovec {base, len}
			keep = append(keep, iov)
			return [6]uintptr{pr.Fd(), ptr(iov), 1}
		}},
		{"openat", unix.SYS_OPENAT, func(b uintptr) [6]uintptr { return [6]uintptr{atCwd(), b, 0} }},
		{"open", unix.SYS_OPEN, func(b uintptr) [6]uintptr { return [6]uintptr{b, 0} }},
		{"fstat", unix.SYS_FSTAT, func(b uintptr) [6]uintptr { return [6]uintptr{fd, b} }},
		{"newfstatat-path", unix.SYS_NEWFSTATAT, func(b uintptr) [6]uintptr { return [6]uintptr{atCwd(), b, ptr(&[256]byte{}), 0} }},
		{"newfstatat-buf", unix.SYS_NEWFSTATAT, func(b uintptr) [6]uintptr { return [6]uintptr{atCwd(), okPath, b, 0} }},
		{"statx", unix.SYS_STATX, func(b uintptr) [6]uintptr { return [6]uintptr{atCwd(), okPath, 0, unix.STATX_BASIC_STATS, b} }},
		{"getdents64", unix.SYS_GETDENTS64, func(b uintptr) [6]uintptr { return [6]uintptr{dfd, b, 4096} }},
		{"mkdirat", unix.SYS_MKDIRAT, func(b uintptr) [6]uintptr { return [6]uintptr{atCwd(), b, 0o755} }},
		{"unlinkat", unix.SYS_UNLINKAT, func(b uintptr) [6]uintptr { return [6]uintptr{atCwd(), b, 0} }},
		{"renameat2", unix.SYS_RENAMEAT2, func(b uintptr) [6]uintptr { return [6]uintptr{atCwd(), okPath, atCwd(), b, 0} }},
		{"linkat", unix.SYS_LINKAT, func(b uintptr) [6]uintptr { return [6]uintptr{atCwd(), b, atCwd(), ptr(cstr("l")), 0} }},
		{"symlinkat", unix.SYS_SYMLINKAT, func(b uintptr) [6]uintptr { return [6]uintptr{b, atCwd(), ptr(cstr("s"))} }},
		{"readlinkat", unix.SYS_READLINKAT, func(b uintptr) [6]uintptr { return [6]uintptr{atCwd(), b, ptr(&[64]byte{}), 64} }},
		{"fchmodat", unix.SYS_FCHMODAT, func(b uintptr) [6]uintptr { return [6]uintptr{atCwd(), b, 0o644} }},
		{"faccessat2", unix.SYS_FACCESSAT2, func(b uintptr) [6]uintptr { return [6]uintptr{atCwd(), b, 0, 0} }},
		{"utimensat", unix.SYS_UTIMENSAT, func(b uintptr) [6]uintptr { return [6]uintptr{atCwd(), okPath, b, 0} }},
		{"chdir", unix.SYS_CHDIR, func(b uintptr) [6]uintptr { return [6]uintptr{b} }},
		{"getcwd", unix.SYS_GETCWD, func(b uintptr) [6]uintptr { return [6]uintptr{b, 256} }},
		{"pipe2", unix.SYS_PIPE2, func(b uintptr) [6]uintptr { return [6]uintptr{b, 0} }},
		{"execve", unix.SYS_EXECVE, func(b uintptr) [6]uintptr { return [6]uintptr{b, 0, 0} }},
		{"execve-argv", unix.SYS_EXECVE, func(b uintptr) [6]uintptr { return [6]uintptr{ptr(cstr(self())), b, 0} }},
		{"wait4", unix.SYS_WAIT4, func(b uintptr) [6]uintptr {
			// A child each time, since wait4 reaps it even when it cannot
			// store the status.
			child := exec.Command(self(), "-child", "exit", "0")
			child.Start()
			return [6]uintptr{uintptr(child.Process.Pid), b, 0, 0}
		}},
		{"uname", unix.SYS_UNAME, func(b uintptr) [6]uintptr { return [6]uintptr{b} }},
		{"clock_gettime", unix.SYS_CLOCK_GETTIME, func(b uintptr) [6]uintptr { return [6]uintptr{unix.CLOCK_REALTIME, b} }},
		{"gettimeofday", unix.SYS_GETTIMEOFDAY, func(b uintptr) [6]uintptr { return [6]uintptr{b, 0} }},
		{"nanosleep", unix.SYS_NANOSLEEP, func(b uintptr) [6]uintptr { return [6]uintptr{b, 0} }},
		{"clock_nanosleep", unix.SYS_CLOCK_NANOSLEEP, func(b uintptr) [6]uintptr { return [6]uintptr{unix.CLOCK_MONOTONIC, 0, b, 0} }},
		{"rt_sigaction", unix.SYS_RT_SIGACTION, func(b uintptr) [6]uintptr { return [6]uintptr{uintptr(unix.SIGUSR2), b, 0, 8} }},
		{"rt_sigaction-old", unix.SYS_RT_SIGACTION, func(b uintptr) [6]uintptr { return [6]uintptr{uintptr(unix.SIGUSR2), 0, b, 8} }},
		{"rt_sigprocmask", unix.SYS_RT_SIGPROCMASK, func(b uintptr) [6]uintptr { return [6]uintptr{unix.SIG_BLOCK, b, 0, 8} }},
		{"rt_sigpending", unix.SYS_RT_SIGPENDING, func(b uintptr) [6]uintptr { return [6]uintptr{b, 8} }},
		{"sigaltstack", unix.SYS_SIGALTSTACK, func(b uintptr) [6]uintptr { return [6]uintptr{b, 0} }},
		{"poll", unix.SYS_POLL, func(b uintptr) [6]uintptr { return [6]uintptr{b, 1, 0} }},
		{"ppoll", unix.SYS_PPOLL, func(b uintptr) [6]uintptr { return [6]uintptr{b, 1, ptr(&ts), 0, 8} }},
		{"pselect6", unix.SYS_PSELECT6, func(b uintptr) [6]uintptr { return [6]uintptr{1, b, 0, 0, ptr(&ts), 0} }},
		{"epoll_ctl", unix.SYS_EPOLL_CTL, func(b uintptr) [6]uintptr { return [6]uintptr{epollFD(pr.Fd()), unix.EPOLL_CTL_ADD, pw.Fd(), b} }},
		// The pipe holds data, so the wait has an event to store in b.
		{"epoll_pwait", unix.SYS_EPOLL_PWAIT, func(b uintptr) [6]uintptr { return [6]uintptr{epollFD(pr.Fd()), b, 1, 0, 0, 8} }},
		{"getrandom", unix.SYS_GETRANDOM, func(b uintptr) [6]uintptr { return [6]uintptr{b, 16, 0} }},
		{"sysinfo", unix.SYS_SYSINFO, func(b uintptr) [6]uintptr { return [6]uintptr{b} }},
		{"getrusage", unix.SYS_GETRUSAGE, func(b uintptr) [6]uintptr { return [6]uintptr{0, b} }},
		{"prlimit64", unix.SYS_PRLIMIT64, func(b uintptr) [6]uintptr { return [6]uintptr{0, unix.RLIMIT_NOFILE, 0, b} }},
		{"sched_getaffinity", unix.SYS_SCHED_GETAFFINITY, func(b uintptr) [6]uintptr { return [6]uintptr{0, 128, b} }},
		{"futex", unix.SYS_FUTEX, func(b uintptr) [6]uintptr { return [6]uintptr{b &^ 3, 0 /* FUTEX_WAIT */, 0, ptr(&ts)} }}, // aligned, or EINVAL
		{"getresuid", unix.SYS_GETRESUID, func(b uintptr) [6]uintptr { return [6]uintptr{b, b, b} }},
		{"ioctl-TIOCGWINSZ", unix.SYS_IOCTL, func(b uintptr) [6]uintptr { return [6]uintptr{ttyFD(), unix.TIOCGWINSZ, b} }},
	}
	var fails []string
	for _, c := range cases {
		if c.name == "ioctl-TIOCGWINSZ" && ttyFD() == ^uintptr(0) {
			continue // no terminal to ask (standard input is not one)
		}
		for _, bad := range badPointers {
			a := c.args(bad)
			res := make(chan unix.Errno, 1)
			go func() {
				_, _, e := unix.Syscall6(c.nr, a[0], a[1], a[2], a[3], a[4], a[5])
				res <- e
			}()
			var e unix.Errno
			select {
			case e = <-res:
			case <-time.After(5 * time.Second):
				return fmt.Errorf("%s(%#x) blocked for 5 s", c.name, bad)
			}
			if e != unix.EFAULT {
				fails = append(fails, fmt.Sprintf("%s(%#x): %v, want EFAULT", c.name, bad, errName(e)))
			}
		}
	}
	if len(fails) > 0 {
		return fmt.Errorf("%d of %d calls:\n%s", len(fails), len(cases)*len(badPointers), joinLines(fails))
	}
	fmt.Printf("%d calls gave EFAULT\n", len(cases)*len(badPointers))
	return nil
}

func errName(e unix.Errno) string {
	if e == 0 {
		return "success"
	}
	return unix.ErrnoName(e)
}

func joinLines(s []string) string {
	out := ""
	for _, l := range s {
		out += "  " + l + "\n"
	}
	return out
}

func atCwd() uintptr {
	fd := unix.AT_FDCWD
	return uintptr(fd)
}

// keep holds what the cases pass as uintptrs, so the collector keeps it.
var keep []any

func cstr(s string) *byte {
	b, _ := unix.BytePtrFromString(s)
	keep = append(keep, b)
	return b
}

func ptr[T any](p *T) uintptr { return uintptr(unsafe.Pointer(p)) }

var epfd = -1

// epollFD is an epoll instance watching fd for input.
func epollFD(fd uintptr) uintptr {
	if epfd < 0 {
		epfd, _ = unix.EpollCreate1(0)
		unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, int(fd), &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)})
	}
	return uintptr(epfd)
}

// ttyFD is a terminal descriptor (standard input, if it is one), or ^0.
func ttyFD() uintptr {
	if _, err := unix.IoctlGetTermios(0, unix.TCGETS); err == nil {
		return 0
	}
	return ^uintptr(0)
}
