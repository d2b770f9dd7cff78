package main

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	me "scone/user/internal/self"
)

func init() {
	register("cowfork", testCowFork)
	register("cowthreads", testCowThreads)
}

// testCowFork: fork of a process with a 64 MiB heap, every page touched,
// shares the pages copy-on-write: free memory barely moves until the
// child writes, the child's writes then take about 64 MiB, and each side
// sees only its own bytes.  (The memory figures are checked on Scone
// only: a Linux host's MemFree moves with everything else it runs.)
func testCowFork() error {
	const size, page = 64 << 20, 4096
	heap := make([]byte, size)
	for i := 0; i < size; i += page {
		heap[i] = byte(i / page)
	}
	var up, down [2]int // child -> parent, parent -> child
	if err := syscall.Pipe2(up[:], syscall.O_CLOEXEC); err != nil {
		return err
	}
	if err := syscall.Pipe2(down[:], syscall.O_CLOEXEC); err != nil {
		return err
	}
	defer func() {
		for _, fd := range []int{up[0], up[1], down[0], down[1]} {
			syscall.Close(fd)
		}
	}()
	one := make([]byte, 1)
	b := uintptr(unsafe.Pointer(&one[0]))
	free0 := me.MemFree()
	pid, _, errno := syscall.RawSyscall(syscall.SYS_FORK, 0, 0, 0)
	if errno != 0 {
		return fmt.Errorf("fork: %v", errno)
	}
	if pid == 0 {
		// The child is a copy of one thread of a Go program: raw system
		// calls and plain loads and stores only.
		status := uintptr(0)
		syscall.RawSyscall(syscall.SYS_WRITE, uintptr(up[1]), b, 1) // forked
		syscall.RawSyscall(syscall.SYS_READ, uintptr(down[0]), b, 1)
		for i := 0; i < size; i += page {
			if heap[i] != byte(i/page) {
				status = 1
			}
			heap[i] = ^byte(i / page)
		}
		syscall.RawSyscall(syscall.SYS_WRITE, uintptr(up[1]), b, 1) // written
		syscall.RawSyscall(syscall.SYS_READ, uintptr(down[0]), b, 1)
		for i := 0; i < size; i += page {
			if heap[i] != ^byte(i/page) {
				status |= 2
			}
		}
		syscall.RawSyscall(syscall.SYS_EXIT_GROUP, status, 0, 0)
	}
	step := func() error {
		if n, err := syscall.Read(up[0], one); n != 1 {
			return fmt.Errorf("the child did not answer: %v", err)
		}
		return nil
	}
	if err := step(); err != nil {
		return err
	}
	free1 := me.MemFree()
	syscall.Write(down[1], one)
	if err := step(); err != nil {
		return err
	}
	free2 := me.MemFree()
	for i := 0; i < size; i += page {
		if heap[i] != byte(i/page) {
			return fmt.Errorf("the child's write to page %d shows in the parent", i/page)
		}
		heap[i] = byte(i/page) + 1 // the child must not see this
	}
	syscall.Write(down[1], one)
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(int(pid), &ws, 0, nil); err != nil {
		return err
	}
	runtime.KeepAlive(heap)
	if !ws.Exited() || ws.ExitStatus() != 0 {
		return fmt.Errorf("child: wait status %#x (1: the parent's bytes were wrong after fork, 2: its own did not stick)", uint32(ws))
	}
	fmt.Printf("MemFree %d KiB before fork, %d after, %d after the child wrote 64 MiB\n", free0, free1, free2)
	if onLinuxHost() {
		return nil
	}
	if free0-free1 > 8<<10 {
		return fmt.Errorf("fork of a 64 MiB heap took %d KiB (copy-on-write should take page tables only)", free0-free1)
	}
	if free1-free2 < 48<<10 {
		return fmt.Errorf("the child's writes to 64 MiB took only %d KiB", free1-free2)
	}
	return nil
}

// testCowThreads: another thread of the parent keeps storing a counter
// while the parent forks.  Each child's copy must hold still (a store the
// writer made through a translation that was still writable after fork
// would show in the child), and the parent must keep seeing the writer's
// latest value (a store to the frame the fault copied from would be
// lost).
func testCowThreads() error {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	word := new(uint64)
	var stop atomic.Bool
	last := make(chan uint64)
	go func() {
		runtime.LockOSThread()
		i := uint64(1)
		for ; !stop.Load(); i++ {
			atomic.StoreUint64(word, i)
		}
		last <- i - 1
	}()
	for atomic.LoadUint64(word) == 0 {
		runtime.Gosched()
	}
	ts := &syscall.Timespec{Nsec: 20e6}
	for round := 0; round < 20; round++ {
		pid, _, errno := syscall.RawSyscall(syscall.SYS_FORK, 0, 0, 0)
		if errno != 0 {
			stop.Store(true)
			return fmt.Errorf("fork: %v", errno)
		}
		if pid == 0 {
			// The child: one thread, raw calls and atomic loads only.
			v := atomic.LoadUint64(word)
			syscall.RawSyscall(syscall.SYS_NANOSLEEP, uintptr(unsafe.Pointer(ts)), 0, 0)
			status := uintptr(0)
			if atomic.LoadUint64(word) != v {
				status = 1
			}
			syscall.RawSyscall(syscall.SYS_EXIT_GROUP, status, 0, 0)
		}
		var ws syscall.WaitStatus
		if _, err := syscall.Wait4(int(pid), &ws, 0, nil); err != nil {
			stop.Store(true)
			return err
		}
		if !ws.Exited() || ws.ExitStatus() != 0 {
			stop.Store(true)
			return fmt.Errorf("round %d: the child's copy changed under it (wait status %#x)", round, uint32(ws))
		}
		v := atomic.LoadUint64(word)
		deadline := time.Now().Add(10 * time.Second)
		for atomic.LoadUint64(word) == v && time.Now().Before(deadline) {
			runtime.Gosched()
		}
		if atomic.LoadUint64(word) == v {
			stop.Store(true)
			return fmt.Errorf("round %d: the parent no longer sees the writer's stores", round)
		}
	}
	stop.Store(true)
	if l, v := <-last, atomic.LoadUint64(word); l != v {
		return fmt.Errorf("the writer's last store was %d, the parent reads %d", l, v)
	}
	return nil
}
