package machine

// Threads and the scheduler.
//
// A thread is what Linux calls a task: a register set (Frame), an FPU/SSE
// state (FXSAVE area), an FS base, a signal mask and an alternate signal
// stack.  The kernel has no thread stacks of its own: a trap saves the
// running thread's registers, runs to completion on kstack, and resumes
// whichever thread the scheduler picks.  So a blocked thread is nothing but
// its saved registers and what it waits for.
//
// Scheduling is round-robin over the thread table with a time slice; thread
// 0 is the idle thread, which halts the CPU and runs only when nothing else
// can.

import "syscall"

const (
	maxThreads = 512
	timeSlice  = 10_000_000 // ns
)

// Thread states.
const (
	tFree = iota
	tRunnable
	tBlocked
)

// What a blocked thread waits for.
const (
	waitNone = iota
	waitFutex
	waitSleep
	waitEpoll
	waitIRQ
)

// Frame is the register state of an interrupted thread, in the order the
// entry stubs push it (lowest address first).
type Frame struct {
	R15, R14, R13, R12, R11, R10, R9, R8 uint64
	RBP, RDI, RSI, RDX, RCX, RBX, RAX    uint64
	Vector, Error                        uint64
	RIP, CS, RFLAGS, RSP, SS             uint64
}

type thread struct {
	frame    Frame
	fsbase   uint64
	gsbase   uint64 // ring 3's GS base (the kernel never uses GS)
	tid      int64
	state    uint32
	wait     uint32  // waitFutex, ...
	waitKey  uintptr // futex address, epoll fd, IRQ line
	deadline int64   // monotonic ns; 0 = none

	sigmask  uint64 // bit n-1 blocks signal n
	pending  uint64
	altSP    uint64
	altSize  uint64
	altFlags uint32
	// In user mode (RunUser): frame holds the user registers, cr3 the
	// process's page table, user the address of the caller's UserRegs;
	// kframe and kfsbase keep the thread's kernel state meanwhile.
	user       uintptr
	cr3        uintptr
	kframe     Frame
	kfsbase    uint64
	kicked     uint64 // kickGen when RunUser entered ring 3
	ring3Start int64  // nanotime when RunUser entered ring 3
	runIn      uint64 // trip stamps (tripstat.go)
	runOut     uint64

	// Details of a pending synchronous SIGSEGV/SIGBUS/SIGFPE/SIGILL/SIGTRAP.
	faultCode  int32
	faultAddr  uint64
	faultTrap  uint64
	faultError uint64
}

var (
	threads    [maxThreads]thread
	fxMem      [(maxThreads + 1) * 512]byte     // FXSAVE areas, 16-byte aligned by fxArea
	cur        int                              // index of the running thread
	curFX      uintptr                          // FXSAVE area of the running thread (used by the stubs)
	curFSBase  uint64                           // FS base of the running thread (loaded by the exit stub)
	curGSBase  uint64                           // its GS base, likewise
	curCR3     uintptr                          // page table of the running thread (loaded by the exit stub)
	userMode   bool                             // the running thread is in ring 3 (read by syscallEntry)
	resched    bool                             // pick another thread at the end of this trap
	urgent     int                              // a thread to run next (a driver its interrupt woke), or 0
	hiThread   int                          = 2 // slots in use are below it: loops over threads stop there
	kickGen    uint64                           // bumped by KickUser: every ring-3 thread comes back at its next tick
	sliceStart int64
	nextTID    int64 = 2
	nthreads   int   // live threads, idle excluded
)

//go:nosplit
func fxArea(i int) uintptr {
	return (addr(&fxMem)+15)&^15 + uintptr(i)*512
}

// initThreads makes thread 0 the idle thread and thread 1 the one that is
// about to enter the Go runtime.
//
//go:nosplit
func initThreads() {
	idle := &threads[0]
	idle.state = tRunnable
	idle.frame.RIP = uint64(codeAddr(codeIdleLoop))
	idle.frame.CS = selKernelCode
	idle.frame.SS = selKernelData
	idle.frame.RFLAGS = 0x202
	idle.frame.RSP = uint64(stackTop(addr(&idleStack), uintptr(len(idleStack))))
	idle.fsbase = uint64(addr(&dummyTLS) + 64)
	main := &threads[1]
	main.state = tRunnable
	main.tid = 1
	main.fsbase = idle.fsbase
	main.altFlags = ssDisable // until the runtime's minit sets one
	nthreads = 1
	cur = 1
	curFX = fxArea(1)
	// A clean FPU state for both: FXRSTOR of zeroes would set an invalid
	// MXCSR mask, so start from the defaults (FCW 0x37f, MXCSR 0x1f80).
	for _, i := range [2]int{0, 1} {
		*(*uint16)(ptr(fxArea(i))) = 0x37f
		*(*uint32)(ptr(fxArea(i) + 24)) = 0x1f80
	}
}

