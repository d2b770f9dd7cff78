//go:build userguest

package qemu

// The user-space test suites in the guest (make qemu-usertests).  They
// join make test once the kernel passes them: see docs/user.md.

import (
	"regexp"
	"testing"
	"time"

	"scone/tools/runqemu"
)

// TestUsertests boots with KARGS=usertests: init runs usertests and
// powers off (status 0) only if all passed.
func TestUsertests(t *testing.T) {
	s := bootConfig(t, runqemu.Config{Disk: userImage(t), KArgs: "usertests"})
	m, err := s.Expect(regexp.MustCompile(`usertests: \d+ passed, \d+ failed`), 40*time.Minute)
	if err != nil {
		t.Fatalf("%v\n%s", err, s.Transcript())
	}
	if !regexp.MustCompile(` 0 failed$`).MatchString(m) {
		t.Errorf("%s\n%s", m, s.Output())
	}
	wantExit(t, s, 0)
}

// TestSyscallFuzz boots with KARGS=syscallfuzz for 100,000 calls: the
// kernel must neither panic nor hang, and must give the memory back.
func TestSyscallFuzz(t *testing.T) {
	s := bootConfig(t, runqemu.Config{Disk: userImage(t), KArgs: "syscallfuzz FUZZCALLS=100000"})
	if _, err := s.Expect(regexp.MustCompile(`syscallfuzz: (ok|FAIL.*)`), 20*time.Minute); err != nil {
		t.Fatalf("%v\n%s", err, s.Transcript())
	}
	wantExit(t, s, 0)
}

// TestCSignals runs the musl program that checks the signal frame.
func TestCSignals(t *testing.T) {
	s := bootConfig(t, runqemu.Config{Disk: userImage(t)})
	if _, err := s.Expect(shPrompt, bootTimeout); err != nil {
		t.Fatalf("no shell prompt: %v\n%s", err, s.Transcript())
	}
	if out := shell(t, s, "c-signals", commandTimeout); !regexp.MustCompile(`(?m)^signals: ok$`).MatchString(out) {
		t.Errorf("c-signals:\n%s", out)
	}
}
