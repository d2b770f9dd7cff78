package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildInit builds this package into dir/init.
func buildInit(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "init")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// script writes an executable shell script dir/name.
func script(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestRunOnce runs init with "usertests" on its command line, the program
// found in PATH: init exits with the program's status (it powers off only
// as PID 1) after reaping the orphan the program leaves behind.
func TestRunOnce(t *testing.T) {
	for _, tc := range []struct {
		status int
		want   int
	}{{0, 0}, {3, 3}} {
		dir := t.TempDir()
		bin := buildInit(t, dir)
		script(t, dir, "usertests", "sleep 0.2 &\necho ran\nexit "+string(rune('0'+tc.status))+"\n")
		cmd := exec.Command(bin, "quiet", "usertests")
		cmd.Env = []string{"PATH=" + dir + ":/bin:/usr/bin"}
		out, err := cmd.CombinedOutput()
		got := 0
		if ee, ok := err.(*exec.ExitError); ok {
			got = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if got != tc.want || !strings.Contains(string(out), "ran\n") {
			t.Errorf("usertests exiting %d: init exit %d, output %q", tc.status, got, out)
		}
	}
}

// TestShellRestart checks that init restarts the shell each time it exits.
func TestShellRestart(t *testing.T) {
	dir := t.TempDir()
	bin := buildInit(t, dir)
	log := filepath.Join(dir, "log")
	script(t, dir, "sh", "echo started >>"+log+"\nexit 1\n")
	cmd := exec.Command(bin)
	cmd.Env = []string{"PATH=" + dir + ":/bin:/usr/bin"}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	// The second start comes a second after the first (the anti-spin delay).
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(log)
		if strings.Count(string(b), "\n") >= 2 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the shell was not restarted within 10 s")
}
