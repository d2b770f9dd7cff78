package qemu

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"scone/tools/runqemu"
)

// TestProcHello boots a kernel whose root file system is a RAM disk with
// testdata/prochello as /bin/init (go build -tags proctest), and checks
// that it ran to the end: goroutines on several threads with timers, a
// 64 MiB heap through the collector, fork, execve and wait4 of a child
// with its exit status, ENOENT for a missing program.  prochello exits
// 42 when every check passed, and init's status ends QEMU.
func TestProcHello(t *testing.T) {
	root := repoRoot(t)
	kernel := procKernel(t, "./tests/qemu/testdata/prochello")
	port, err := runqemu.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	s, err := runqemu.Start(runqemu.Config{Root: root, Kernel: kernel, Port: port,
		Pcap: filepath.Join(t.TempDir(), "packets.pcap"), KArgs: "ip=10.0.2.15/24,10.0.2.2"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Kill)
	if err := s.ExpectString("init exited with status 42", 60*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, s.Transcript())
	}
	wantExit(t, s, 42)
}

// procKernel builds a proctest kernel (go build -tags proctest) whose RAM
// root holds the program pkg as /bin/init, and returns its path.
func procKernel(t *testing.T, pkg string) string {
	t.Helper()
	root := repoRoot(t)
	dir := filepath.Join(root, "kernel/start/proctest/root")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin/init")
	kernel := filepath.Join(t.TempDir(), "kernel.elf")
	for _, c := range [][]string{
		{"go", "build", "-o", bin, pkg},
		{"go", "build", "-tags", "proctest", "-o", kernel, "-ldflags", "-E scone/kernel/machine.entry", "./kernel/cmd/scone"},
	} {
		cmd := exec.Command(c[0], c[1:]...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", c, err, out)
		}
	}
	return kernel
}
