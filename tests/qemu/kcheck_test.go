package qemu

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"scone/tools/runqemu"
)

// TestKernelContext runs tools/kcheck on the built kernel: no function
// the machine layer marks nosplit may reach the allocator, stack growth,
// a write barrier or a Go lock.
func TestKernelContext(t *testing.T) {
	root := repoRoot(t)
	if err := (runqemu.Config{Root: root}).CheckImages(); err != nil {
		t.Fatalf("%v\nkcheck needs the kernel image: run `make build` (make test does)", err)
	}
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "run", "./tools/kcheck",
		"-pkg", "scone/kernel/machine", "-dir", "kernel/machine", runqemu.DefaultKernel)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("kcheck: %v", err)
	}
}
