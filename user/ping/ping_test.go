package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"scone/user/internal/testnet"
)

// TestPing pings loopback through a real ping socket, in a namespace of
// its own (the host's ping_group_range may forbid ping sockets), then an
// unreachable address and an unknown name.
func TestPing(t *testing.T) {
	bin := testnet.Build(t, "scone/user/ping")
	out, err := testnet.Netns(t, 30*time.Second, bin+" -c 3 -i 100ms 127.0.0.1")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{
		`^PING 127\.0\.0\.1 \(127\.0\.0\.1\) 56\(84\) bytes of data\.$`,
		`^64 bytes from 127\.0\.0\.1: icmp_seq=1 ttl=64 time=\d+\.\d{3} ms$`,
		`^64 bytes from 127\.0\.0\.1: icmp_seq=2 ttl=64 time=\d+\.\d{3} ms$`,
		`^64 bytes from 127\.0\.0\.1: icmp_seq=3 ttl=64 time=\d+\.\d{3} ms$`,
		`^$`,
		`^--- 127\.0\.0\.1 ping statistics ---$`,
		`^3 packets transmitted, 3 received, 0% packet loss, time \d+ms$`,
		`^rtt min/avg/max/mdev = [\d.]+/[\d.]+/[\d.]+/[\d.]+ ms$`,
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, re := range want {
		if !regexp.MustCompile(re).MatchString(lines[i]) {
			t.Errorf("line %d: %q does not match %s", i, lines[i], re)
		}
	}

	for _, tc := range []struct {
		args, want string
		status     string
	}{
		{"-c 1 -W 1s 10.9.9.9", "network is unreachable", "exit status 2"},
		{"-c 1 no-such-host.invalid", "no-such-host.invalid", "exit status 2"},
		{"-s 70000 127.0.0.1", "usage: ping", "exit status 2"},
	} {
		out, err := testnet.Netns(t, 30*time.Second, bin+" "+tc.args)
		if err == nil || err.Error() != tc.status || !strings.Contains(out, tc.want) {
			t.Errorf("ping %s: %v, output %q; want %s and %q", tc.args, err, out, tc.status, tc.want)
		}
	}
}

func TestPayload(t *testing.T) {
	tm := time.Unix(1, 2)
	b := payload(56, tm)
	if len(b) != 56 || b[8] != 0x10 || b[55] != 55+8 {
		t.Errorf("payload % x", b)
	}
	if len(payload(4, tm)) != 4 {
		t.Error("short payload")
	}
}
