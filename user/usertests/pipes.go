package main

import (
	"bytes"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	register("pipecapacity", testPipeCapacity)
	register("pipebig", testPipeBig)
	register("epipe", testEPipe)
}

// testPipeCapacity fills a non-blocking pipe: Linux's holds 64 KiB, then
// EAGAIN; a read makes room again.
func testPipeCapacity() error {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK); err != nil {
		return err
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	// Writes of PIPE_BUF (4096) bytes are atomic: all or EAGAIN.
	buf := make([]byte, 4096)
	total := 0
	for i := 0; i < 1000; i++ {
		n, err := unix.Write(p[1], buf)
		if err == unix.EAGAIN {
			break
		}
		if err != nil {
			return fmt.Errorf("write after %d bytes: %v", total, err)
		}
		total += n
	}
	if total != 65536 {
		return fmt.Errorf("pipe took %d bytes, want 65536", total)
	}
	if n, err := unix.Read(p[0], make([]byte, 4096)); n != 4096 || err != nil {
		return fmt.Errorf("read of a full pipe: %d, %v", n, err)
	}
	if n, err := unix.Write(p[1], make([]byte, 4096)); n != 4096 || err != nil {
		return fmt.Errorf("write after a read: %d, %v", n, err)
	}
	// An empty non-blocking pipe reads EAGAIN.
	var q [2]int
	unix.Pipe2(q[:], unix.O_NONBLOCK)
	if _, err := unix.Read(q[0], buf); err != unix.EAGAIN {
		return fmt.Errorf("read of an empty non-blocking pipe: %v, want EAGAIN", err)
	}
	unix.Close(q[1])
	if n, err := unix.Read(q[0], buf); n != 0 || err != nil {
		return fmt.Errorf("read with no writer: %d, %v, want end of file", n, err)
	}
	unix.Close(q[0])
	return nil
}

// testPipeBig streams 4 MiB through a blocking pipe between two threads
// in uneven pieces and checks every byte.
func testPipeBig() error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	data := make([]byte, 4<<20)
	for i := range data {
		data[i] = byte(i*7 + i>>12)
	}
	go func() {
		for off := 0; off < len(data); {
			n := min(len(data)-off, 1+off%70000)
			w.Write(data[off : off+n])
			off += n
		}
		w.Close()
	}()
	var got bytes.Buffer
	buf := make([]byte, 33333)
	for {
		n, err := r.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if !bytes.Equal(got.Bytes(), data) {
		return fmt.Errorf("read %d bytes back, not the %d written", got.Len(), len(data))
	}
	return nil
}

// testEPipe: writing to a pipe with no reader gives EPIPE (Go ignores the
// SIGPIPE for descriptors other than 1 and 2), and a blocked writer is
// woken by the reader's close.
func testEPipe() error {
	var p [2]int
	if err := unix.Pipe2(p[:], 0); err != nil {
		return err
	}
	unix.Close(p[0])
	if _, err := unix.Write(p[1], []byte("x")); err != unix.EPIPE {
		return fmt.Errorf("write with no reader: %v, want EPIPE", err)
	}
	unix.Close(p[1])
	unix.Pipe2(p[:], 0)
	done := make(chan error, 1)
	go func() {
		// 128 KiB cannot fit: this blocks until the reader goes away.
		_, err := unix.Write(p[1], make([]byte, 128<<10))
		done <- err
	}()
	time.Sleep(100 * time.Millisecond) // let the writer block (only speeds the test)
	unix.Close(p[0])
	select {
	case err := <-done:
		// Linux returns the part written before the reader left, then
		// EPIPE on the next write.
		if err == nil {
			_, err = unix.Write(p[1], []byte("x"))
		}
		if err != unix.EPIPE {
			return fmt.Errorf("blocked writer after the reader closed: %v, want EPIPE", err)
		}
	case <-time.After(10 * time.Second):
		return fmt.Errorf("a writer blocked on a full pipe was not woken by the reader's close")
	}
	return nil
}