var idleStack [512]byte

// pick chooses the thread to run next: the current one unless it blocked or
// its slice is up, else the next runnable one in table order, else idle.
//
//go:nosplit
func pick() int {
	if u := urgent; u != 0 {
		urgent = 0
		if threads[u].state == tRunnable {
			return u
		}
	}
	if cur != 0 && threads[cur].state == tRunnable && !resched {
		return cur
	}
	for k := 1; k < hiThread; k++ {
		i := (cur + k) % hiThread
		if i != 0 && threads[i].state == tRunnable {
			return i
		}
	}
	if cur != 0 && threads[cur].state == tRunnable {
		return cur
	}
	return 0
}

// switchTo makes thread i current and writes its registers into the trap
// frame f, which the exit path restores.
//
//go:nosplit
func switchTo(i int, f *Frame) {
	if i != cur || resched {
		sliceStart = nanotime() // a new slice, even if nobody else could run
	}
	resched = false
	cur = i
	t := &threads[i]
	*f = t.frame
	curFX = fxArea(i)
	// The exit stub loads FS: Go code reloads g from FS after every call
	// to assembly, so FS must stay on dummyTLS while Go code runs here.
	curFSBase = t.fsbase
	curGSBase = t.gsbase
	curCR3 = kernelRoot
	userMode = t.user != 0
	if userMode {
		curCR3 = t.cr3
		stampRunOut(t)
	}
}

// block puts t to sleep until wake, or until the monotonic time deadline
// (0 = no deadline).
//
//go:nosplit
func block(t *thread, wait uint32, key uintptr, deadline int64) {
	t.state = tBlocked
	t.wait = wait
	t.waitKey = key
	t.deadline = deadline
	resched = true
}

// wake makes t runnable with ret as its syscall result.
//
//go:nosplit
func wake(t *thread, ret int64) {
	t.state = tRunnable
	t.wait = waitNone
	t.deadline = 0
	t.frame.RAX = uint64(ret)
}

// wakeExpired ends the waits whose deadline has passed.
//
//go:nosplit
func wakeExpired(now int64) {
	for i := 1; i < hiThread; i++ {
		t := &threads[i]
		if t.state != tBlocked || t.deadline == 0 || t.deadline > now {
			continue
		}
		switch t.wait {
		case waitFutex:
			wake(t, -int64(syscall.ETIMEDOUT))
		default: // nanosleep done, epoll timed out with no events
			wake(t, 0)
		}
	}
}

//go:nosplit
func findTID(tid int64) *thread {
	for i := 1; i < hiThread; i++ {
		if threads[i].state != tFree && threads[i].tid == tid {
			return &threads[i]
		}
	}
	return nil
}

// Clone flags the runtime uses; a thread must share everything.
const (
	cloneVM      = 0x100
	cloneFS      = 0x200
	cloneFiles   = 0x400
	cloneSighand = 0x800
	cloneThread  = 0x10000
	cloneSettls  = 0x80000
)

// sysClone starts a thread that resumes after the SYSCALL with RAX=0, the
// given stack and TLS, and every other register as the parent's.
//
//go:nosplit
func sysClone(t *thread, flags, stack, tls uint64) int64 {
	const need = cloneVM | cloneFS | cloneFiles | cloneSighand | cloneThread
	if flags&need != need {
		return -int64(syscall.EINVAL) // no fork: one address space
	}
	slot := 0
	for i := 1; i < maxThreads; i++ {
		if threads[i].state == tFree {
			slot = i
			break
		}
	}
	if slot == 0 {
		return -int64(syscall.EAGAIN)
	}
	hiThread = max(hiThread, slot+1)
	c := &threads[slot]
	*c = thread{}
	c.frame = t.frame
	c.frame.RAX = 0
	if stack != 0 {
		c.frame.RSP = stack
	}
	c.fsbase = t.fsbase
	if flags&cloneSettls != 0 {
		c.fsbase = tls
	}
	c.sigmask = t.sigmask
	c.altFlags = ssDisable
	c.tid = nextTID
	nextTID++
	memcopy(fxArea(slot), curFX, 512) // the parent's state was saved on entry
	c.state = tRunnable
	nthreads++
	return c.tid
}

// sysExit ends the calling thread; the last one ends the machine.
//
//go:nosplit
func sysExit(t *thread, status int64) {
	t.state = tFree
	resched = true
	nthreads--
	if nthreads == 0 {
		exit(uint32(status))
	}
}
