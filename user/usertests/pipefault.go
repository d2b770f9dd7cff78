package main

import (
	"fmt"

	"golang.org/x/sys/unix"
)

func init() {
	register("pipefault", testPipeFault)
}

// testPipeFault: a pipe read or write whose buffer is bad, wholly or
// from some byte on, loses nothing. A read into a bad page fails with
// EFAULT and leaves the bytes; a read into a buffer that goes bad before
// the data ends takes at most what fits (Linux then says EFAULT, Scone
// returns the bytes that fit: both keep the rest); a short write from a
// buffer that goes bad fails with EFAULT and writes nothing.
func testPipeFault() error {
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return err
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	r, w := fds[0], fds[1]
	// Two pages, the second unmapped: bad starts at the page boundary.
	m, err := unix.Mmap(-1, 0, 2*4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return err
	}
	bad := ptr(&m[0]) + 4096
	defer unix.Syscall(unix.SYS_MUNMAP, ptr(&m[0]), 4096, 0)
	if _, _, e := unix.Syscall(unix.SYS_MUNMAP, bad, 4096, 0); e != 0 {
		return e
	}
	call := func(nr, fd, p, n uintptr) (int, error) {
		v, _, e := unix.Syscall(nr, fd, p, n)
		if e != 0 {
			return 0, e
		}
		return int(v), nil
	}
	if _, err := unix.Write(w, []byte("kept")); err != nil {
		return err
	}
	for _, p := range []uintptr{1, bad, bad + 100} {
		if n, err := call(unix.SYS_READ, uintptr(r), p, 64); err != unix.EFAULT {
			return fmt.Errorf("read into %#x: %d, %v; want EFAULT", p, n, err)
		}
	}
	var got []byte
	if n, err := call(unix.SYS_READ, uintptr(r), bad-2, 64); err == nil {
		got = append(got, m[4094:4094+n]...)
	} else if err != unix.EFAULT {
		return fmt.Errorf("read into the last 2 good bytes: %d, %v", n, err)
	}
	buf := make([]byte, 64)
	n, err := unix.Read(r, buf)
	if err != nil {
		return fmt.Errorf("read after the faults: %v", err)
	}
	if got = append(got, buf[:n]...); string(got) != "kept" {
		return fmt.Errorf("read back %q after the faults, want \"kept\"", got)
	}
	// A write of 100 bytes of which 50 are good: all or nothing.
	if n, err := call(unix.SYS_WRITE, uintptr(w), bad-50, 100); err != unix.EFAULT {
		return fmt.Errorf("pipe write of 100 bytes, 50 good: %d, %v; want EFAULT", n, err)
	}
	if n, err := unix.Read(r, buf); err != unix.EAGAIN {
		return fmt.Errorf("the pipe holds %d bytes (%v) after a failed write; want none", n, err)
	}
	return nil
}
