package main

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// TestTinyELF runs the hand-made ELF on this host's Linux: it must load
// and exit 0, or the fork+exec row would time a failure.
func TestTinyELF(t *testing.T) {
	*dir = t.TempDir()
	if _, _, err := forkExecTiny(3); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "exit")
	if err := writeExec(path); err != nil {
		t.Fatal(err)
	}
	if err := exec.Command(path).Run(); err != nil {
		t.Fatalf("tiny ELF: %v", err)
	}
}

// TestRows runs the rows that need no peer process a few times each and
// checks each gives a positive figure in its unit.
func TestRows(t *testing.T) {
	*dir = t.TempDir()
	for _, tc := range []struct {
		name string
		run  func(int) (float64, string, error)
		n    int
		unit string
	}{
		{"null-syscall", nullSyscall, 100, "us"},
		{"fork-exit-wait", forkExitWait, 5, "us"},
		{"file-create-write-unlink", fileChurn, 5, "us"},
		{"file-read", fileRead, 1, "MB/s"},
	} {
		v, unit, err := tc.run(tc.n)
		if err != nil || v <= 0 || unit != tc.unit {
			t.Errorf("%s: %v %s, %v; want a positive figure in %s", tc.name, v, unit, err, tc.unit)
		}
	}
}
