// Command procbench measures the process layer from user space, the same
// binary on Scone and on Linux (`make bench-proc` runs it on both): a null
// system call, fork+exit+wait (also from a 64 MiB heap), fork+exec+wait,
// pipe throughput and round trip between two processes, small-file churn
// and a 64 MiB file read.
//
//	procbench [-dir /tmp] [-scale 1] [-run REGEXP]
//
// Each row is one line, "procbench ROW VALUE UNIT", UNIT being us (time
// per operation) or MB/s; the last line is "procbench done". It prints
// figures and asserts nothing. -scale multiplies every iteration count;
// -run keeps only the rows whose names match.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"syscall"
	"time"
)

var (
	dir   = flag.String("dir", "/tmp", "scratch directory (the files made are removed)")
	scale = flag.Float64("scale", 1, "multiplies every iteration count")
	only  = flag.String("run", "", "run only the rows whose names match this regular expression")
	child = flag.String("child", "", "internal: run as the pipe peer (sink or echo)")
)

func main() {
	flag.Parse()
	if *child != "" {
		if err := peer(*child); err != nil {
			fmt.Fprintln(os.Stderr, "procbench child:", err)
			os.Exit(1)
		}
		return
	}
	rows := []struct {
		name string
		run  func(n int) (float64, string, error)
		n    int
	}{
		{"null-syscall", nullSyscall, 200000},
		{"fork-exit-wait", forkExitWait, 200},
		{"fork-exit-wait-64mib-heap", forkExitWaitHeap, 20},
		{"fork-exec-wait", forkExecTiny, 200},
		{"fork-exec-wait-go", forkExecGo, 20},
		{"pipe-throughput", pipeThroughput, 64}, // MiB
		{"pipe-roundtrip-64b", pipeRoundTrip, 2000},
		{"file-create-write-unlink", fileChurn, 500},
		{"file-read-64mib", fileRead, 64}, // MiB
	}
	keep, err := regexp.Compile(*only)
	if err != nil {
		fmt.Fprintln(os.Stderr, "procbench:", err)
		os.Exit(2)
	}
	for _, r := range rows {
		if !keep.MatchString(r.name) {
			continue
		}
		n := max(1, int(float64(r.n)**scale))
		v, unit, err := r.run(n)
		if err != nil {
			fmt.Printf("procbench %s error %v\n", r.name, err)
			continue
		}
		fmt.Printf("procbench %s %.3f %s\n", r.name, v, unit)
	}
	fmt.Println("procbench done")
}

// perOp is the time per operation in microseconds.
func perOp(d time.Duration, n int) float64 {
	return d.Seconds() * 1e6 / float64(n)
}

func nullSyscall(n int) (float64, string, error) {
	start := time.Now()
	for i := 0; i < n; i++ {
		syscall.RawSyscall(syscall.SYS_GETPPID, 0, 0, 0)
	}
	return perOp(time.Since(start), n), "us", nil
}

// forkExitWait forks with the raw system call; the child only calls
// exit_group, which is safe in a copy of a multithreaded Go process
// (syscall's own fork child does no more than raw calls either).
func forkExitWait(n int) (float64, string, error) {
	start := time.Now()
	for i := 0; i < n; i++ {
		pid, err := rawFork()
		if err != nil {
			return 0, "", fmt.Errorf("fork: %v", err)
		}
		if err := waitOK(pid); err != nil {
			return 0, "", err
		}
	}
	return perOp(time.Since(start), n), "us", nil
}

// forkExitWaitHeap is forkExitWait from a process with a 64 MiB heap,
// every page of it touched: what fork pays for the memory it shares or
// copies.
func forkExitWaitHeap(n int) (float64, string, error) {
	heap := make([]byte, 64<<20)
	for i := 0; i < len(heap); i += 4096 {
		heap[i] = byte(i >> 12)
	}
	v, unit, err := forkExitWait(n)
	runtime.KeepAlive(heap)
	return v, unit, err
}

