// Package testnet helps the network programs' tests run a program as the
// user would: built as a binary, and where it needs privileges or a
// configuration the host must not get (ping sockets, interface addresses),
// inside a network namespace the test creates and throws away.
package testnet

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Build compiles the program in package pkg (an import path such as
// "scone/user/ping") and returns the binary's path.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// Netns runs the shell script in a new network namespace whose loopback
// is up and whose ping_group_range admits every group, and returns its
// combined output. Without the privilege to make a namespace the test is
// skipped, or fails when CI=true (a CI run must not silently test less).
func Netns(t testing.TB, timeout time.Duration, script string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("unshare"); err != nil {
		missing(t, "unshare (util-linux) is not installed")
	}
	probe := exec.Command("unshare", "-n", "true")
	if b, err := probe.CombinedOutput(); err != nil {
		missing(t, "cannot create a network namespace: "+string(b))
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "unshare", "-n", "sh", "-ec",
		"ip link set lo up\necho '0 2147483647' >/proc/sys/net/ipv4/ping_group_range\n"+script)
	b, err := cmd.CombinedOutput()
	return string(b), err
}

// Need skips the test (fails it with CI=true) when cmd is not installed.
func Need(t testing.TB, cmd string) {
	t.Helper()
	if _, err := exec.LookPath(cmd); err != nil {
		missing(t, cmd+" is not installed (make deps installs it)")
	}
}

func missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip(why)
}
