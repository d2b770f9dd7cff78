package main

import (
	"fmt"
	"math/rand"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// counterFD is where the child keeps its call count: high enough that
// the random descriptors (0-31) do not hit it.
const counterFD = 200

// excluded are calls the child never makes on Scone: they reach outside
// it (signals to others, reboot, the clock, the host name, accounting) or
// multiply it (fork, clone, exec).
var excluded = map[uintptr]bool{
	unix.SYS_KILL: true, unix.SYS_TKILL: true, unix.SYS_TGKILL: true,
	unix.SYS_RT_SIGQUEUEINFO: true, unix.SYS_RT_TGSIGQUEUEINFO: true, unix.SYS_PIDFD_SEND_SIGNAL: true,
	unix.SYS_REBOOT: true, unix.SYS_KEXEC_LOAD: true, unix.SYS_KEXEC_FILE_LOAD: true,
	unix.SYS_FORK: true, unix.SYS_VFORK: true, unix.SYS_CLONE: true, unix.SYS_CLONE3: true,
	unix.SYS_EXECVE: true, unix.SYS_EXECVEAT: true, unix.SYS_EXIT: true, unix.SYS_EXIT_GROUP: true,
	unix.SYS_SETTIMEOFDAY: true, unix.SYS_CLOCK_SETTIME: true, unix.SYS_ADJTIMEX: true, unix.SYS_CLOCK_ADJTIME: true,
	unix.SYS_SETHOSTNAME: true, unix.SYS_SETDOMAINNAME: true, unix.SYS_ACCT: true,
	unix.SYS_PTRACE: true, unix.SYS_PROCESS_VM_WRITEV: true, unix.SYS_SWAPON: true,
	unix.SYS_MOUNT: true, unix.SYS_UMOUNT2: true, unix.SYS_PIVOT_ROOT: true, unix.SYS_CHROOT: true,
	unix.SYS_SETPRIORITY: true, unix.SYS_IOPL: true, unix.SYS_IOPERM: true,
	// These only ever block until a signal: the watchdog would take them.
	unix.SYS_PAUSE: true, unix.SYS_RT_SIGSUSPEND: true,
	// These with random arguments only kill the child, through the Go
	// runtime's TLS, a garbage signal frame or tiny limits; a restart
	// costs a Go program's start, so they would cut the rate a
	// hundredfold.  (The memory calls are aimed at a victim region
	// instead; see fuzz.)
	unix.SYS_RT_SIGRETURN: true, unix.SYS_ARCH_PRCTL: true, unix.SYS_SETRLIMIT: true,
	unix.SYS_SECCOMP: true,
}

// memCalls take an address range: the child aims them at its victim
// region, never at the Go runtime's memory.
var memCalls = map[uintptr]bool{
	unix.SYS_MUNMAP: true, unix.SYS_MPROTECT: true, unix.SYS_MADVISE: true, unix.SYS_MREMAP: true,
	unix.SYS_MSYNC: true, unix.SYS_MLOCK: true, unix.SYS_MUNLOCK: true, unix.SYS_MINCORE: true,
	unix.SYS_REMAP_FILE_PAGES: true, unix.SYS_PKEY_MPROTECT: true, unix.SYS_MBIND: true,
}

// safeCalls are the only calls made on a Linux host: they act on the
// child's own descriptors, memory and scratch directory, or only read.
var safeCalls = []uintptr{
	unix.SYS_READ, unix.SYS_WRITE, unix.SYS_PREAD64, unix.SYS_PWRITE64, unix.SYS_READV, unix.SYS_WRITEV,
	unix.SYS_LSEEK, unix.SYS_FSTAT, unix.SYS_NEWFSTATAT, unix.SYS_GETDENTS64, unix.SYS_GETCWD,
	unix.SYS_UNAME, unix.SYS_CLOCK_GETTIME, unix.SYS_GETTIMEOFDAY, unix.SYS_GETPID, unix.SYS_GETPPID,
	unix.SYS_GETTID, unix.SYS_GETUID, unix.SYS_GETRANDOM, unix.SYS_SYSINFO, unix.SYS_GETRUSAGE,
	unix.SYS_SCHED_YIELD, unix.SYS_SCHED_GETAFFINITY, unix.SYS_DUP, unix.SYS_PIPE2, unix.SYS_UMASK,
	unix.SYS_OPENAT, unix.SYS_MKDIRAT, unix.SYS_FACCESSAT2, unix.SYS_READLINKAT, unix.SYS_FCNTL,
	unix.SYS_EPOLL_CREATE1, unix.SYS_EVENTFD2, unix.SYS_RT_SIGPENDING, unix.SYS_STATX,
}

// An arena is the child's memory for pointer arguments: valid pages whose
// bytes are random but never '/' or '.', so any path read from them is
// one name in the scratch directory.  It is mapped apart from the Go
// heap, with an inaccessible page after it, so that a call writing past
// a pointer into it gets EFAULT rather than corrupting the runtime.
type arena struct {
	buf []byte
	rng *rand.Rand
}

func newArena(rng *rand.Rand) *arena {
	const size = 64 << 10
	m, err := unix.Mmap(-1, 0, size+4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		panic(err)
	}
	unix.Mprotect(m[size:], unix.PROT_NONE)
	a := &arena{buf: m[:size], rng: rng}
	a.scramble()
	return a
}

func (a *arena) scramble() {
	for i := range a.buf {
		c := byte(a.rng.Intn(256))
		if c == '/' || c == '.' {
			c = 'x'
		}
		// Short strings: a NUL every so often.
		if a.rng.Intn(8) == 0 {
			c = 0
		}
		a.buf[i] = c
	}
}

// unblockAlarm takes SIGALRM out of a signal set the call will read,
// if the set lies in the arena.
func (a *arena) unblockAlarm(set uintptr) {
	base := uintptr(unsafe.Pointer(&a.buf[0]))
	if set >= base && set-base <= uintptr(len(a.buf)-8) { // not set+8: -1 wraps
		const bit = uintptr(unix.SIGALRM - 1)
		a.buf[set-base+bit/8] &^= 1 << (bit % 8)
	}
}

// names are path arguments: short names in the scratch directory.
var names = []string{"a", "b", "c", "dir", "dir2", "fifo", "", "a\x00"}

// arg picks one random argument.
func (a *arena) arg() uintptr {
	switch a.rng.Intn(12) {
	case 0, 1:
		return uintptr(a.rng.Intn(32)) // a descriptor
	case 2:
		return uintptr(a.rng.Intn(4096)) // a small number or length
	case 3:
		return uintptr(1 << a.rng.Intn(64)) // a flag
	case 4:
		return uintptr(a.rng.Uint64()) // anything
	case 5:
		return ^uintptr(0) // -1
	case 6, 7:
		// Somewhere in the arena, with room after it.
		return uintptr(unsafe.Pointer(&a.buf[a.rng.Intn(len(a.buf)-4096)]))
	case 8:
		// A name, NUL-terminated, copied into the arena.
		n := names[a.rng.Intn(len(names))] + "\x00"
		off := a.rng.Intn(len(a.buf) - 64)
		copy(a.buf[off:], n)
		return uintptr(unsafe.Pointer(&a.buf[off]))
	case 9:
		return []uintptr{0, 1, 0xffff800000000000, 0x8000000000000000, 0x7ffffffff000}[a.rng.Intn(5)] // bad pointers
	case 10:
		return uintptr(a.rng.Intn(1 << 20))
	}
	return 0
}

// firstAbove returns the descriptor above every open one below limit,
// and at least floor.  Not the lowest free one: the counter file, opened
// and moved to counterFD, leaves a hole below the poller's descriptors.
func firstAbove(floor, limit int) int {
	low := floor
	for fd := 0; fd < limit; fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil {
			low = max(low, fd+1)
		}
	}
	return low
}

