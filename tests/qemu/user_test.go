package qemu

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"scone/tools/runqemu"
)

// shPrompt is the shell's prompt at the start of a line.
var shPrompt = regexp.MustCompile(`(?m)^\$ `)

// netUp is the kernel's line for the interface's address (by DHCP, or
// static).
var netUp = regexp.MustCompile(`net: eth0 \S+`)

// waitShell waits for the shell's first prompt and for the network's
// address line. init starts while DHCP is still going (kernel/start), so
// the two come in either order; typing only after both means a command
// has the network, and its output is not cut by the lease line.
func waitShell(t *testing.T, s *runqemu.Session) {
	t.Helper()
	if _, err := s.ExpectAll(bootTimeout, shPrompt, netUp); err != nil {
		t.Fatalf("no shell prompt and network: %v", err)
	}
}

// userImage makes a root image for one test, as `make rootfs` does: the
// user programs `make build` put in build/root, root/'s files and /tmp.
func userImage(t *testing.T) string {
	t.Helper()
	return userImageWith(t, nil)
}

// userImageWith is userImage with add run on the staged tree before the
// image is made, to put more files in it.
func userImageWith(t *testing.T, add func(stage string)) string {
	t.Helper()
	root := repoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "build/root/bin/init")); err != nil {
		t.Fatalf("no build/root/bin/init: run `make build` (make test does): %v", err)
	}
	stage := filepath.Join(t.TempDir(), "root")
	img := filepath.Join(t.TempDir(), "fs.img")
	for _, c := range [][]string{
		{"cp", "-a", filepath.Join(root, "build/root"), stage},
		{"cp", "-a", filepath.Join(root, "root") + "/.", stage},
		{"install", "-d", "-m", "1777", filepath.Join(stage, "tmp")},
		{"go", "run", "./tools/mkfs", "-o", img, "-size", "128M", stage},
	} {
		if c[0] == "go" && add != nil {
			add(stage)
		}
		cmd := exec.Command(c[0], c[1:]...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", c, err, out)
		}
	}
	return img
}

// shell types line at the shell's prompt, as a person would, and returns
// what it printed up to the next prompt.
func shell(t *testing.T, s *runqemu.Session, line string, timeout time.Duration) string {
	t.Helper()
	if err := s.Send(line + "\r"); err != nil {
		t.Fatal(err)
	}
	out := expect(t, s, `(?s)`+regexp.QuoteMeta(line)+`\r?\n.*?(?m:^)\$ `, timeout)
	out = out[strings.Index(out, "\n")+1:] // drop the echoed line
	return strings.ReplaceAll(strings.TrimSuffix(out, "$ "), "\r\n", "\n")
}

