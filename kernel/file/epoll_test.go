package file

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"scone/kernel/net/waiter"
)

// pipeEpoll is a pipe watched by an epoll instance: ours or the host
// Linux's, driven by the same script so their answers can be compared.
type pipeEpoll interface {
	write(n int) string
	read(n int) string
	closeWrite()
	closeRead()
	wait() string
	mod(events uint32) string
}

// ours is the kernel/file implementation.
type ours struct {
	r, w *Description
	ep   *Epoll
	fd   int
}

func newOurs(t *testing.T, watchWrite bool, events uint32) *ours {
	rf, wf := NewPipe()
	o := &ours{r: NewDescription(rf, O_RDONLY|O_NONBLOCK), w: NewDescription(wf, O_WRONLY|O_NONBLOCK), ep: NewEpoll()}
	d := o.r
	if watchWrite {
		d, o.fd = o.w, 1
	}
	if err := o.ep.Ctl(EPOLL_CTL_ADD, o.fd, d, events, 7); err != nil {
		t.Fatal(err)
	}
	return o
}

func result(n int, err error) string {
	if err != nil {
		return err.(syscall.Errno).Error()
	}
	return fmt.Sprint(n)
}

func (o *ours) write(n int) string {
	return result(o.w.Write(context.Background(), make([]byte, n)))
}
func (o *ours) read(n int) string { return result(o.r.Read(context.Background(), make([]byte, n))) }
func (o *ours) closeWrite()       { o.w.DecRef() }
func (o *ours) closeRead()        { o.r.DecRef() }
func (o *ours) mod(ev uint32) string {
	d := o.r
	if o.fd == 1 {
		d = o.w
	}
	return result(0, o.ep.Ctl(EPOLL_CTL_MOD, o.fd, d, ev, 7))
}
func (o *ours) wait() string {
	ctx, cancel := context.WithDeadline(context.Background(), time.Now()) // timeout 0
	defer cancel()
	out := make([]waiter.Ready, 4)
	n, err := o.ep.Wait(ctx, out)
	if err != nil {
		return err.Error()
	}
	s := fmt.Sprint(n)
	for _, r := range out[:n] {
		s += fmt.Sprintf(" %#x/%d", uint32(r.Events), r.Data)
	}
	return s
}

// host is the host Linux's pipe and epoll.
type host struct {
	p  [2]int
	ep int
	fd int
}

func newHost(t *testing.T, watchWrite bool, events uint32) *host {
	h := &host{}
	if err := unix.Pipe2(h.p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	h.ep = ep
	if watchWrite {
		h.fd = 1
	}
	ev := unix.EpollEvent{Events: events, Fd: 7}
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, h.p[h.fd], &ev); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(h.p[0]); unix.Close(h.p[1]); unix.Close(ep) })
	return h
}

func (h *host) write(n int) string { return result(unix.Write(h.p[1], make([]byte, n))) }
func (h *host) read(n int) string  { return result(unix.Read(h.p[0], make([]byte, n))) }
func (h *host) closeWrite()        { unix.Close(h.p[1]) }
func (h *host) closeRead()         { unix.Close(h.p[0]) }
func (h *host) mod(ev uint32) string {
	e := unix.EpollEvent{Events: ev, Fd: 7}
	return result(0, unix.EpollCtl(h.ep, unix.EPOLL_CTL_MOD, h.p[h.fd], &e))
}
func (h *host) wait() string {
	out := make([]unix.EpollEvent, 4)
	n, err := unix.EpollWait(h.ep, out, 0)
	if err != nil {
		return err.Error()
	}
	s := fmt.Sprint(n)
	for _, e := range out[:n] {
		s += fmt.Sprintf(" %#x/%d", e.Events, e.Fd)
	}
	return s
}

func run(p pipeEpoll, script string) []string {
	var log []string
	for _, step := range strings.Fields(script) {
		var n int
		var r string
		switch {
		case step == "wait":
			r = p.wait()
		case step == "closew":
			p.closeWrite()
		case step == "closer":
			p.closeRead()
		case step[0] == 'w':
			fmt.Sscan(step[1:], &n)
			r = p.write(n)
		case step[0] == 'r':
			fmt.Sscan(step[1:], &n)
			r = p.read(n)
		case step[0] == 'm':
			var ev uint32
			fmt.Sscanf(step[1:], "%x", &ev)
			r = p.mod(ev)
		}
		log = append(log, step+"="+r)
	}
	return log
}

// TestEpollMatchesLinux runs scripts of pipe operations and epoll_wait
// calls (timeout 0) against our pipe and epoll and the host Linux's, and
// requires the same answers: the byte counts, errnos and reported events.
func TestEpollMatchesLinux(t *testing.T) {
	const (
		in  = unix.EPOLLIN
		out = unix.EPOLLOUT
		et  = unix.EPOLLET
		one = unix.EPOLLONESHOT
	)
	cases := []struct {
		name   string
		write  bool // watch the write end
		events uint32
		script string
	}{
		{"level read end", false, in, "wait w1 wait wait r1 wait w10 r5 wait closew wait r5 wait r1"},
		{"edge read end", false, in | et, "wait w1 wait wait w1 wait r1 wait r1 wait w3 closew wait wait r3 wait"},
		{"edge read end, partial reads", false, in | et, "w100 wait r10 wait r10 wait w1 wait wait"},
		{"level write end", true, out, "wait wait w65536 wait w1 r4096 wait wait closer wait w1"},
		{"edge write end", true, out | et, "wait wait w1 wait w65535 wait r1 wait r4095 wait wait r4096 wait w8192 wait r4096 wait"},
		{"one-shot", false, in | one, "w1 wait wait w1 wait m" + fmt.Sprintf("%x", in|one) + " wait wait r2 wait"},
		{"edge, rearmed by mod", false, in | et, "w1 wait wait m" + fmt.Sprintf("%x", in|et) + " wait wait"},
		{"atomic write to a nearly full pipe", true, out | et, "w65000 wait w1000 w536 wait r4096 wait w4096 w1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := run(newHost(t, tc.write, tc.events), tc.script)
			got := run(newOurs(t, tc.write, tc.events), tc.script)
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("step %d: got %s, Linux %s\n ours:  %v\n Linux: %v", i, got[i], want[i], got, want)
					break
				}
			}
		})
	}
}
