package selftest

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// TestAll runs every self-test on the host: a test that fails here is
// wrong, not the kernel. enosys is the exception: it asks the host's own
// kernel for a system call that does not exist, which under a sandbox
// such as gVisor raises SIGILL or SIGSYS instead of failing with ENOSYS.
func TestAll(t *testing.T) {
	for _, tt := range All {
		t.Run(tt.Name, func(t *testing.T) {
			if tt.Name == "enosys" {
				t.Skip("only in the kernel: the host answers unknown system calls its own way")
			}
			if err := runOne(tt); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestRunReports(t *testing.T) {
	tests := []Test{
		{"good", func() error { return nil }},
		{"bad", func() error { return errors.New("broken") }},
		{"boom", func() error { panic("kaboom") }},
	}
	var out strings.Builder
	passed, failed := Run(&out, tests)
	if passed != 1 || failed != 2 {
		t.Errorf("Run = %d passed, %d failed; want 1, 2", passed, failed)
	}
	for _, re := range []string{
		`(?m)^selftest: good +ok \(`,
		`(?m)^selftest: bad +FAIL \(.*\): broken$`,
		`(?m)^selftest: boom +FAIL \(.*\): panic: kaboom$`,
		`selftest: 1 passed, 2 failed\n$`,
	} {
		if !regexp.MustCompile(re).MatchString(out.String()) {
			t.Errorf("output lacks %s:\n%s", re, out.String())
		}
	}
}

// TestChecksCatch proves the checks can fail: each broken input must be
// reported.
func TestChecksCatch(t *testing.T) {
	b := make([]byte, 4096)
	fillPattern(b, 3)
	if checkPattern(b, 3) != -1 {
		t.Error("a fresh pattern does not check")
	}
	b[1000] ^= 1
	if off := checkPattern(b, 3); off != 1000/8*8 {
		t.Errorf("corruption at 1000 reported at %d", off)
	}
	if checkPattern(b, zeroSeed) == -1 {
		t.Error("a filled buffer passes as zeros")
	}
	if err := expectPanic("nil", func() {}); err == nil {
		t.Error("expectPanic accepts no panic")
	}
	if err := expectPanic("nil", func() { panic("not a runtime error") }); err == nil {
		t.Error("expectPanic accepts a plain panic")
	}
}

func TestSelect(t *testing.T) {
	tests := []struct {
		arg  string
		n    int
		fail bool
	}{
		{"selftest", len(All), false},
		{"selftest:ring,map", 2, false},
		{"selftest:nosuch", 0, true},
		{"other", 0, true},
	}
	for _, tt := range tests {
		got, err := Select(tt.arg)
		if (err != nil) != tt.fail || len(got) != tt.n {
			t.Errorf("Select(%q) = %d tests, %v", tt.arg, len(got), err)
		}
	}
	var out strings.Builder
	defer func(was bool) { inKernel = was }(inKernel) // Main sets it
	if Main(&out, "selftest:nosuch") == 0 {
		t.Error("Main with a bad argument returns 0")
	}
}
