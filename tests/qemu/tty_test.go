package qemu

import (
	"path/filepath"
	"testing"
	"time"

	"scone/tools/runqemu"
)

// TestTTY boots a kernel whose /bin/init is testdata/ttyinit and types at
// it through the serial port: line editing (DEL, ^U), the echo it sees,
// ^D as end of file, ^C as SIGINT to the foreground group after
// TIOCSCTTY, and raw bytes after TCSETS. ttyinit exits 42 when every step
// behaved, and init's status ends QEMU.
func TestTTY(t *testing.T) {
	root := repoRoot(t)
	kernel := procKernel(t, "./tests/qemu/testdata/ttyinit")
	port, err := runqemu.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	s, err := runqemu.Start(runqemu.Config{Root: root, Kernel: kernel, Port: port,
		Pcap: filepath.Join(t.TempDir(), "packets.pcap"), KArgs: "ip=10.0.2.15/24,10.0.2.2"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Kill)
	steps := []struct{ wait, send string }{
		{"line> ", "helx\x7flo\r"},
		{"helx\b \blo\r\n", "wor\x15world\r"}, // the echo of the first line, with its rubout
		{"wor\b \b\b \b\b \bworld\r\n", ""},   // ^U erased the three characters
		{"lines ok", ""},
		{"eof> ", "\x04"},
		{"eof ok", ""},
		{"intr> ", "\x03"},
		{"^C", ""},
		{"sigint ok", ""},
		{"raw> ", "a\x7f\r"},
		{"raw ok", ""},
	}
	for _, st := range steps {
		if err := s.ExpectString(st.wait, 60*time.Second); err != nil {
			t.Fatalf("waiting for %q: %v\n%s", st.wait, err, s.Transcript())
		}
		if st.send != "" {
			if err := s.Send(st.send); err != nil {
				t.Fatal(err)
			}
		}
	}
	wantExit(t, s, 42)
}