// rawFork returns the child's PID in the parent; the child exits 0 at
// once. Go code between the two raw calls must not allocate or grow the
// stack, which this straight-line code does not.
func rawFork() (int, error) {
	pid, _, errno := syscall.RawSyscall(syscall.SYS_FORK, 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	if pid == 0 {
		syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 0, 0, 0)
	}
	return int(pid), nil
}

func waitOK(pid int) error {
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(pid, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("wait4: %v", err)
		}
		break
	}
	if !ws.Exited() || ws.ExitStatus() != 0 {
		return fmt.Errorf("child %d: wait status %#x", pid, uint32(ws))
	}
	return nil
}

// tinyELF is a complete static ET_EXEC that calls exit_group(0): one
// PT_LOAD of the headers and the code, mapped at 0x400000.
func tinyELF() []byte {
	const base = 0x400000
	code := []byte{
		0xb8, 0xe7, 0x00, 0x00, 0x00, // mov eax, 231 (exit_group)
		0x31, 0xff, // xor edi, edi
		0x0f, 0x05, // syscall
	}
	const ehsize, phsize = 64, 56
	size := ehsize + phsize + len(code)
	b := make([]byte, size)
	le := func(off int, v uint64, n int) {
		for i := 0; i < n; i++ {
			b[off+i] = byte(v >> (8 * i))
		}
	}
	copy(b, "\x7fELF\x02\x01\x01") // 64-bit, little-endian, version 1
	le(16, 2, 2)                   // ET_EXEC
	le(18, 62, 2)                  // EM_X86_64
	le(20, 1, 4)
	le(24, base+ehsize+phsize, 8) // entry
	le(32, ehsize, 8)             // phoff
	le(52, ehsize, 2)
	le(54, phsize, 2)
	le(56, 1, 2) // phnum
	p := ehsize
	le(p, 1, 4)   // PT_LOAD
	le(p+4, 5, 4) // R+X
	le(p+16, base, 8)
	le(p+24, base, 8)
	le(p+32, uint64(size), 8)
	le(p+40, uint64(size), 8)
	le(p+48, 0x1000, 8)
	copy(b[ehsize+phsize:], code)
	return b
}

// writeExec writes tinyELF to path, executable.
func writeExec(path string) error {
	return os.WriteFile(path, tinyELF(), 0o755)
}

// forkExecTiny runs tinyELF: the cost of fork, exec and wait themselves.
func forkExecTiny(n int) (float64, string, error) {
	path := filepath.Join(*dir, "procbench-exit")
	if err := writeExec(path); err != nil {
		return 0, "", err
	}
	defer os.Remove(path)
	return forkExec(path, []string{path}, n)
}

// forkExecGo runs this program to exit at once: what starting a Go
// program costs (its runtime's start-up included).
func forkExecGo(n int) (float64, string, error) {
	self, err := os.Executable()
	if err != nil {
		self = os.Args[0]
	}
	return forkExec(self, []string{self, "-child", "exit"}, n)
}

func forkExec(path string, argv []string, n int) (float64, string, error) {
	attr := &syscall.ProcAttr{Files: []uintptr{0, 1, 2}}
	start := time.Now()
	for i := 0; i < n; i++ {
		pid, err := syscall.ForkExec(path, argv, attr)
		if err != nil {
			return 0, "", fmt.Errorf("fork+exec %s: %v", path, err)
		}
		if err := waitOK(pid); err != nil {
			return 0, "", err
		}
	}
	return perOp(time.Since(start), n), "us", nil
}

// startPeer starts this program as the pipe peer, its stdin and stdout
// the returned pipe ends' other sides.
func startPeer(mode string) (w *os.File, r *os.File, pid int, err error) {
	self, err := os.Executable()
	if err != nil {
		self = os.Args[0]
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, nil, 0, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, nil, 0, err
	}
	p, err := os.StartProcess(self, []string{self, "-child", mode},
		&os.ProcAttr{Files: []*os.File{inR, outW, os.Stderr}})
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, nil, 0, err
	}
	return inW, outR, p.Pid, nil
}

