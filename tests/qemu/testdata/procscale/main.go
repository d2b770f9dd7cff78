// Command procscale is /bin/init for tests/qemu's TestProcScale: it starts
// N processes that stay runnable at once (each a tiny static ELF that
// calls sched_yield in a loop), checks they all live while a system call
// of its own still answers promptly, kills and reaps them, then forks
// until the process limit says EAGAIN.  It prints what it measured and
// exits 42 when every check passed.
package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

func main() {
	n := 1000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	if err := os.WriteFile("/bin/spin", spinELF(), 0o755); err != nil {
		fail(10, "write /bin/spin: %v", err)
	}
	start := time.Now()
	var pids []int
	worst := time.Duration(0)
	for i := 0; i < n; i++ {
		pid, err := syscall.ForkExec("/bin/spin", []string{"spin"}, &syscall.ProcAttr{})
		if err != nil {
			fail(11, "start %d: %v", i, err)
		}
		pids = append(pids, pid)
		if i%100 == 99 {
			// The answer time of a system call while i+1 others run.
			t := time.Now()
			syscall.Getppid()
			time.Sleep(time.Millisecond)
			d := time.Since(t)
			worst = max(worst, d)
			fmt.Printf("procscale: %d running, a 1 ms sleep took %v\n", i+1, d.Round(time.Millisecond))
		}
	}
	fmt.Printf("procscale: started %d in %v; worst 1 ms sleep %v\n", n, time.Since(start).Round(time.Millisecond), worst.Round(time.Millisecond))
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); err != nil {
			fail(12, "process %d is gone: %v", pid, err)
		}
	}
	start = time.Now()
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	for _, pid := range pids {
		var ws syscall.WaitStatus
		if got, err := syscall.Wait4(pid, &ws, 0, nil); err != nil || got != pid || ws.Signal() != syscall.SIGKILL {
			fail(13, "wait %d: %d %v %v", pid, got, err, ws)
		}
	}
	fmt.Printf("procscale: killed and reaped %d in %v\n", n, time.Since(start).Round(time.Millisecond))
	// A fork bomb meets the process limit.
	var bomb []int
	for {
		pid, err := syscall.ForkExec("/bin/spin", []string{"spin"}, &syscall.ProcAttr{})
		if err == syscall.EAGAIN {
			break
		}
		if err != nil {
			fail(14, "fork bomb: %v after %d", err, len(bomb))
		}
		bomb = append(bomb, pid)
		if len(bomb) > 100000 {
			fail(15, "no process limit after %d", len(bomb))
		}
	}
	t := time.Now()
	syscall.Getppid()
	fmt.Printf("procscale: the fork bomb met EAGAIN after %d processes; a system call then took %v\n", len(bomb), time.Since(t))
	for _, pid := range bomb {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	for range bomb {
		syscall.Wait4(-1, nil, 0, nil)
	}
	fmt.Println("procscale: ok")
	os.Exit(42)
}

func fail(code int, format string, args ...any) {
	fmt.Printf("procscale: FAIL: "+format+"\n", args...)
	os.Exit(code)
}

// spinELF returns a static x86-64 executable whose code calls
// sched_yield forever: one PT_LOAD of headers and code at 0x400000.
func spinELF() []byte {
	code := []byte{
		0xb8, 24, 0, 0, 0, // mov $24, %eax: sched_yield
		0x0f, 0x05, // syscall
		0xeb, 0xf7, // jmp back
	}
	const base, hdr = 0x400000, 64 + 56
	b := make([]byte, hdr+len(code))
	le := binary.LittleEndian
	copy(b, []byte{0x7f, 'E', 'L', 'F', 2, 1, 1})
	le.PutUint16(b[16:], 2)  // ET_EXEC
	le.PutUint16(b[18:], 62) // EM_X86_64
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[24:], base+hdr) // entry
	le.PutUint64(b[32:], 64)       // phoff
	le.PutUint16(b[52:], 64)       // ehsize
	le.PutUint16(b[54:], 56)       // phentsize
	le.PutUint16(b[56:], 1)        // phnum
	p := b[64:]
	le.PutUint32(p[0:], 1) // PT_LOAD
	le.PutUint32(p[4:], 5) // R+X
	le.PutUint64(p[16:], base)
	le.PutUint64(p[24:], base)
	le.PutUint64(p[32:], uint64(len(b)))
	le.PutUint64(p[40:], uint64(len(b)))
	le.PutUint64(p[48:], 4096)
	copy(b[hdr:], code)
	return b
}
