package sys

import (
	"context"
	"encoding/binary"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"scone/kernel/file"
	"scone/kernel/net/waiter"
	"scone/kernel/proc"
)

// poll, select and epoll.

func init() {
	Register(unix.SYS_POLL, "poll", sysPoll)
	Register(unix.SYS_PPOLL, "ppoll", sysPpoll)
	Register(unix.SYS_SELECT, "select", sysSelect)
	Register(unix.SYS_PSELECT6, "pselect6", sysPselect6)
	Register(unix.SYS_EPOLL_CREATE, "epoll_create", func(t *proc.Thread, a Args) (uintptr, error) {
		if int(int32(a[0])) <= 0 {
			return 0, syscall.EINVAL
		}
		return epollCreate(t, 0)
	})
	Register(unix.SYS_EPOLL_CREATE1, "epoll_create1", func(t *proc.Thread, a Args) (uintptr, error) { return epollCreate(t, int(int32(a[0]))) })
	Register(unix.SYS_EPOLL_CTL, "epoll_ctl", sysEpollCtl)
	Register(unix.SYS_EPOLL_WAIT, "epoll_wait", func(t *proc.Thread, a Args) (uintptr, error) { return epollWait(t, a[0], a[1], a[2], a[3], 0, 0) })
	Register(unix.SYS_EPOLL_PWAIT, "epoll_pwait", func(t *proc.Thread, a Args) (uintptr, error) { return epollWait(t, a[0], a[1], a[2], a[3], a[4], a[5]) })
}

// poll bits beyond waiter's.
const (
	pollNval   = 0x20
	pollRdnorm = 0x40
	pollWrnorm = 0x100
	// defaultMask is what poll reports for files that cannot be polled
	// (regular files, directories): always readable and writable.
	defaultMask = waiter.EventIn | waiter.EventOut | pollRdnorm | pollWrnorm
)

// deadline turns a timeout into a context: the thread's (a signal
// cancels it) with a deadline, or without one for an infinite wait.
func deadline(t *proc.Thread, d time.Duration, infinite bool) (context.Context, context.CancelFunc) {
	if infinite {
		return t.Ctx(), func() {}
	}
	return context.WithTimeout(t.Ctx(), d)
}

// timespecArg reads a struct timespec: nil for a NULL pointer (infinite).
func timespecArg(t *proc.Thread, va uintptr) (*time.Duration, error) {
	if va == 0 {
		return nil, nil
	}
	var b [16]byte
	if err := t.Mem().CopyIn(b[:], va); err != nil {
		return nil, err
	}
	sec, nsec := int64(binary.LittleEndian.Uint64(b[:])), int64(binary.LittleEndian.Uint64(b[8:]))
	if sec < 0 || nsec < 0 || nsec >= 1e9 {
		return nil, syscall.EINVAL
	}
	d := time.Duration(sec)*time.Second + time.Duration(nsec)
	if sec > 1<<32 {
		d = 1 << 62 // as good as forever
	}
	return &d, nil
}

// withMask runs wait with the thread's signal mask set to the user's
// sigset at maskVA (if not NULL). The old mask comes back after the wait,
// or after the handler of a signal the wait's mask let in.
func withMask(t *proc.Thread, maskVA, size uintptr, wait func() (uintptr, error)) (uintptr, error) {
	if maskVA == 0 {
		return wait()
	}
	if size != 8 {
		return 0, syscall.EINVAL
	}
	m, err := getU64(t, maskVA)
	if err != nil {
		return 0, err
	}
	defer t.SigmaskForWait(m)()
	return wait()
}

