package qemu

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"scone/tools/runqemu"
)

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

// bootProc boots a proctest kernel with the user program pkg as /bin/init
// and the kernel arguments kargs.
func bootProc(t *testing.T, pkg, kargs string) *runqemu.Session {
	t.Helper()
	kernel := procKernel(t, pkg)
	port, err := runqemu.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	s, err := runqemu.Start(runqemu.Config{Root: repoRoot(t), Kernel: kernel, Port: port,
		Pcap: filepath.Join(t.TempDir(), "packets.pcap"), KArgs: "ip=10.0.2.15/24,10.0.2.2 " + kargs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Kill)
	return s
}

// TestProcHello runs testdata/prochello as init: goroutines on several
// threads with timers, a 64 MiB heap through the collector, os/signal and
// a nil dereference recovered, fork + execve + wait4 with the child's
// status, SIGSTOP, SIGCONT and SIGKILL of a child spinning in ring 3,
// ENOENT for a missing program.  It exits 42 when every check passed,
// and init's status ends QEMU.
func TestProcHello(t *testing.T) {
	s := bootProc(t, "./tests/qemu/testdata/prochello", "")
	if err := s.ExpectString("init exited with status 42", 120*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, s.Transcript())
	}
	wantExit(t, s, 42)
}

// TestProcScale runs testdata/procscale as init with 100 processes that
// stay runnable at once, then a fork bomb that must meet the process
// limit (about 1,000 runnable processes) while the kernel still answers.
// `make scale-proc` runs it with 1,000.
func TestProcScale(t *testing.T) {
	n := os.Getenv("SCALE_PROCS")
	if n == "" {
		n = "100"
	}
	s := bootProc(t, "./tests/qemu/testdata/procscale", n)
	if err := s.ExpectString("init exited with status 42", 10*time.Minute); err != nil {
		t.Fatalf("%v\n%s", err, s.Transcript())
	}
	wantExit(t, s, 42)
	t.Logf("\n%s", s.Output())
}