// pipeThroughput writes n MiB into a pipe that another process drains;
// the clock stops when that process has read it all and exited.
func pipeThroughput(n int) (float64, string, error) {
	w, r, pid, err := startPeer("sink")
	if err != nil {
		return 0, "", err
	}
	defer r.Close()
	buf := make([]byte, 64<<10)
	start := time.Now()
	for i := 0; i < n*16; i++ {
		if _, err := w.Write(buf); err != nil {
			w.Close()
			return 0, "", err
		}
	}
	w.Close()
	if err := waitOK(pid); err != nil {
		return 0, "", err
	}
	return float64(n) * (1 << 20) / 1e6 / time.Since(start).Seconds(), "MB/s", nil
}

// pipeRoundTrip sends 64 bytes to a process that sends them back, n times.
func pipeRoundTrip(n int) (float64, string, error) {
	w, r, pid, err := startPeer("echo")
	if err != nil {
		return 0, "", err
	}
	defer r.Close()
	msg := make([]byte, 64)
	start := time.Now()
	for i := 0; i < n; i++ {
		if _, err := w.Write(msg); err != nil {
			w.Close()
			return 0, "", err
		}
		if _, err := io.ReadFull(r, msg); err != nil {
			w.Close()
			return 0, "", err
		}
	}
	took := time.Since(start)
	w.Close()
	if err := waitOK(pid); err != nil {
		return 0, "", err
	}
	return perOp(took, n), "us", nil
}

// peer is the child side of the pipe rows: sink reads stdin to its end;
// echo copies each 64-byte message back; exit just exits.
func peer(mode string) error {
	switch mode {
	case "exit":
		return nil
	case "sink":
		_, err := io.Copy(io.Discard, os.Stdin)
		return err
	case "echo":
		msg := make([]byte, 64)
		for {
			if _, err := io.ReadFull(os.Stdin, msg); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
			if _, err := os.Stdout.Write(msg); err != nil {
				return err
			}
		}
	}
	return errors.New("unknown mode " + mode)
}

// fileChurn creates a file, writes 4 KiB, closes and unlinks it, n times.
func fileChurn(n int) (float64, string, error) {
	buf := make([]byte, 4096)
	path := filepath.Join(*dir, "procbench-small")
	start := time.Now()
	for i := 0; i < n; i++ {
		fd, err := syscall.Open(path, syscall.O_CREAT|syscall.O_WRONLY|syscall.O_TRUNC, 0o644)
		if err != nil {
			return 0, "", fmt.Errorf("open: %v", err)
		}
		if _, err := syscall.Write(fd, buf); err != nil {
			syscall.Close(fd)
			return 0, "", fmt.Errorf("write: %v", err)
		}
		if err := syscall.Close(fd); err != nil {
			return 0, "", fmt.Errorf("close: %v", err)
		}
		if err := syscall.Unlink(path); err != nil {
			return 0, "", fmt.Errorf("unlink: %v", err)
		}
	}
	return perOp(time.Since(start), n), "us", nil
}

// fileRead writes an n MiB file (untimed), then reads it with 64 KiB
// reads: what the kernel's file cache delivers to a process.
func fileRead(n int) (float64, string, error) {
	path := filepath.Join(*dir, "procbench-big")
	f, err := os.Create(path)
	if err != nil {
		return 0, "", err
	}
	defer os.Remove(path)
	buf := make([]byte, 64<<10)
	for i := range buf {
		buf[i] = byte(i)
	}
	for i := 0; i < n*16; i++ {
		if _, err := f.Write(buf); err != nil {
			f.Close()
			return 0, "", err
		}
	}
	if err := f.Close(); err != nil {
		return 0, "", err
	}
	f, err = os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	start := time.Now()
	total := 0
	for {
		m, err := f.Read(buf)
		total += m
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, "", err
		}
	}
	took := time.Since(start)
	if total != n<<20 {
		return 0, "", fmt.Errorf("read %d bytes of %d", total, n<<20)
	}
	return float64(total) / 1e6 / took.Seconds(), "MB/s", nil
}
