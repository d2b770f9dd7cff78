package main

import (
	"fmt"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func init() {
	register("shmanon", testShmAnon)
}

// testShmAnon: MAP_SHARED|MAP_ANONYMOUS memory is one object across
// fork.  Parent and child each add 1 to a counter in it 1000 times with
// an atomic op, at the same time; the parent then sees 2000.  Each sees a
// byte the other wrote after fork, on pages neither had touched before,
// and a byte written before fork; the child's FUTEX_WAKE on a word of it
// wakes the parent's FUTEX_WAIT.  MADV_DONTNEED drops only the
// parent's mapping: the contents stay and the next touch shows them.
func testShmAnon() error {
	const page, adds = 4096, 1000
	m, err := unix.Mmap(-1, 0, 3*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_ANON)
	if err != nil {
		return fmt.Errorf("mmap: %v", err)
	}
	defer unix.Munmap(m)
	counter := (*uint32)(unsafe.Pointer(&m[0]))
	flag := (*uint32)(unsafe.Pointer(&m[2*page+64])) // stays 0: the futex
	m[8] = 0x5a
	var down [2]int // parent -> child: "my page is written"
	if err := syscall.Pipe2(down[:], syscall.O_CLOEXEC); err != nil {
		return err
	}
	defer syscall.Close(down[0])
	defer syscall.Close(down[1])
	one := []byte{0}
	b := uintptr(unsafe.Pointer(&one[0]))
	pid, _, errno := syscall.RawSyscall(syscall.SYS_FORK, 0, 0, 0)
	if errno != 0 {
		return fmt.Errorf("fork: %v", errno)
	}
	if pid == 0 {
		// A copy of one thread of a Go program: raw system calls, plain
		// loads and stores, and atomic instructions only.
		status := uintptr(0)
		if m[8] != 0x5a {
			status |= 1
		}
		for i := 0; i < adds; i++ {
			atomic.AddUint32(counter, 1)
		}
		m[page] = 0x77
		// Wake the parent, which waits on a word of the shared memory
		// (a process-shared lock's futex), until a wake reaches it.
		woke := false
		ts := syscall.Timespec{Nsec: 1e6}
		for i := 0; i < 5000 && !woke; i++ {
			n, _, _ := syscall.RawSyscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(flag)), 1 /* FUTEX_WAKE */, 1, 0, 0, 0)
			if woke = n == 1; !woke {
				syscall.RawSyscall(syscall.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&ts)), 0, 0)
			}
		}
		if !woke {
			status |= 4
		}
		if n, _, _ := syscall.RawSyscall(syscall.SYS_READ, uintptr(down[0]), b, 1); n != 1 || m[2*page] != 0x66 {
			status |= 2
		}
		syscall.RawSyscall(syscall.SYS_EXIT_GROUP, status, 0, 0)
	}
	for i := 0; i < adds; i++ {
		atomic.AddUint32(counter, 1)
	}
	m[2*page] = 0x66
	werr := futexWaitShared(flag, 5*time.Second)
	syscall.Write(down[1], one)
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(int(pid), &ws, 0, nil); err != nil {
		return err
	}
	if !ws.Exited() || ws.ExitStatus() != 0 {
		return fmt.Errorf("child: wait status %#x (1: the byte written before fork was wrong, 2: the parent's write after fork did not show, 4: no FUTEX_WAKE reached the parent)", uint32(ws))
	}
	if werr != nil {
		return fmt.Errorf("FUTEX_WAIT on shared memory: %v", werr)
	}
	if got := atomic.LoadUint32(counter); got != 2*adds {
		return fmt.Errorf("counter %d after %d adds in each process, want %d", got, adds, 2*adds)
	}
	if m[page] != 0x77 {
		return fmt.Errorf("the child's write to a fresh page shows as %#x, want 0x77", m[page])
	}
	if err := unix.Madvise(m, unix.MADV_DONTNEED); err != nil {
		return fmt.Errorf("madvise: %v", err)
	}
	if got := atomic.LoadUint32(counter); got != 2*adds || m[page] != 0x77 || m[2*page] != 0x66 {
		return fmt.Errorf("after MADV_DONTNEED: counter %d, bytes %#x %#x; want the shared contents kept", got, m[page], m[2*page])
	}
	return nil
}

// futexWaitShared waits (FUTEX_WAIT, not private) while *w is 0, until a
// wake or the timeout: nil if woken.
func futexWaitShared(w *uint32, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return syscall.ETIMEDOUT
		}
		ts := syscall.NsecToTimespec(left.Nanoseconds())
		_, _, e := syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(w)), 0 /* FUTEX_WAIT */, 0, uintptr(unsafe.Pointer(&ts)), 0, 0)
		switch e {
		case 0:
			return nil
		case syscall.EINTR:
			continue
		default:
			return e
		}
	}
}
