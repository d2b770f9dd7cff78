package machine

// File descriptors of the kernel's own process: the console (0, 1, 2),
// eventfds and epoll instances, which are what the runtime's netpoller
// needs (epoll_create1, an eventfd to break a blocking epoll_pwait, and
// epoll_ctl to watch it).  Device readiness reaches goroutines through
// WaitIRQ, not through these.

import "syscall"

const (
	maxFDs   = 64
	maxEpoll = 4
	maxWatch = 32
)

// Kinds of file descriptor.
const (
	fdFree = iota
	fdConsole
	fdEventfd
	fdEpoll
)

const (
	epollIn  = 0x1
	epollOut = 0x4
	epollErr = 0x8
	epollET  = 1 << 31

	epollCtlAdd = 1
	epollCtlDel = 2
	epollCtlMod = 3

	efdNonblock = 0x800
	oRDWR       = 2
	oNonblock   = 0x800
)

type fdesc struct {
	kind    uint8
	flags   uint32 // O_NONBLOCK
	counter uint64 // eventfd
	epoll   int    // index into epolls
}

type watch struct {
	fd     int32
	events uint32
	data   uint64
}

type epollInst struct {
	used    bool
	n       int
	watches [maxWatch]watch
}

var (
	fds    [maxFDs]fdesc
	epolls [maxEpoll]epollInst
)

//go:nosplit
func initFDs() {
	for i := 0; i < 3; i++ {
		fds[i].kind = fdConsole
	}
}

//go:nosplit
func allocFD(kind uint8) int64 {
	for i := range fds {
		if fds[i].kind == fdFree {
			fds[i] = fdesc{kind: kind}
			return int64(i)
		}
	}
	return -int64(syscall.EMFILE)
}

//go:nosplit
func getFD(fd int64) *fdesc {
	if fd < 0 || fd >= maxFDs || fds[fd].kind == fdFree {
		return nil
	}
	return &fds[fd]
}

//go:nosplit
func sysClose(fd int64) int64 {
	d := getFD(fd)
	if d == nil {
		return -int64(syscall.EBADF)
	}
	if d.kind == fdEpoll {
		epolls[d.epoll].used = false
	}
	for i := range epolls { // closing a file removes it from every epoll set
		e := &epolls[i]
		for j := 0; j < e.n; j++ {
			if int64(e.watches[j].fd) == fd {
				e.n--
				e.watches[j] = e.watches[e.n]
				j--
			}
		}
	}
	*d = fdesc{}
	return 0
}

//go:nosplit
func sysFcntl(fd, cmd, arg int64) int64 {
	d := getFD(fd)
	if d == nil {
		return -int64(syscall.EBADF)
	}
	switch cmd {
	case syscall.F_GETFD, syscall.F_SETFD:
		return 0
	case syscall.F_GETFL:
		return int64(oRDWR | d.flags)
	case syscall.F_SETFL:
		d.flags = uint32(arg) & oNonblock
		return 0
	}
	return -int64(syscall.EINVAL)
}

//go:nosplit
func sysWrite(fd int64, buf, n uintptr) int64 {
	d := getFD(fd)
	if d == nil {
		return -int64(syscall.EBADF)
	}
	if !touch(buf, n, false) {
		return -int64(syscall.EFAULT)
	}
	switch d.kind {
	case fdConsole:
		printBytes(buf, n)
		return int64(n)
	case fdEventfd:
		if n < 8 {
			return -int64(syscall.EINVAL)
		}
		v := *(*uint64)(ptr(buf))
		if v == ^uint64(0) {
			return -int64(syscall.EINVAL)
		}
		if d.counter > ^uint64(0)-1-v {
			// Linux would block until a read makes room; the runtime
			// only ever adds 1 to a counter it drains.
			return -int64(syscall.EAGAIN)
		}
		d.counter += v
		wakeEpollWaiters()
		return 8
	}
	return -int64(syscall.EBADF)
}

//go:nosplit
func sysRead(fd int64, buf, n uintptr) int64 {
	d := getFD(fd)
	if d == nil {
		return -int64(syscall.EBADF)
	}
	switch d.kind {
	case fdEventfd:
		if n < 8 {
			return -int64(syscall.EINVAL)
		}
		if d.counter == 0 {
			// The runtime's eventfd is non-blocking; a blocking read would
			// need another wait kind, and nothing here needs one.
			return -int64(syscall.EAGAIN)
		}
		if !touch(buf, 8, true) {
			return -int64(syscall.EFAULT)
		}
		*(*uint64)(ptr(buf)) = d.counter
		d.counter = 0
		return 8
	case fdConsole:
		// Console input is the UART driver's, by interrupt (WaitIRQ).
		return -int64(syscall.EBADF)
	}
	return -int64(syscall.EBADF)
}

