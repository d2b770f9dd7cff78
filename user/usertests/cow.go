package main

import (
	"fmt"
	"runtime"
	"syscall"
	"unsafe"

	me "scone/user/internal/self"
)

func init() { register("cowfork", testCowFork) }

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