// TestShell boots to the shell on the root disk and uses it as a person
// would: a pipeline, ls -l /, ps, a C program, ^C of a foreground job,
// and halt, which ends QEMU with status 0.
func TestShell(t *testing.T) {
	s := bootConfig(t, runqemu.Config{Disk: userImage(t)})
	waitShell(t, s)
	check := func(line, want string) string {
		t.Helper()
		out := shell(t, s, line, commandTimeout)
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("%s: output %q does not match %q", line, out, want)
		}
		return out
	}
	check("echo hello | cat", `^hello\n$`)
	check("ls -l /", `(?m)^drwx\S+ +\d+ root +root +\d+ \w{3} [ \d]\d [ :\d]{5} bin\n`)
	check("ps", `(?s)^  PID  PPID S     TIME CMD\n +1 +0 S [\d:]+ /bin/init\n.*-sh\n.* ps\n$`)
	check("echo one > /tmp/f; echo two >> /tmp/f; wc -l < /tmp/f && cat /tmp/f | grep tw", `^2\ntwo\n$`)
	check("nosuch; echo status $?", `sh: nosuch: not found\nstatus 127\n`)
	check("c-hello a", `hello from musl C\nargv\[1\] = a\n`)
	check("echo via c | c-cat", `^via c\n$`)
	check("c-threads", `threads: ok \(8 threads, counter 80000\)`)
	check("c-execthread", `(?m)^execthread: ok$`) // exec from a non-leader thread takes the pid as tid
	// ^C ends the foreground job, not the shell.  The job's own "ready"
	// proves it owns the terminal (the child takes it before exec), so
	// exactly one ^C must end it; no ^C reaches the shell.  (A ^C typed
	// before the shell read the line flushes it, and repeated ^Cs, one of
	// which hit the shell as the job ended, lost "status 130" under load.)
	if err := s.Send("sh -c 'echo ready; sleep 60'; echo status $?\r"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Expect(regexp.MustCompile(`(?m)^ready`), commandTimeout); err != nil {
		t.Fatalf("job did not start: %v\n%s", err, s.Transcript())
	}
	if err := s.Send("\x03"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Expect(regexp.MustCompile(`status 130`), commandTimeout); err != nil {
		t.Fatalf("^C did not end the job: %v\n%s", err, s.Transcript())
	}
	if _, err := s.Expect(shPrompt, commandTimeout); err != nil {
		t.Fatalf("no prompt after ^C: %v", err)
	}
	check("echo alive", `^alive\n$`)
	if err := s.Send("halt\r"); err != nil {
		t.Fatal(err)
	}
	wantExit(t, s, 0)
}

// TestUsertests boots with KARGS=usertests: init runs usertests and
// powers off (status 0) only if all passed, the final check of free
// memory included.  About 70 s on an idle machine.
func TestUsertests(t *testing.T) {
	s := bootConfig(t, runqemu.Config{Disk: userImage(t), KArgs: "usertests"})
	summary := regexp.MustCompile(`usertests: \d+ passed, \d+ failed`)
	m, err := s.Expect(regexp.MustCompile(`available memory after all tests: .*KiB\)|`+summary.String()), 15*time.Minute)
	if err != nil {
		t.Fatalf("%v\n%s", err, s.Transcript())
	}
	if !summary.MatchString(m) {
		t.Log(m) // the final check's figures, pass or fail
		if m, err = s.Expect(summary, time.Minute); err != nil {
			t.Fatalf("%v\n%s", err, s.Transcript())
		}
	}
	if !regexp.MustCompile(` 0 failed$`).MatchString(m) {
		t.Errorf("%s\n%s", m, s.Output())
	}
	wantExit(t, s, 0)
}

// TestCSignals runs the musl program that checks the signal frame.
func TestCSignals(t *testing.T) {
	s := bootConfig(t, runqemu.Config{Disk: userImage(t)})
	waitShell(t, s)
	if out := shell(t, s, "c-signals", commandTimeout); !regexp.MustCompile(`(?m)^signals: ok$`).MatchString(out) {
		t.Errorf("c-signals:\n%s", out)
	}
	if err := s.Send("halt\r"); err != nil {
		t.Fatal(err)
	}
	wantExit(t, s, 0)
}

// TestSyscallFuzz boots with KARGS="syscallfuzz FUZZCALLS=100000": the
// kernel must neither panic nor hang, must give the memory back, and
// must have passed FUZZCALLS on to init (the fuzzer's own default is
// 10,000 calls).
func TestSyscallFuzz(t *testing.T) {
	s := bootConfig(t, runqemu.Config{Disk: userImage(t), KArgs: "syscallfuzz FUZZCALLS=100000"})
	m, err := s.Expect(regexp.MustCompile(`syscallfuzz: (\d+) calls in .* interrupted`), 15*time.Minute)
	if err != nil {
		t.Fatalf("%v\n%s", err, s.Transcript())
	}
	t.Log(m)
	if n, _ := strconv.Atoi(regexp.MustCompile(`\d+`).FindString(m)); n < 100000 {
		t.Errorf("%d calls, want 100000", n)
	}
	if _, err := s.Expect(regexp.MustCompile(`syscallfuzz: (ok|FAIL.*)`), 5*time.Minute); err != nil {
		t.Fatalf("%v\n%s", err, s.Transcript())
	}
	wantExit(t, s, 0)
}
