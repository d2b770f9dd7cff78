package qemu

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"scone/tools/runqemu"
)

// TestGDB is `make qemu-gdb` and `make gdb` in batch mode: QEMU waits
// for the debugger before the first instruction; gdb, given the kernel
// ELF and Go's runtime-gdb.py, attaches, stops at a Go function of the
// kernel, unwinds through Go frames to main.main, and lists goroutines.
func TestGDB(t *testing.T) {
	gdb, err := exec.LookPath("gdb")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("gdb is missing (make deps installs it)")
		}
		t.Skip("gdb is missing (make deps installs it)")
	}
	port, err := runqemu.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	s := bootConfig(t, runqemu.Config{GDB: port})
	// QEMU opens the stub's socket as it starts; wait for it, bounded.
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(bootTimeout); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("QEMU's gdb stub never listened on %s: %v\n%s", addr, err, s.Transcript())
		}
		time.Sleep(20 * time.Millisecond)
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The arguments of `make gdb`, and the commands one would type.
	cmd := exec.CommandContext(ctx, gdb, "-batch", "-nx",
		"-iex", "add-auto-load-safe-path "+filepath.Join(strings.TrimSpace(string(goroot)), "src/runtime"),
		"-ex", "target remote "+addr,
		"-ex", "break 'scone/kernel/start.Main'",
		"-ex", "continue",
		"-ex", "bt",
		"-ex", "info goroutines",
		filepath.Join(repoRoot(t), runqemu.DefaultKernel))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gdb: %v\n%s\n%s", err, out, s.Transcript())
	}
	for _, want := range []string{
		"Loading Go Runtime support.",             // runtime-gdb.py
		"Breakpoint 1, scone/kernel/start.Main (", // stopped at the Go function
		"#0  scone/kernel/start.Main (",           // bt: the frames
		" in main.main () at ",                    // unwound by Go's DWARF
		"* 1 running ", "waiting  runtime.gopark", // info goroutines
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("gdb's output lacks %q:\n%s", want, out)
		}
	}
}
