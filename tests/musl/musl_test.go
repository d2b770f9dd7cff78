// Package musl builds the static musl C programs in user/c with musl-gcc
// (Debian's musl-tools) and runs them on the host: programs nobody here
// wrote against the Linux ABI, to run unchanged in Scone.
package musl

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// build compiles user/c/NAME.c into a temporary directory.
func build(t *testing.T, name string) string {
	t.Helper()
	cc, err := exec.LookPath("musl-gcc")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("musl-gcc is missing (make deps installs musl-tools)")
		}
		t.Skip("musl-gcc is missing (make deps installs musl-tools)")
	}
	bin := filepath.Join(t.TempDir(), "c-"+name)
	out, err := exec.Command(cc, "-static", "-O2", "-Wall", "-Werror", "-o", bin, "../../user/c/"+name+".c", "-lpthread").CombinedOutput()
	if err != nil {
		t.Fatalf("musl-gcc %s.c: %v\n%s", name, err, out)
	}
	return bin
}

func TestPrograms(t *testing.T) {
	for _, tc := range []struct {
		name, stdin string
		args        []string
		want        []string // lines the output must hold
	}{
		{"hello", "", []string{"one", "two words"}, []string{"hello from musl C", "argv[1] = one", "argv[2] = two words", "PATH=/bin"}},
		{"cat", "from stdin\n", nil, []string{"from stdin"}},
		{"cat", "", []string{"../../user/c/hello.c"}, []string{"#include <stdio.h>"}},
		{"threads", "", nil, []string{"threads: ok (8 threads, counter 80000)"}},
		{"execthread", "", nil, []string{"execthread: ok"}},
		{"signals", "", nil, []string{"mcontext offsets: rip 128 err 152 trapno 160 oldmask 168 cr2 176 fpregs 184", "trapno 14 err 0x6 cr2 0x1000", "signals: ok"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(build(t, tc.name), tc.args...)
			cmd.Env = []string{"PATH=/bin"}
			cmd.Stdin = strings.NewReader(tc.stdin)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w+"\n") {
					t.Errorf("no line %q in\n%s", w, out)
				}
			}
		})
	}
	cmd := exec.Command(build(t, "cat"), "/nonexistent")
	out, _ := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 1 || !strings.Contains(string(out), "No such file or directory") {
		t.Errorf("cat of a missing file: status %d, %q", cmd.ProcessState.ExitCode(), out)
	}
}
