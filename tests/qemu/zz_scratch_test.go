package qemu

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"scone/tools/runqemu"
)

func TestScratchHttpd(t *testing.T) {
	port, _ := runqemu.FreePort()
	c := runqemu.Config{Root: repoRoot(t), NIC: "e1000", Port: port, Disk: filepath.Join(repoRoot(t), "build/fs.img")}
	s, err := runqemu.Start(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Kill)
	if err := s.ExpectString("$ ", 3*time.Minute); err != nil {
		t.Fatalf("no prompt: %v\n%s", err, s.Transcript())
	}
	s.Send("httpd &\r")
	if _, err := s.Expect(regexp.MustCompile(`httpd: serving|rror|panic`), 60*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, s.Transcript())
	}
	out, err := exec.Command("curl", "-sS", "--max-time", "20", "--retry", "3", "--retry-connrefused", fmt.Sprintf("http://localhost:%d/", port)).CombinedOutput()
	t.Logf("curl: %v\n%s", err, out)
	s.Send("netstat\r")
	time.Sleep(5 * time.Second)
	t.Logf("%s", s.Transcript())
}
