package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var shBin string

// TestMain builds the shell once for the end-to-end tests.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sh-test")
	if err != nil {
		panic(err)
	}
	shBin = filepath.Join(dir, "sh")
	if out, err := exec.Command("go", "build", "-o", shBin, ".").CombinedOutput(); err != nil {
		panic(string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// scripts are run by our shell and by the host's /bin/sh (dash or bash)
// in an empty temporary directory; outputs and exit statuses must agree.
var scripts = []struct{ name, src string }{
	{"pipeline", "echo hello | cat | tr a-z A-Z\nprintf 'b\\na\\nc\\n' | sort | head -n 2\n"},
	{"redirect", "echo one >f\necho two >>f\ncat <f\nwc -l <f >g\ncat g\nls nosuch 2>err >/dev/null; test -s err && echo err-written\n"},
	{"dup", "ls nosuch >out 2>&1\ntest -s out && echo both-in-out\necho x 1>&2 2>/dev/null\n"},
	{"lists", "true && echo and1\nfalse && echo and2\nfalse || echo or1\ntrue || echo or2\nfalse; echo $?\ntrue && false || echo chain $?\n"},
	{"quoting", "X='a  b'\necho $X \"$X\" '$X' \\$X\nprintf '%s\\n' \"tab\\\\t\" 'q\"q' \"s'q\"\necho a\\\nb\n"},
	{"vars", "A=1; B=${A}2\necho $A $B ${B}3 $NONE end\nexport C=exp\nsh -c 'echo child sees $C, not $A'\nD=only sh -c 'echo $D'\necho after $D.\n"},
	{"status", "sh -c 'exit 7'\necho $?\nnosuch-cmd 2>/dev/null\necho $?\n./f 2>/dev/null\necho $?\n"},
	{"background", "sleep 0.1 && echo bg-done &\nsleep 0.05 & wait\necho waited\n"},
	{"cd", "mkdir -p d/e\ncd d/e\npwd | sed 's,.*/,,'\ncd ..\npwd | sed 's,.*/,,'\ncd nosuch 2>/dev/null || echo cd-failed\n"},
	{"glob", "touch b.txt a.txt c.log\necho *.txt\necho '*'.txt\necho z*\n"},
	{"exit", "echo before\nexit 5\necho after\n"},
}

func TestScriptsMatchHost(t *testing.T) {
	for _, tc := range scripts {
		t.Run(tc.name, func(t *testing.T) {
			ours, ourStatus := runScript(t, shBin, tc.src)
			host, hostStatus := runScript(t, "/bin/sh", tc.src)
			if ours != host || ourStatus != hostStatus {
				t.Errorf("script:\n%s\nours (status %d):\n%s\nhost sh (status %d):\n%s", tc.src, ourStatus, ours, hostStatus, host)
			}
		})
	}
}

// runScript runs src as a file (sh FILE) in a fresh directory with PATH
// holding the shell under test as "sh".
func runScript(t *testing.T, sh, src string) (string, int) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	os.Mkdir(bin, 0o755)
	os.Symlink(sh, filepath.Join(bin, "sh"))
	work := filepath.Join(dir, "work")
	os.Mkdir(work, 0o755)
	script := filepath.Join(dir, "script")
	os.WriteFile(script, []byte(src), 0o644)
	cmd := exec.Command(sh, script)
	cmd.Dir = work
	cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin", "HOME=" + dir}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s %s: no exit within 20 s", sh, script)
	}
	return out.String(), cmd.ProcessState.ExitCode()
}

// TestStdinAndDashC checks the other two ways to give the shell commands.
func TestStdinAndDashC(t *testing.T) {
	cmd := exec.Command(shBin)
	cmd.Stdin = strings.NewReader("echo from stdin\nexit 4\n")
	out, err := cmd.CombinedOutput()
	if string(out) != "from stdin\n" || cmd.ProcessState.ExitCode() != 4 {
		t.Errorf("stdin: %q, %v", out, err)
	}
	out, _ = exec.Command(shBin, "-c", `echo "$0 $1 $#"`, "name", "one", "two").CombinedOutput()
	if string(out) != "name one 2\n" {
		t.Errorf("sh -c: %q", out)
	}
	cmd = exec.Command(shBin, "-c", "echo 'open")
	out, _ = cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), "incomplete") {
		t.Errorf("sh -c with an open quote: status %d, %q", cmd.ProcessState.ExitCode(), out)
	}
}

// TestJobsBuiltin checks jobs, wait %N and $! in a script.
func TestJobsBuiltin(t *testing.T) {
	out, status := runScript(t, shBin, "sleep 0.3 &\np=$!\njobs\nwait %1\necho w=$?\nsh -c 'exit 3' &\nwait $!\necho w=$?\njobs\n")
	lines := strings.Split(out, "\n")
	if status != 0 || len(lines) != 4 || !strings.HasPrefix(lines[0], "[1] ") || !strings.Contains(lines[0], "Running\tsleep 0.3") ||
		lines[1] != "w=0" || lines[2] != "w=3" {
		t.Errorf("status %d, output:\n%s", status, out)
	}
}
