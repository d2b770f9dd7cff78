package main

import (
	"path/filepath"
	"testing"
	"time"
)

// TestRun runs the benchmark at a tiny scale, committing at once and
// with a commit interval: every phase must work.
func TestRun(t *testing.T) {
	for _, commit := range []time.Duration{0, time.Second} {
		if err := run(filepath.Join(t.TempDir(), "fs.img"), 200, 100, 2, 4, true, commit); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDirBench runs the directory benchmark at a tiny scale.
func TestDirBench(t *testing.T) {
	if err := dirBench([]int{300}, 400); err != nil {
		t.Fatal(err)
	}
}
