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

// TestSyscallFuzz boots with KARGS=syscallfuzz for 100,000 calls: the
// kernel must neither panic nor hang, and must give the memory back.
func TestSyscallFuzz(t *testing.T) {
	s := bootConfig(t, runqemu.Config{Disk: userImage(t), KArgs: "syscallfuzz FUZZCALLS=100000"})
	if _, err := s.Expect(regexp.MustCompile(`syscallfuzz: (ok|FAIL.*)`), 20*time.Minute); err != nil {
		t.Fatalf("%v\n%s", err, s.Transcript())
	}
	wantExit(t, s, 0)
}