//go:nosplit
func sysEventfd2(initval uint64, flags uint64) int64 {
	fd := allocFD(fdEventfd)
	if fd >= 0 {
		fds[fd].counter = initval
		if flags&efdNonblock != 0 {
			fds[fd].flags = oNonblock
		}
	}
	return fd
}

//go:nosplit
func sysEpollCreate1(flags int64) int64 {
	for i := range epolls {
		if !epolls[i].used {
			fd := allocFD(fdEpoll)
			if fd >= 0 {
				epolls[i] = epollInst{used: true}
				fds[fd].epoll = i
			}
			return fd
		}
	}
	return -int64(syscall.ENOMEM)
}

//go:nosplit
func epollOf(epfd int64) *epollInst {
	d := getFD(epfd)
	if d == nil || d.kind != fdEpoll {
		return nil
	}
	return &epolls[d.epoll]
}

//go:nosplit
func sysEpollCtl(epfd, op, fd int64, ev uintptr) int64 {
	e := epollOf(epfd)
	if e == nil || getFD(fd) == nil {
		return -int64(syscall.EBADF)
	}
	if fd == epfd {
		return -int64(syscall.EINVAL)
	}
	i := 0
	for i < e.n && int64(e.watches[i].fd) != fd {
		i++
	}
	if op == epollCtlDel {
		if i == e.n {
			return -int64(syscall.ENOENT)
		}
		e.n--
		e.watches[i] = e.watches[e.n]
		return 0
	}
	if !touch(ev, 12, false) {
		return -int64(syscall.EFAULT)
	}
	w := watch{fd: int32(fd), events: *(*uint32)(ptr(ev)), data: *(*uint64)(ptr(ev + 4))}
	switch {
	case op == epollCtlAdd && i < e.n:
		return -int64(syscall.EEXIST)
	case op == epollCtlMod && i == e.n:
		return -int64(syscall.ENOENT)
	case op != epollCtlAdd && op != epollCtlMod:
		return -int64(syscall.EINVAL)
	case i == maxWatch:
		return -int64(syscall.ENOSPC)
	}
	e.watches[i] = w
	if i == e.n {
		e.n++
	}
	return 0
}

// readiness returns the epoll events fd has now.
//
//go:nosplit
func readiness(fd int32) uint32 {
	d := &fds[fd]
	switch d.kind {
	case fdEventfd:
		r := uint32(epollOut)
		if d.counter > 0 {
			r |= epollIn
		}
		return r
	case fdConsole:
		return epollOut
	}
	return 0
}

//go:nosplit
func sysEpollPwait(t *thread, epfd int64, events uintptr, max, timeout int64) int64 {
	e := epollOf(epfd)
	if e == nil {
		return -int64(syscall.EBADF)
	}
	if max <= 0 {
		return -int64(syscall.EINVAL)
	}
	max = min(max, maxFDs*maxWatch) // no more events than watches can exist
	if !touch(events, uintptr(max)*12, true) {
		return -int64(syscall.EFAULT)
	}
	n := int64(0)
	for i := 0; i < e.n && n < max; i++ {
		w := &e.watches[i]
		r := readiness(w.fd) & (w.events | epollErr)
		if r == 0 {
			continue
		}
		p := events + uintptr(n)*12
		*(*uint32)(ptr(p)) = r
		*(*uint64)(ptr(p + 4)) = w.data
		n++
	}
	if n > 0 || timeout == 0 {
		return n
	}
	deadline := int64(0)
	if timeout > 0 {
		deadline = nanotime() + timeout*1_000_000
	}
	block(t, waitEpoll, uintptr(epfd), deadline)
	return blocked
}

// wakeEpollWaiters restarts every epoll_pwait in progress: each looks at
// readiness again when it runs.  There are at most a few waiters.
//
//go:nosplit
func wakeEpollWaiters() {
	for i := 1; i < hiThread; i++ {
		t := &threads[i]
		if t.state == tBlocked && t.wait == waitEpoll {
			restartSyscall(t)
		}
	}
}