// pollFDs is poll's core over n struct pollfd at va.
func pollFDs(t *proc.Thread, va, n uintptr, timeout *time.Duration) (uintptr, error) {
	if n > uintptr(t.Proc().Files.Limit()) {
		return 0, syscall.EINVAL
	}
	raw := make([]byte, 8*n)
	if err := t.Mem().CopyIn(raw, va); err != nil {
		return 0, err
	}
	var items []waiter.PollItem
	var which []int
	var descs []*file.Description
	defer func() {
		for _, d := range descs {
			d.DecRef()
		}
	}()
	ready := 0
	for i := 0; i < int(n); i++ {
		rec := raw[8*i:]
		fd := int32(binary.LittleEndian.Uint32(rec))
		ev := waiter.Events(binary.LittleEndian.Uint16(rec[4:]))
		var rev waiter.Events
		switch d, err := t.Proc().Files.Get(int(fd)); {
		case fd < 0:
		case err != nil:
			rev = pollNval
		default:
			descs = append(descs, d)
			if _, ok := d.File().(file.NoPoll); ok {
				rev = ev & defaultMask
				break
			}
			ask := ev
			if ev&pollRdnorm != 0 {
				ask |= waiter.EventIn
			}
			if ev&pollWrnorm != 0 {
				ask |= waiter.EventOut
			}
			items = append(items, waiter.PollItem{W: d.File(), Events: ask})
			which = append(which, i)
		}
		binary.LittleEndian.PutUint16(rec[6:], uint16(rev))
		if rev != 0 {
			ready++
		}
	}
	if len(items) > 0 || ready == 0 {
		wait := time.Duration(0)
		if ready == 0 && timeout != nil {
			wait = *timeout
		}
		ctx, cancel := deadline(t, wait, ready == 0 && timeout == nil)
		defer cancel()
		if ready > 0 {
			// Some answers are known: only look at the rest.
			c, cancel := context.WithDeadline(ctx, time.Now())
			defer cancel()
			ctx = c
		}
		if _, err := waiter.Poll(ctx, items); err != nil {
			if timeout == nil {
				return 0, err // restartable, as Linux's poll with no timeout
			}
			return 0, ErrNoRestart
		}
		for j, it := range items {
			rec := raw[8*which[j]:]
			asked := waiter.Events(binary.LittleEndian.Uint16(rec[4:]))
			rev := it.Revents & (asked | waiter.EventErr | waiter.EventHup)
			if it.Revents&waiter.EventIn != 0 && asked&pollRdnorm != 0 {
				rev |= pollRdnorm
			}
			if it.Revents&waiter.EventOut != 0 && asked&pollWrnorm != 0 {
				rev |= pollWrnorm
			}
			binary.LittleEndian.PutUint16(rec[6:], uint16(rev))
			if rev != 0 {
				ready++
			}
		}
	}
	return uintptr(ready), t.Mem().CopyOut(va, raw)
}

func sysPoll(t *proc.Thread, a Args) (uintptr, error) {
	var timeout *time.Duration
	if ms := int(int32(a[2])); ms >= 0 {
		d := time.Duration(ms) * time.Millisecond
		timeout = &d
	}
	return pollFDs(t, a[0], a[1], timeout)
}

func sysPpoll(t *proc.Thread, a Args) (uintptr, error) {
	timeout, err := timespecArg(t, a[2])
	if err != nil {
		return 0, err
	}
	return withMask(t, a[3], a[4], func() (uintptr, error) {
		n, err := pollFDs(t, a[0], a[1], timeout)
		if err == syscall.EINTR {
			err = ErrNoRestart // ppoll is not restarted after a handler
		}
		return n, err
	})
}

// selectFDs is select's core: three fd_set bitmaps of n bits.
func selectFDs(t *proc.Thread, n int, sets [3]uintptr, timeout *time.Duration) (uintptr, error) {
	if n < 0 || n > t.Proc().Files.Limit() {
		return 0, syscall.EINVAL
	}
	words := (n + 63) / 64
	var in [3][]uint64
	for s, va := range sets {
		in[s] = make([]uint64, words)
		if va == 0 {
			continue
		}
		raw := make([]byte, 8*words)
		if err := t.Mem().CopyIn(raw, va); err != nil {
			return 0, err
		}
		for w := range in[s] {
			in[s][w] = binary.LittleEndian.Uint64(raw[8*w:])
		}
	}
	// Linux's POLLIN_SET, POLLOUT_SET and POLLEX_SET.
	masks := [3]waiter.Events{waiter.EventIn | waiter.EventHup | waiter.EventErr, waiter.EventOut | waiter.EventErr, waiter.EventPri}
	var items []waiter.PollItem
	var fds []int
	var descs []*file.Description
	defer func() {
		for _, d := range descs {
			d.DecRef()
		}
	}()
	for fd := 0; fd < n; fd++ {
		var ev waiter.Events
		for s := range in {
			if in[s][fd/64]&(1<<(fd%64)) != 0 {
				ev |= masks[s]
			}
		}
		if ev == 0 {
			continue
		}
		d, err := t.Proc().Files.Get(fd)
		if err != nil {
			return 0, syscall.EBADF
		}
		descs = append(descs, d)
		items = append(items, waiter.PollItem{W: alwaysReady(d), Events: ev})
		fds = append(fds, fd)
	}
	wait := time.Duration(0)
	if timeout != nil {
		wait = *timeout
	}
	ctx, cancel := deadline(t, wait, timeout == nil)
	defer cancel()
	if _, err := waiter.Poll(ctx, items); err != nil {
		return 0, ErrNoRestart
	}
	var out [3][]uint64
	ready := 0
	for s := range out {
		out[s] = make([]uint64, words)
	}
	for j, it := range items {
		fd := fds[j]
		for s := range out {
			if in[s][fd/64]&(1<<(fd%64)) != 0 && it.Revents&masks[s] != 0 {
				out[s][fd/64] |= 1 << (fd % 64)
				ready++
			}
		}
	}
	for s, va := range sets {
		if va == 0 {
			continue
		}
		raw := make([]byte, 8*words)
		for w, v := range out[s] {
			binary.LittleEndian.PutUint64(raw[8*w:], v)
		}
		if err := t.Mem().CopyOut(va, raw); err != nil {
			return 0, err
		}
	}
	return uintptr(ready), nil
}

