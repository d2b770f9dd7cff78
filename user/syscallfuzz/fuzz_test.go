package main

import (
	"encoding/binary"
	"errors"
	"math/rand"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestExclusions checks that the calls that would reach outside the child
// are never made, and that the host's list holds none of them.
func TestExclusions(t *testing.T) {
	for _, nr := range []uintptr{unix.SYS_KILL, unix.SYS_TGKILL, unix.SYS_REBOOT, unix.SYS_FORK, unix.SYS_CLONE,
		unix.SYS_EXECVE, unix.SYS_SETTIMEOFDAY, unix.SYS_SETHOSTNAME, unix.SYS_EXIT_GROUP} {
		if !excluded[nr] {
			t.Errorf("system call %d is not excluded", nr)
		}
	}
	for _, nr := range safeCalls {
		if excluded[nr] {
			t.Errorf("safe call %d is excluded", nr)
		}
		switch nr {
		case unix.SYS_UNLINKAT, unix.SYS_RENAMEAT2, unix.SYS_MUNMAP, unix.SYS_MPROTECT, unix.SYS_CLOSE, unix.SYS_FTRUNCATE:
			t.Errorf("call %d is not safe on a shared host", nr)
		}
	}
}

// TestHost runs the fuzzer on the host, where it keeps to the safe calls:
// this checks the harness (counting, restarts, the report).
func TestHost(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "syscallfuzz")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "-n", "50000", "-seed", "1").CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	m := regexp.MustCompile(`^syscallfuzz: (\d+) calls in (?s:.*)\nsyscallfuzz: ok\n$`).FindStringSubmatch(string(out))
	if m == nil || m[1] != "50000" {
		t.Errorf("report:\n%s", out)
	}
}

// TestInterrupter: a call that would block for ever (a read of an empty
// blocking pipe) ends with EINTR soon, as it must on Scone too.
func TestInterrupter(t *testing.T) {
	type result struct {
		err  error
		sent uint64
	}
	done := make(chan result, 1)
	go func() {
		in := startInterrupter()
		if in == nil {
			done <- result{err: errors.New("no interrupter")}
			return
		}
		var p [2]int
		if err := unix.Pipe(p[:]); err != nil {
			done <- result{err: err}
			return
		}
		defer unix.Close(p[0])
		defer unix.Close(p[1])
		in.begin(unix.SYS_READ, [6]uintptr{uintptr(p[0])})
		_, err := unix.Read(p[0], make([]byte, 1))
		in.end()
		done <- result{err, in.sent.Load()}
	}()
	select {
	case r := <-done:
		if r.err != unix.EINTR || r.sent == 0 {
			t.Errorf("blocked read: %v after %d signals, want EINTR", r.err, r.sent)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a blocked read was not interrupted in 10 s")
	}
}

// TestUnblockAlarm: SIGALRM leaves a signal set in the arena, and a
// pointer near the top of the address space (which wraps) is left alone.
func TestUnblockAlarm(t *testing.T) {
	a := newArena(rand.New(rand.NewSource(1)))
	for i := range a.buf {
		a.buf[i] = 0xff
	}
	base := uintptr(unsafe.Pointer(&a.buf[0]))
	for _, set := range []uintptr{base, base + 100, base + uintptr(len(a.buf)) - 8} {
		a.unblockAlarm(set)
		word := binary.LittleEndian.Uint64(a.buf[set-base:])
		if word&(1<<(unix.SIGALRM-1)) != 0 || word|1<<(unix.SIGALRM-1) != ^uint64(0) {
			t.Errorf("set at +%d: %#x", set-base, word)
		}
	}
	for _, set := range []uintptr{^uintptr(0), ^uintptr(0) - 4, base + uintptr(len(a.buf)) - 7, base - 1, 0} {
		a.unblockAlarm(set) // must not panic
	}
}

// TestFirstAbove: a hole below an open descriptor does not lower the
// fuzzed range onto it.
func TestFirstAbove(t *testing.T) {
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[1])
	unix.Close(p[0]) // a hole below p[1]
	if low := firstAbove(3, 200); low <= p[1] {
		t.Errorf("firstAbove = %d with descriptor %d open", low, p[1])
	}
}
