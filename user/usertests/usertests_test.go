package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestOnHost runs every usertest on the host's Linux: that the tests pass
// there shows they test what Linux does.
func TestOnHost(t *testing.T) {
	dir := t.TempDir()
	// The fork bomb runs as nobody when we are root: it must reach the binary.
	for d := dir; d != filepath.Dir(d) && strings.HasPrefix(d, os.TempDir()+"/"); d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	bin := filepath.Join(dir, "usertests")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	last := lines[len(lines)-1]
	if err != nil || !strings.HasSuffix(last, " passed, 0 failed") || !strings.HasPrefix(last, "usertests: ") {
		t.Fatalf("usertests: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), " ok ("); n != len(tests) {
		t.Errorf("%d tests ok, want %d\n%s", n, len(tests), out)
	}
}