// alwaysReady gives select the readiness of a file that cannot be polled.
func alwaysReady(d *file.Description) waiter.Waitable {
	if _, ok := d.File().(file.NoPoll); ok {
		return readyFile{d.File()}
	}
	return d.File()
}

type readyFile struct{ waiter.Waitable }

func (readyFile) Readiness(m waiter.Events) waiter.Events { return m & defaultMask }

func sysSelect(t *proc.Thread, a Args) (uintptr, error) {
	var timeout *time.Duration
	if a[4] != 0 {
		var b [16]byte
		if err := t.Mem().CopyIn(b[:], a[4]); err != nil {
			return 0, err
		}
		sec, usec := int64(binary.LittleEndian.Uint64(b[:])), int64(binary.LittleEndian.Uint64(b[8:]))
		if sec < 0 || usec < 0 {
			return 0, syscall.EINVAL
		}
		d := time.Duration(sec)*time.Second + time.Duration(usec)*time.Microsecond
		timeout = &d
	}
	return selectFDs(t, int(int32(a[0])), [3]uintptr{a[1], a[2], a[3]}, timeout)
}

func sysPselect6(t *proc.Thread, a Args) (uintptr, error) {
	timeout, err := timespecArg(t, a[4])
	if err != nil {
		return 0, err
	}
	var maskVA, size uintptr
	if a[5] != 0 {
		// The sixth argument points at {const sigset_t *ss; size_t ss_len}.
		var b [16]byte
		if err := t.Mem().CopyIn(b[:], a[5]); err != nil {
			return 0, err
		}
		maskVA, size = uintptr(binary.LittleEndian.Uint64(b[:])), uintptr(binary.LittleEndian.Uint64(b[8:]))
	}
	return withMask(t, maskVA, size, func() (uintptr, error) {
		return selectFDs(t, int(int32(a[0])), [3]uintptr{a[1], a[2], a[3]}, timeout)
	})
}

func epollCreate(t *proc.Thread, flags int) (uintptr, error) {
	if flags&^file.O_CLOEXEC != 0 {
		return 0, syscall.EINVAL
	}
	return install(t, file.NewDescription(file.NewEpoll(), file.O_RDWR), flags != 0)
}

// epollOf returns the epoll instance at fd: EBADF, or EINVAL if fd is
// something else.
func epollOf(t *proc.Thread, fd uintptr) (*file.Description, *file.Epoll, error) {
	d, err := getFD(t, fd)
	if err != nil {
		return nil, nil, err
	}
	ep, ok := d.File().(*file.Epoll)
	if !ok {
		d.DecRef()
		return nil, nil, syscall.EINVAL
	}
	return d, ep, nil
}

// epollEventSize is struct epoll_event on x86-64: packed, 12 bytes.
const epollEventSize = 12

func sysEpollCtl(t *proc.Thread, a Args) (uintptr, error) {
	ed, ep, err := epollOf(t, a[0])
	if err != nil {
		return 0, err
	}
	defer ed.DecRef()
	op, fd := int(int32(a[1])), fdArg(a[2])
	var events uint32
	var data uint64
	if op != file.EPOLL_CTL_DEL {
		var b [epollEventSize]byte
		if err := t.Mem().CopyIn(b[:], a[3]); err != nil {
			return 0, err
		}
		events, data = binary.LittleEndian.Uint32(b[:]), binary.LittleEndian.Uint64(b[4:])
	}
	d, err := t.Proc().Files.Get(fd)
	if err != nil {
		return 0, err
	}
	defer d.DecRef()
	return ok(ep.Ctl(op, fd, d, events, data))
}

func epollWait(t *proc.Thread, epfd, va, max, timeout, maskVA, size uintptr) (uintptr, error) {
	n := int(int32(max))
	if n <= 0 || n > (1<<31-1)/epollEventSize {
		return 0, syscall.EINVAL
	}
	ed, ep, err := epollOf(t, epfd)
	if err != nil {
		return 0, err
	}
	defer ed.DecRef()
	return withMask(t, maskVA, size, func() (uintptr, error) {
		ms := int(int32(timeout))
		ctx, cancel := deadline(t, time.Duration(ms)*time.Millisecond, ms < 0)
		defer cancel()
		out := make([]waiter.Ready, min(n, 1024))
		got, err := ep.Wait(ctx, out)
		if err != nil {
			return 0, ErrNoRestart // epoll_wait is never restarted
		}
		raw := make([]byte, epollEventSize*got)
		for i, r := range out[:got] {
			binary.LittleEndian.PutUint32(raw[epollEventSize*i:], uint32(r.Events))
			binary.LittleEndian.PutUint64(raw[epollEventSize*i+4:], r.Data)
		}
		return uintptr(got), t.Mem().CopyOut(va, raw)
	})
}
