package machine

// The Linux system-call personality: the calls the Go runtime (go1.26)
// makes, by number, as Linux x86-64 defines them.

import "syscall"

// blocked is what a handler returns when it put the caller to sleep; the
// result is written when the thread is woken.
const blocked = -1 << 62

const pid = 1 // the kernel is process 1, and its first thread is tid 1

// sysGetrandomNr is getrandom(2), newer than package syscall.
const sysGetrandomNr = 318

// unknownLogged has a bit per system-call number below 512 that has been
// logged, and unknownHigh says whether a larger one has: those are never
// Linux's (the private calls are known), so the first is logged and the
// rest are not, which keeps a flood of garbage numbers off the console.
var (
	unknownLogged [8]uint64
	unknownHigh   bool
)

//go:nosplit
func doSyscall(t *thread) {
	f := &t.frame
	a0, a1, a2, a3, a4 := f.RDI, f.RSI, f.RDX, f.R10, f.R8
	var r int64
	nr := f.RAX
	switch nr {
	case syscall.SYS_READ:
		r = sysRead(int64(a0), uintptr(a1), uintptr(a2))
	case syscall.SYS_WRITE:
		r = sysWrite(int64(a0), uintptr(a1), uintptr(a2))
	case syscall.SYS_CLOSE:
		r = sysClose(int64(a0))
	case syscall.SYS_MMAP:
		r = sysMmap(uintptr(a0), uintptr(a1), uint32(a2), uint32(a3), int64(int32(a4)))
	case syscall.SYS_MPROTECT:
		r = sysMprotect(uintptr(a0), uintptr(a1), uint32(a2))
	case syscall.SYS_MUNMAP:
		r = sysMunmap(uintptr(a0), uintptr(a1))
	case syscall.SYS_MADVISE:
		r = sysMadvise(uintptr(a0), uintptr(a1), int64(a2))
	case syscall.SYS_RT_SIGACTION:
		r = sysRtSigaction(int64(a0), uintptr(a1), uintptr(a2), a3)
	case syscall.SYS_RT_SIGPROCMASK:
		r = sysRtSigprocmask(t, int64(a0), uintptr(a1), uintptr(a2), a3)
	case syscall.SYS_RT_SIGRETURN:
		r = sysRtSigreturn(t)
	case syscall.SYS_SIGALTSTACK:
		r = sysSigaltstack(t, uintptr(a0), uintptr(a1))
	case syscall.SYS_SCHED_YIELD:
		resched = true
	case syscall.SYS_NANOSLEEP:
		r = sysNanosleep(t, uintptr(a0))
	case syscall.SYS_GETPID:
		r = pid
	case syscall.SYS_GETTID:
		r = t.tid
	case syscall.SYS_CLONE:
		r = sysClone(t, a0, a1, f.R8)
	case syscall.SYS_EXIT:
		sysExit(t, int64(a0))
		r = blocked
	case syscall.SYS_EXIT_GROUP:
		exit(uint32(a0))
	case syscall.SYS_TGKILL:
		r = sysTgkill(int64(a0), int64(a1), int64(a2))
	case syscall.SYS_FCNTL:
		r = sysFcntl(int64(a0), int64(a1), int64(a2))
	case syscall.SYS_ARCH_PRCTL:
		r = sysArchPrctl(t, a0, a1)
	case syscall.SYS_FUTEX:
		r = sysFutex(t, uintptr(a0), int64(a1), uint32(a2), uintptr(a3))
	case syscall.SYS_SCHED_GETAFFINITY:
		r = sysSchedGetaffinity(a1, uintptr(a2))
	case syscall.SYS_CLOCK_GETTIME:
		r = sysClockGettime(int64(a0), uintptr(a1))
	case syscall.SYS_EPOLL_CREATE1:
		r = sysEpollCreate1(int64(a0))
	case syscall.SYS_EPOLL_CTL:
		r = sysEpollCtl(int64(a0), int64(a1), int64(a2), uintptr(a3))
	case syscall.SYS_EPOLL_PWAIT:
		r = sysEpollPwait(t, int64(a0), uintptr(a1), int64(int32(a2)), int64(int32(a3)))
	case syscall.SYS_EVENTFD2:
		r = sysEventfd2(a0, a1)
	case syscall.SYS_PRLIMIT64:
		r = sysPrlimit(int64(a0), int64(a1), uintptr(a2), uintptr(a3))
	case sysGetrandomNr:
		r = sysGetrandom(uintptr(a0), uintptr(a1))
	case syscall.SYS_OPENAT:
		r = -int64(syscall.ENOENT) // no files yet (the runtime asks for /sys and /proc)
	case syscall.SYS_PRCTL:
		r = -int64(syscall.EINVAL) // PR_SET_VMA and friends: not supported
	case SysWaitIRQ:
		r = sysWaitIRQ(t, int64(a0))
	case SysMapMMIO:
		r = sysMapMMIO(uintptr(a0), uintptr(a1))
	case SysAllocDMA:
		r = sysAllocDMA(uintptr(a0))
	case SysCrash:
		crashKernel()
	case SysTripCR3:
		r = sysTripCR3()
	case SysNewAddressSpace:
		r = sysNewAddressSpace()
	case SysFreeAddressSpace:
		r = sysFreeAddressSpace(uintptr(a0))
	case SysUserMap:
		r = sysUserMap(uintptr(a0), uintptr(a1), uintptr(a2), uintptr(a3))
	case SysUserCopy:
		r = sysUserCopy(uintptr(a0), uintptr(a1), uintptr(a2), uintptr(a3), a4 != 0)
	case SysRunUser:
		r = sysRunUser(t, uintptr(a0), uintptr(a1))
	case SysUserUnmap:
		r = sysUserUnmap(uintptr(a0), uintptr(a1), uintptr(a2))
	case SysUserMapVDSO:
		r = sysUserMapVDSO(uintptr(a0))
	case SysUserMapPage:
		r = sysUserMapPage(uintptr(a0), uintptr(a1), uintptr(a2), uintptr(a3), uintptr(a4))
	case SysKickUser:
		kickGen++
		r = 0
	case SysUserProtect:
		r = sysUserProtect(uintptr(a0), uintptr(a1), uintptr(a2), uintptr(a3))
	case SysUserShare:
		r = sysUserShare(uintptr(a0), uintptr(a1), uintptr(a2), uintptr(a3))
	case SysUserUnshare:
		r = sysUserUnshare(uintptr(a0), uintptr(a1), uintptr(a2))
	case SysUserAlias:
		r = sysUserAlias(uintptr(a0), uintptr(a1), uintptr(a2), uintptr(a3), uintptr(a4))
	default:
		logUnknown(nr)
		r = -int64(syscall.ENOSYS)
	}
	if r != blocked {
		f.RAX = uint64(r)
	}
	if traceSyscalls && nr != syscall.SYS_CLOCK_GETTIME {
		traceSyscall(t, nr, r)
	}
}

