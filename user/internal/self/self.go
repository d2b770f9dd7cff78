// Package self tells a user program about itself and where it runs: its
// own path (to start copies of itself), whether it runs on a Linux host
// rather than Scone, and the machine's free memory.
package self

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
)

// Path is the running program's absolute path: os.Executable, or where
// there is no /proc/self/exe, argv[0] looked up in PATH as the shell did.
// Call it before changing directory.
func Path() string {
	if p, err := os.Executable(); err == nil && filepath.IsAbs(p) {
		return p
	}
	p, err := exec.LookPath(os.Args[0])
	if err != nil {
		return os.Args[0]
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// OnLinuxHost reports whether this is a Linux host rather than Scone
// (Scone has no sysfs), so that tests can spare a shared machine.
func OnLinuxHost() bool {
	_, err := os.Stat("/sys/kernel")
	return err == nil
}

// MemFree is MemFree from /proc/meminfo in KiB, or -1.
func MemFree() int64 { return Meminfo("MemFree") }

// MemAvailable is MemAvailable from /proc/meminfo in KiB, or -1: free
// memory plus what the kernel can reclaim (its caches), the figure to
// compare when asking whether memory came back.
func MemAvailable() int64 { return Meminfo("MemAvailable") }

// Settle makes the machine let go of the memory it can before a reading
// of MemAvailable that is to be compared with another: it syncs, on
// Scone drops the kernel's caches and collects its heap (writing 3 to
// /proc/sys/vm/drop_caches, as on Linux), and returns this program's own
// free heap.  Then two readings differ only by memory really held.  On a
// Linux host it drops nothing: a shared machine's caches are not a
// test's to empty.
func Settle() error {
	syscall.Sync()
	debug.FreeOSMemory()
	if OnLinuxHost() {
		return nil
	}
	f, err := os.OpenFile("/proc/sys/vm/drop_caches", os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("drop caches: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString("3\n"); err != nil {
		return fmt.Errorf("drop caches: %w", err)
	}
	return nil
}

// Meminfo is the named field of /proc/meminfo in KiB, or -1.
func Meminfo(field string) int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			if f := strings.Fields(v); len(f) > 0 {
				n, err := strconv.ParseInt(f[0], 10, 64)
				if err == nil {
					return n
				}
			}
		}
	}
	return -1
}
