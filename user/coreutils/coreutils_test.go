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

var bin string // the built tool links, one directory

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "coreutils-test")
	if err != nil {
		panic(err)
	}
	if out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "coreutils"), ".").CombinedOutput(); err != nil {
		panic(string(out))
	}
	for name := range tools {
		if err := os.Link(filepath.Join(dir, "coreutils"), filepath.Join(dir, name)); err != nil {
			panic(err)
		}
	}
	bin = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// fixture makes a directory of sample files, all with one fixed mtime
// (an old one, so ls prints the year).
func fixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"a.txt":      "alpha\nbeta\ngamma\ndelta\n",
		"b.txt":      "one two  three\n\tfour\nfive",
		"lines":      strings.Repeat("line\n", 30),
		".hidden":    "h\n",
		"sub/c.txt":  "Gamma ray\ngamma+beta\n(x)\n",
		"bin.dat":    "\x00\x01\x02hello world, this is binary\xff\xfe" + strings.Repeat("\x00", 64) + "end",
		"empty":      "",
		"sub/deeper": "d\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Symlink("a.txt", filepath.Join(dir, "link"))
	old := time.Date(2020, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, p := range []string{"a.txt", "b.txt", "lines", ".hidden", "sub/c.txt", "bin.dat", "empty", "sub/deeper", "sub", "."} {
		os.Chtimes(filepath.Join(dir, p), old, old)
	}
	return dir
}

// run runs a command line with sh -c in dir, with PATH leading to path.
func run(t *testing.T, path, dir, cmdline string) (string, int) {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", cmdline)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + path, "TZ=UTC", "LC_ALL=C"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Run()
	return out.String(), cmd.ProcessState.ExitCode()
}

// TestMatchesHost runs each command line with our tools and with the
// host's (GNU coreutils, grep, util-linux hexdump) and wants the same
// output and status.
func TestMatchesHost(t *testing.T) {
	for _, cl := range []string{
		"cat a.txt b.txt", "cat < a.txt", "cat nosuch a.txt",
		"echo a  b c", "echo -n x; echo y", `echo -e 'a\tb\nc\0101'`, "echo -e 'x\\cy'", "echo -", "echo -x",
		"wc a.txt", "wc -l a.txt", "wc a.txt b.txt empty", "wc -w b.txt", "wc -c < b.txt", "cat a.txt | wc", "cat a.txt | wc -l",
		"head lines | wc -l", "head -n 2 a.txt", "head -n2 a.txt b.txt", "head -n 0 a.txt", "head nosuch",
		"tail -n 2 a.txt", "tail -n +3 a.txt", "tail b.txt", "tail -n 1 a.txt b.txt", "tail -n 3 lines",
		"grep amma a.txt", "grep -n a a.txt", "grep -v a a.txt", "grep -c a a.txt", "grep -i gamma a.txt sub/c.txt",
		"grep -l amma a.txt b.txt sub/c.txt", "grep 'a\\+b' sub/c.txt", "grep -E 'a+b|ray' sub/c.txt", "grep -F '(x)' sub/c.txt",
		"grep '(x)' sub/c.txt", "grep '^[bd]' a.txt", "grep nomatch a.txt", "grep x nosuch", "grep -q beta a.txt && echo yes",
		"hexdump -C bin.dat", "hexdump bin.dat", "hexdump -C empty", "hexdump -C < a.txt",
		"ls", "ls -a", "ls sub a.txt", "ls -l", "ls -ln sub", "ls -d sub", "ls nosuch", "ls -l link",
		"true; echo $?", "false; echo $?", "env -i A=1 B=2", "env -i A=1 env", "env -u PATH -i X=y",
		"sleep 0.1; echo slept", "kill -0 $$ && echo alive", "kill -s KILL 999999",
		"mkdir -p x/y/z && ls x/y", "mkdir sub", "rmdir sub", "rm sub", "rm -r sub && ls",
		"rm nosuch; echo $?", "rm -f nosuch; echo $?", "cp a.txt z && cat z", "cp -r sub s2 && ls s2",
		"cp sub s3", "mv a.txt sub && ls sub", "mv a.txt b.txt sub && ls . sub", "mv a.txt b.txt lines",
		"ln -s a.txt s && cat s", "ln a.txt h && ls -l h a.txt | wc -l", "touch new && ls new",
		"touch -c nope; ls nope", "uname", "uname -s -m",
	} {
		dir1, dir2 := fixture(t), fixture(t)
		ours, ourSt := run(t, bin, dir1, cl)
		host, hostSt := run(t, "/usr/bin:/bin", dir2, cl)
		// Error messages name the tool the same way; paths differ only in the temp dir.
		if ours != host || ourSt != hostSt {
			t.Errorf("%s\nours (status %d):\n%s\nhost (status %d):\n%s", cl, ourSt, ours, hostSt, host)
		}
	}
}

// TestSystemTools checks the tools whose output depends on the running
// system against the sources they read.
func TestSystemTools(t *testing.T) {
	dir := fixture(t)
	out, st := run(t, bin, dir, "ps")
	if st != 0 || !strings.HasPrefix(out, "  PID  PPID S     TIME CMD\n") || !strings.Contains(out, "ps\n") {
		t.Errorf("ps: status %d\n%s", st, out)
	}
	if !strings.Contains(out, "\n    1     0 ") {
		t.Errorf("ps does not list PID 1:\n%s", out)
	}
	meminfo, _ := os.ReadFile("/proc/meminfo")
	total := strings.Fields(strings.SplitN(string(meminfo), "\n", 2)[0])[1]
	out, st = run(t, bin, dir, "free")
	if f := strings.Fields(strings.Split(out, "\n")[1]); st != 0 || len(f) != 7 || f[0] != "Mem:" || f[1] != total {
		t.Errorf("free: status %d, MemTotal %s\n%s", st, total, out)
	}
	ours, _ := run(t, bin, dir, "df . | tail -n 1")
	host, _ := run(t, "/usr/bin:/bin", dir, "df . | tail -n 1")
	if f, g := strings.Fields(ours), strings.Fields(host); len(f) != 6 || len(g) != 6 || f[1] != g[1] || f[4] != g[4] {
		t.Errorf("df: ours %q, host %q", ours, host)
	}
	out, st = run(t, bin, dir, "stat a.txt; stat -L link | head -n 2")
	for _, want := range []string{"  File: a.txt\n", "  Size: 23 ", "regular file\n", "Access: (0644/-rw-r--r--)  Uid: (    0/    root)", "Modify: 2020-03-04 05:06:07.000000000 +0000", "  File: link\n"} {
		if st != 0 || !strings.Contains(out, want) {
			t.Errorf("stat: no %q in\n%s", want, out)
		}
	}
	if out, st = run(t, bin, dir, "date -u +%s"); st != 0 || strings.TrimSpace(out) < "1700000000" {
		t.Errorf("date +%%s: %q", out)
	}
}