// traceSyscalls is set by the kernel command-line word "strace": every
// system call but clock_gettime is logged with its arguments and result.
var traceSyscalls bool

//go:nosplit
func traceSyscall(t *thread, nr uint64, r int64) {
	f := &t.frame
	printStr("[")
	printDec(t.tid)
	printStr("] ")
	printDec(int64(nr))
	printStr("(")
	for i, w := range [...]uint8{9, 10, 11, 5, 7} { // rdi rsi rdx r10 r8
		if i > 0 {
			printStr(", ")
		}
		printHex(*frameWord(f, w))
	}
	printStr(") = ")
	printDec(r)
	printStr("\n")
}

// logUnknown reports a system call the machine layer does not know, once
// per number (see unknownLogged).
//
//go:nosplit
func logUnknown(nr uint64) {
	note := " (ENOSYS)\n"
	if nr < 512 {
		w, b := nr/64, uint64(1)<<(nr%64)
		if unknownLogged[w]&b != 0 {
			return
		}
		unknownLogged[w] |= b
	} else {
		if unknownHigh {
			return
		}
		unknownHigh = true
		note = " (ENOSYS; unknown numbers above 511 are not logged again)\n"
	}
	printStr("scone: unknown system call ")
	printDec(int64(nr))
	printStr(note)
}