// fuzz is the child: it makes n random calls, storing the count made so
// far in counterFile.
func fuzz(counterFile string, seed int64, n int, safe bool) int {
	f, err := os.OpenFile(counterFile, os.O_WRONLY, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if err := unix.Dup2(int(f.Fd()), counterFD); err != nil {
		return 2
	}
	f.Close()
	rng := rand.New(rand.NewSource(seed))
	a := newArena(rng)
	unix.Setrlimit(unix.RLIMIT_FSIZE, &unix.Rlimit{Cur: 16 << 20, Max: 16 << 20})
	self := uintptr(os.Getpid())
	// The interrupter's timer makes the runtime open its poller (an
	// epoll descriptor and an eventfd) if it has not yet: before low.
	in := startInterrupter()
	time.Sleep(time.Millisecond)
	// Descriptors below low are the Go runtime's (its poller): closing or
	// replacing them kills the child, so random descriptors start at low.
	low := firstAbove(3, counterFD)
	const victimSize = 1 << 20
	victim, err := unix.Mmap(-1, 0, victimSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return 2
	}
	victimBase := uintptr(unsafe.Pointer(&victim[0]))
	var count [32]byte
	for i := 1; i <= n; i++ {
		var nr uintptr
		if safe {
			nr = safeCalls[rng.Intn(len(safeCalls))]
		} else {
			for nr = uintptr(rng.Intn(460)); excluded[nr]; nr = uintptr(rng.Intn(460)) {
			}
		}
		args := [6]uintptr{a.arg(), a.arg(), a.arg(), a.arg(), a.arg(), a.arg()}
		if safe && nr == unix.SYS_FCNTL && args[1] != unix.F_GETFL && args[1] != unix.F_SETFL && args[1] != unix.F_GETFD {
			args[1] = unix.F_GETFD // no locks or leases on a shared host
		}
		for k, v := range args {
			if v < uintptr(low) {
				args[k] = uintptr(low) + v%uintptr(32-low)
			} else if v == counterFD {
				args[k] = uintptr(low)
			}
		}
		if memCalls[nr] {
			off := uintptr(rng.Intn(victimSize/4096)) * 4096
			args[0] = victimBase + off
			args[1] %= victimSize - off + 1
			if nr == unix.SYS_MREMAP {
				args[2] %= victimSize - off + 1 // no growing into the neighbours
				args[3] &^= unix.MREMAP_FIXED
			}
		}
		switch nr {
		case unix.SYS_RT_SIGACTION:
			// Only signals nothing sends the child: the runtime needs
			// its handlers for SIGURG, SIGSEGV and the rest.
			args[0] = []uintptr{uintptr(unix.SIGUSR1), uintptr(unix.SIGUSR2), 40, 50, 64}[rng.Intn(5)]
		case unix.SYS_RT_SIGPROCMASK:
			a.unblockAlarm(args[1]) // the interrupter's signal must get through
		case unix.SYS_PPOLL:
			a.unblockAlarm(args[3])
		case unix.SYS_EPOLL_PWAIT:
			args[3] &= 15
			a.unblockAlarm(args[4])
		case unix.SYS_EPOLL_PWAIT2:
			a.unblockAlarm(args[4])
		case unix.SYS_PSELECT6:
			args[5] = 0 // its mask hides behind a pointer pair
		case unix.SYS_CLOSE_RANGE:
			// Not up to the counter's descriptor: without it the child
			// counts no progress and the watchdog kills it.
			args[1] = min(args[1], counterFD-1)
		case unix.SYS_SIGALTSTACK:
			args[0] = 0 // query only: Go's handlers need the stack it set
		case unix.SYS_MMAP:
			if args[3]&(unix.MAP_FIXED|unix.MAP_FIXED_NOREPLACE) != 0 {
				// Over the victim, never over the runtime's memory.
				off := uintptr(rng.Intn(victimSize/4096)) * 4096
				args[0], args[1] = victimBase+off, args[1]%(victimSize-off+1)
			}
		case unix.SYS_PRLIMIT64:
			args[0], args[2] = self, 0 // read limits only
		case unix.SYS_SETPGID, unix.SYS_SETPRIORITY, unix.SYS_SCHED_SETAFFINITY:
			args[0] = self // a pid: only the child itself
		case unix.SYS_PIPE2, unix.SYS_EVENTFD2, unix.SYS_EPOLL_CREATE1:
			args[1] |= unix.O_NONBLOCK // reads of what it makes must not block
			if nr == unix.SYS_EVENTFD2 {
				args[1] |= unix.EFD_NONBLOCK
			}
		case unix.SYS_SOCKET, unix.SYS_SOCKETPAIR:
			args[1] |= unix.SOCK_NONBLOCK
		case unix.SYS_ACCEPT4:
			args[3] |= unix.SOCK_NONBLOCK
		case unix.SYS_POLL, unix.SYS_EPOLL_WAIT:
			args[2] &= 15 // timeouts of at most 15 ms
		}
		if in != nil {
			in.begin(nr, args)
		}
		unix.Syscall6(nr, args[0], args[1], args[2], args[3], args[4], args[5])
		if in != nil {
			in.end()
		}
		if i%64 == 0 || i == n {
			sent := uint64(0)
			if in != nil {
				sent = in.sent.Load()
			}
			copy(count[:], fmt.Sprintf("%-15d %-15d\n", i, sent))
			unix.Pwrite(counterFD, count[:], 0)
		}
		if i%4096 == 0 {
			a.scramble()
		}
	}
	return 0
}
