package machine

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

func TestFutex(t *testing.T) {
	ram := fakeMachine(t, 64*pageSize)
	defer keep(ram)
	word := setupStack(t, pageSize)
	*(*uint32)(ptr(word)) = 7
	a, b := &threads[1], &threads[2]
	*b = thread{state: tRunnable, tid: 2}

	if r := sysFutex(a, word, futexWait|futexPrivate, 8, 0); r != -int64(syscall.EAGAIN) {
		t.Errorf("wait on a changed value = %d, want EAGAIN", r)
	}
	if r := sysFutex(a, word+1, futexWait, 7, 0); r != -int64(syscall.EINVAL) {
		t.Errorf("unaligned futex = %d, want EINVAL", r)
	}
	if r := sysFutex(a, word, futexWait|futexPrivate, 7, 0); r != blocked || a.state != tBlocked {
		t.Fatalf("wait = %d, state %d: want blocked", r, a.state)
	}
	if r := sysFutex(b, word+4, futexWake|futexPrivate, 1, 0); r != 0 {
		t.Errorf("wake of another word woke %d", r)
	}
	if r := sysFutex(b, word, futexWake|futexPrivate, 1, 0); r != 1 {
		t.Errorf("wake woke %d, want 1", r)
	}
	if a.state != tRunnable || a.frame.RAX != 0 {
		t.Errorf("woken waiter: state %d rax %d", a.state, a.frame.RAX)
	}

	// A timed wait ends with ETIMEDOUT once its deadline has passed.
	ts := word + 64
	writeTimespec(ts, 1000)
	if r := sysFutex(a, word, futexWait, 7, ts); r != blocked {
		t.Fatalf("timed wait = %d", r)
	}
	wakeExpired(a.deadline - 1)
	if a.state != tBlocked {
		t.Fatal("woken before the deadline")
	}
	wakeExpired(a.deadline)
	if a.state != tRunnable || int64(a.frame.RAX) != -int64(syscall.ETIMEDOUT) {
		t.Errorf("after the deadline: state %d rax %d, want ETIMEDOUT", a.state, int64(a.frame.RAX))
	}
}

func TestPick(t *testing.T) {
	ram := fakeMachine(t, 16*pageSize)
	defer keep(ram)
	for i := 2; i <= 4; i++ {
		threads[i] = thread{state: tRunnable, tid: int64(i)}
	}
	threads[3].state = tBlocked
	if got := pick(); got != 1 {
		t.Errorf("pick kept %d, want the running thread 1", got)
	}
	resched = true
	if got := pick(); got != 2 {
		t.Errorf("after the slice: pick %d, want 2", got)
	}
	cur = 2
	if got := pick(); got != 4 {
		t.Errorf("pick %d, want 4 (3 is blocked)", got)
	}
	for i := 1; i <= 4; i++ {
		threads[i].state = tBlocked
	}
	if got := pick(); got != 0 {
		t.Errorf("nothing runnable: pick %d, want the idle thread", got)
	}
}

func TestClone(t *testing.T) {
	ram := fakeMachine(t, 16*pageSize)
	defer keep(ram)
	p := &threads[1]
	p.frame.RBX, p.frame.RIP, p.sigmask = 0xb, 0x1234, 0xff
	const flags = cloneVM | cloneFS | cloneFiles | cloneSighand | cloneThread | cloneSettls
	if r := sysClone(p, cloneVM, 0x8000, 0); r != -int64(syscall.EINVAL) {
		t.Errorf("fork-like clone = %d, want EINVAL", r)
	}
	tid := sysClone(p, flags, 0x8000, 0x9000)
	c := findTID(tid)
	if c == nil || c.state != tRunnable {
		t.Fatalf("clone = %d: no runnable child", tid)
	}
	if c.frame.RAX != 0 || c.frame.RSP != 0x8000 || c.fsbase != 0x9000 || c.frame.RBX != 0xb || c.frame.RIP != 0x1234 || c.sigmask != 0xff {
		t.Errorf("child state %+v", c)
	}
	if c.altFlags != ssDisable {
		t.Errorf("child inherited the alternate signal stack")
	}
}