// restartSyscall makes t execute its interrupted system call again (SYSCALL
// is two bytes long; RAX still holds the number, the arguments are intact).
//
//go:nosplit
func restartSyscall(t *thread) {
	t.state = tRunnable
	t.wait = waitNone
	t.deadline = 0
	t.frame.RIP -= 2
}

const (
	archSetFS = 0x1002
	archGetFS = 0x1003
)

//go:nosplit
func sysArchPrctl(t *thread, code, a uint64) int64 {
	switch code {
	case archSetFS:
		if a >= userTop {
			return -int64(syscall.EPERM)
		}
		t.fsbase = a
		return 0
	case archGetFS:
		if !touch(uintptr(a), 8, true) {
			return -int64(syscall.EFAULT)
		}
		*(*uint64)(ptr(uintptr(a))) = t.fsbase
		return 0
	}
	return -int64(syscall.EINVAL)
}

//go:nosplit
func sysSchedGetaffinity(size uint64, mask uintptr) int64 {
	if size < 8 {
		return -int64(syscall.EINVAL)
	}
	if !touch(mask, 8, true) {
		return -int64(syscall.EFAULT)
	}
	*(*uint64)(ptr(mask)) = 1 // one CPU
	return 8
}

// sysPrlimit reports limits; nothing is enforced beyond the fixed tables,
// so a new limit is accepted and not stored.
//
//go:nosplit
func sysPrlimit(p, resource int64, newLim, oldLim uintptr) int64 {
	if p != 0 && p != pid {
		return -int64(syscall.ESRCH)
	}
	if oldLim != 0 {
		if !touch(oldLim, 16, true) {
			return -int64(syscall.EFAULT)
		}
		cur, max := ^uint64(0), ^uint64(0)
		if resource == syscall.RLIMIT_NOFILE {
			cur, max = maxFDs, maxFDs
		}
		*(*uint64)(ptr(oldLim)) = cur
		*(*uint64)(ptr(oldLim + 8)) = max
	}
	return 0
}

// Futexes: the runtime's only sleep-and-wake primitive between threads.
const (
	futexWait        = 0
	futexWake        = 1
	futexWaitBitset  = 9
	futexWakeBitset  = 10
	futexPrivate     = 128
	futexClockRealtm = 256
)

//go:nosplit
func sysFutex(t *thread, uaddr uintptr, op int64, val uint32, timeout uintptr) int64 {
	if uaddr&3 != 0 {
		return -int64(syscall.EINVAL)
	}
	switch op &^ (futexPrivate | futexClockRealtm) {
	case futexWait, futexWaitBitset:
		if !touch(uaddr, 4, false) {
			return -int64(syscall.EFAULT)
		}
		if *(*uint32)(ptr(uaddr)) != val {
			return -int64(syscall.EAGAIN)
		}
		deadline := int64(0)
		if timeout != 0 {
			ns, ok := readTimespec(timeout)
			if !ok {
				return -int64(syscall.EINVAL)
			}
			deadline = nanotime() + ns
			if op&^(futexPrivate|futexClockRealtm) == futexWaitBitset {
				deadline = ns // absolute (CLOCK_MONOTONIC)
				if op&futexClockRealtm != 0 {
					deadline -= wallOffset
				}
			}
			if deadline <= 0 {
				deadline = 1
			}
		}
		block(t, waitFutex, uaddr, deadline)
		return blocked
	case futexWake, futexWakeBitset:
		n := int64(0)
		for i := 1; i < hiThread && n < int64(val); i++ {
			w := &threads[i]
			if w.state == tBlocked && w.wait == waitFutex && w.waitKey == uaddr {
				wake(w, 0)
				n++
			}
		}
		return n
	}
	logUnknown(syscall.SYS_FUTEX)
	return -int64(syscall.ENOSYS)
}
