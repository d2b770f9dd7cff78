package main

import (
	"path/filepath"
	"testing"
	"time"

	"scone/kernel/machine"
	"scone/tools/runqemu"
)

// These tests boot the kernel built by `make build` in QEMU, as the tests
// in tests/qemu do, for the two command-line words this package handles.

func TestBootWords(t *testing.T) {
	tests := []struct {
		word   string
		want   string // a line the kernel must print
		status int    // the kernel's exit status
	}{
		{"usertest", "usertest: 8 passed, 0 failed", 0},
		{"crashtest", "scone: fatal: trap inside the kernel", machine.FatalStatus},
	}
	for _, tt := range tests {
		t.Run(tt.word, func(t *testing.T) {
			port, err := runqemu.FreePort()
			if err != nil {
				t.Fatal(err)
			}
			c := runqemu.Config{Root: "../../..", Port: port, KArgs: tt.word,
				Pcap: filepath.Join(t.TempDir(), "packets.pcap")}
			if err := c.CheckImages(); err != nil {
				t.Fatalf("%v: run `make build` first (make test does)", err)
			}
			s, err := runqemu.Start(c)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Kill()
			if err := s.ExpectString(tt.want, time.Minute); err != nil {
				t.Fatalf("%v\n%s", err, s.Transcript())
			}
			status, err := s.Wait(30 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if status != tt.status {
				t.Errorf("exit status %d, want %d\n%s", status, tt.status, s.Transcript())
			}
		})
	}
}