func TestEpollEventfd(t *testing.T) {
	ram := fakeMachine(t, 64*pageSize)
	defer keep(ram)
	fds = [maxFDs]fdesc{}
	epolls = [maxEpoll]epollInst{}
	initFDs()
	mem := setupStack(t, pageSize)
	th := &threads[1]

	ep := sysEpollCreate1(0)
	efd := sysEventfd2(0, efdNonblock)
	if ep < 3 || efd < 3 || ep == efd {
		t.Fatalf("epoll fd %d eventfd %d", ep, efd)
	}
	ev := mem
	*(*uint32)(ptr(ev)) = epollIn
	*(*uint64)(ptr(ev + 4)) = 0xdead
	if r := sysEpollCtl(ep, epollCtlAdd, efd, ev); r != 0 {
		t.Fatalf("epoll_ctl add = %d", r)
	}
	if r := sysEpollCtl(ep, epollCtlAdd, efd, ev); r != -int64(syscall.EEXIST) {
		t.Errorf("second add = %d, want EEXIST", r)
	}
	out := mem + 64
	if r := sysEpollPwait(th, ep, out, 4, 0); r != 0 {
		t.Errorf("poll of an empty eventfd = %d events", r)
	}
	if r := sysEpollPwait(th, ep, out, 4, -1); r != blocked {
		t.Fatalf("blocking wait = %d", r)
	}
	th.frame.RIP = 0x1002
	val := mem + 256
	*(*uint64)(ptr(val)) = 1
	if r := sysWrite(efd, val, 8); r != 8 {
		t.Fatalf("eventfd write = %d", r)
	}
	if th.state != tRunnable || th.frame.RIP != 0x1000 {
		t.Errorf("eventfd write did not restart the waiter: state %d rip %#x", th.state, th.frame.RIP)
	}
	if r := sysEpollPwait(th, ep, out, 4, -1); r != 1 || *(*uint32)(ptr(out))&epollIn == 0 || *(*uint64)(ptr(out + 4)) != 0xdead {
		t.Errorf("wait after the write = %d events", r)
	}
	if r := sysRead(efd, val, 8); r != 8 || *(*uint64)(ptr(val)) != 1 {
		t.Errorf("eventfd read = %d", r)
	}
	if r := sysRead(efd, val, 8); r != -int64(syscall.EAGAIN) {
		t.Errorf("read of an empty eventfd = %d, want EAGAIN", r)
	}
	// The counter holds at most 2^64-2: a write past it fails, as
	// Linux's non-blocking eventfd does, instead of wrapping.
	*(*uint64)(ptr(val)) = ^uint64(0) - 1
	if r := sysWrite(efd, val, 8); r != 8 {
		t.Errorf("write of the largest count = %d", r)
	}
	*(*uint64)(ptr(val)) = 1
	if r := sysWrite(efd, val, 8); r != -int64(syscall.EAGAIN) || fds[efd].counter != ^uint64(0)-1 {
		t.Errorf("write past the largest count = %d, counter %#x; want EAGAIN", r, fds[efd].counter)
	}
	if r := sysClose(efd); r != 0 || epolls[fds[ep].epoll].n != 0 {
		t.Errorf("close did not remove the fd from the epoll set")
	}
}

func TestInitStack(t *testing.T) {
	s := "build/boot.elf selftest=ring GODEBUG=gctrace=1 lower=case  strace x"
	cmdlineLen = copy(cmdline[:], s)
	traceSyscalls = false
	sp := buildInitStack(0x1000)
	defer func() { traceSyscalls = false }()
	if sp%16 != 0 {
		t.Errorf("sp %#x not 16-byte aligned", sp)
	}
	w := unsafe.Slice((*uint64)(ptr(sp)), 64)
	cstr := func(p uint64) string {
		b := unsafe.Slice((*byte)(ptr(uintptr(p))), 256)
		for i, c := range b {
			if c == 0 {
				return string(b[:i])
			}
		}
		return "<unterminated>"
	}
	var argv, envp []string
	k := 1
	for ; w[k] != 0; k++ {
		argv = append(argv, cstr(w[k]))
	}
	for k++; w[k] != 0; k++ {
		envp = append(envp, cstr(w[k]))
	}
	auxv := map[uint64]uint64{}
	for k++; w[k] != atNull; k += 2 {
		auxv[w[k]] = w[k+1]
	}
	if got, want := strings.Join(argv, "|"), "build/boot.elf|selftest=ring|lower=case|x"; w[0] != 4 || got != want {
		t.Errorf("argc %d argv %q, want 4 and %q", w[0], got, want)
	}
	if got, want := strings.Join(envp, "|"), "GODEBUG=gctrace=1"; got != want {
		t.Errorf("envp %q, want %q (the default is not added when GODEBUG is set)", got, want)
	}
	if auxv[atPagesz] != pageSize || auxv[atRandom] == 0 {
		t.Errorf("auxv %v", auxv)
	}
	if !traceSyscalls {
		t.Errorf("the word strace did not turn tracing on")
	}
}

