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

// TestRC checks the start-up script: it runs with sh before the first
// shell, what it starts in the background lives on, and a failing or
// missing script is reported (or not) and the shell starts all the same.
func TestRC(t *testing.T) {
	for _, tc := range []struct {
		name, rc string // rc "" means no file
		wantLog  string
		wantOut  string
	}{
		{"ok", "echo rc >>LOG\n(sleep 0.3; echo background >>LOG) &\n", "rc\nshell\nbackground\n", ""},
		{"fails", "echo rc >>LOG\nexit 3\n", "rc\nshell\n", "rc: exit status 3"},
		{"missing", "", "shell\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			bin := buildInit(t, dir)
			log := filepath.Join(dir, "log")
			// The shell: with an argument it is a script's sh (the host's);
			// without, init's login shell, which logs and stays.
			script(t, dir, "sh", `if [ $# -gt 0 ]; then exec /bin/sh "$@"; fi
echo shell >>`+log+`
exec sleep 10
`)
			rc := filepath.Join(dir, "rc")
			if tc.rc != "" {
				if err := os.WriteFile(rc, []byte(strings.ReplaceAll(tc.rc, "LOG", log)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command(bin)
			cmd.Env = []string{"PATH=" + dir + ":/bin:/usr/bin", "INITRC=" + rc}
			// A file, not a pipe: Wait would wait for the shell's sleep,
			// which holds the pipe after init is killed.
			out, err := os.Create(filepath.Join(dir, "out"))
			if err != nil {
				t.Fatal(err)
			}
			defer out.Close()
			cmd.Stdout, cmd.Stderr = out, out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Wait()
			defer cmd.Process.Kill()
			deadline := time.Now().Add(10 * time.Second)
			var got string
			for time.Now().Before(deadline) {
				b, _ := os.ReadFile(log)
				if got = string(b); len(got) >= len(tc.wantLog) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if got != tc.wantLog {
				t.Errorf("log %q, want %q", got, tc.wantLog)
			}
			cmd.Process.Kill()
			cmd.Wait()
			said, _ := os.ReadFile(out.Name())
			if !strings.Contains(string(said), tc.wantOut) {
				t.Errorf("init said %q, want %q in it", said, tc.wantOut)
			}
		})
	}
}
