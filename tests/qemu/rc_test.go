package qemu

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"scone/tools/runqemu"
)

// TestRC boots an image whose /etc/rc starts httpd, as `make bench-qemu`
// does: init runs the script before the shell, httpd serves the host with
// nobody typing, the shell comes up after, and httpd (in the script's own
// session, without the console as its terminal) lives on across a ^C
// typed at the shell and the shell's restart.
func TestRC(t *testing.T) {
	img := userImageWith(t, func(stage string) {
		rc := "echo rc: starting httpd\nhttpd -q &\n"
		if err := os.WriteFile(filepath.Join(stage, "etc/rc"), []byte(rc), 0o644); err != nil {
			t.Fatal(err)
		}
	})
	s := bootConfig(t, runqemu.Config{Disk: img})
	if err := s.ExpectString("rc: starting httpd", bootTimeout); err != nil {
		t.Fatal(err)
	}
	// The script returns as soon as httpd is started: the shell's prompt
	// and httpd's first line come in either order.
	expect(t, s, `(?s)\$ .*httpd: serving /www on|httpd: serving /www on.*\$ `, bootTimeout)
	index, err := os.ReadFile(filepath.Join(repoRoot(t), "root/www/index.html"))
	if err != nil {
		t.Fatal(err)
	}
	get := func(when string) {
		t.Helper()
		out, err := exec.Command("curl", "-sS", "--max-time", "20", "--retry", "5", "--retry-connrefused",
			fmt.Sprintf("http://localhost:%d/", s.Config.Port)).Output()
		if err != nil || !bytes.Equal(out, index) {
			t.Fatalf("%s: curl %q, %v\n%s", when, out, err, s.Transcript())
		}
	}
	get("after boot")
	// ^C at the prompt goes to the shell's foreground group only; exit
	// makes init start a new shell on the console.
	typeLine(t, s, "\x03", `\$ `, commandTimeout)
	typeLine(t, s, "exit", `init: sh exited \(exit status 0\); restarting`, commandTimeout)
	if err := s.ExpectString(shellPrompt, bootTimeout); err != nil {
		t.Fatal(err)
	}
	get("after ^C and a new shell")
}