// TestKernelDataComplete checks that every package-level variable is in
// kernelData, whose pages are mapped at boot: a variable left out would
// be demand-paged and fault in kernel context.
func TestKernelDataComplete(t *testing.T) {
	fset := token.NewFileSet()
	files, _ := filepath.Glob("*.go")
	listed := map[string]bool{}
	vars := map[string]bool{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, s := range g.Specs {
				for _, n := range s.(*ast.ValueSpec).Names {
					if n.Name != "_" && n.Name != "kernelData" {
						vars[n.Name] = true
					}
				}
			}
		}
		if name == "kdata.go" {
			ast.Inspect(f, func(n ast.Node) bool {
				if u, ok := n.(*ast.UnaryExpr); ok && u.Op == token.AND {
					if id, ok := u.X.(*ast.Ident); ok {
						listed[id.Name] = true
					}
				}
				return true
			})
		}
	}
	if len(vars) < 10 {
		t.Fatalf("found only %d variables: is the test in the package directory?", len(vars))
	}
	for v := range vars {
		if !listed[v] {
			t.Errorf("variable %s is not listed in kernelData", v)
		}
	}
}

func TestWaitIRQ(t *testing.T) {
	ram := fakeMachine(t, 16*pageSize)
	defer keep(ram)
	irqPending = 0
	a, b := &threads[1], &threads[2]
	*b = thread{state: tRunnable, tid: 2}
	if r := sysWaitIRQ(a, 2); r != -int64(syscall.EINVAL) {
		t.Errorf("wait on the cascade line = %d, want EINVAL", r)
	}
	if r := sysWaitIRQ(a, 16); r != -int64(syscall.EINVAL) {
		t.Errorf("wait on line 16 = %d, want EINVAL", r)
	}
	// An interrupt with no waiter stays pending for the next WaitIRQ.
	irqPending |= 1 << 4
	if r := sysWaitIRQ(a, 4); r != 0 || irqPending != 0 {
		t.Errorf("pending interrupt: wait = %d, pending %#x", r, irqPending)
	}
	// Two waiters on a shared line both wake.  (Blocking in sysWaitIRQ
	// unmasks the line, port I/O the host cannot do: block them directly.)
	block(a, waitIRQ, 11, 0)
	block(b, waitIRQ, 11, 0)
	irqFired(11)
	if irqPending != 0 {
		t.Errorf("interrupt with waiters left pending")
	}
	if a.state != tRunnable || b.state != tRunnable {
		t.Errorf("waiters after the interrupt: %d %d", a.state, b.state)
	}
}

func TestInitStackEmptyCmdline(t *testing.T) {
	cmdlineLen = 0
	w := unsafe.Slice((*uint64)(ptr(buildInitStack(0x1000))), 8)
	if w[0] != 1 || w[2] != 0 {
		t.Fatalf("argc %d, argv[1] %#x: want one argument", w[0], w[2])
	}
	if got := unsafe.String((*byte)(ptr(uintptr(w[1]))), 5); got != "scone" {
		t.Errorf("argv[0] = %q, want scone", got)
	}
}

// TestIRQWakeRunsNext: a driver thread woken by its interrupt runs at the
// next switch, ahead of the runnable threads between it and the current
// one in table order, each of which would otherwise take a 10 ms slice.
func TestIRQWakeRunsNext(t *testing.T) {
	ram := fakeMachine(t, 16*pageSize)
	defer keep(ram)
	irqPending = 0
	for i := 2; i <= 6; i++ {
		threads[i] = thread{state: tRunnable, tid: int64(i)}
	}
	block(&threads[5], waitIRQ, 11, 0)
	resched = false
	irqFired(11)
	if got := pick(); got != 5 {
		t.Errorf("after the interrupt pick %d, want the driver thread 5", got)
	}
	cur = 5
	resched = true
	if got := pick(); got != 6 {
		t.Errorf("the boost lasted: pick %d after the driver's turn, want 6", got)
	}
}
