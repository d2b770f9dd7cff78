package interop

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"scone/kernel/net/tcpip"
)

// The peer namespace is a Linux host one hop beyond the router namespace
// (the one with the TAP and dnsmasq), joined to it by a veth pair. Bulk
// transfers run between it and our stack, so packets cross the router's
// forward path, where the loss rules are.
var (
	routerVethAddr = tcpip.MustParseAddr("10.98.0.1")
	peerAddr       = tcpip.MustParseAddr("10.98.0.2")
)

const peerName = "peer.scone.test" // --host-record: A 10.98.0.2

// addPeer creates the peer namespace and routes between it and the TAP's
// subnet.
func (e *env) addPeer() {
	e.t.Helper()
	e.peer = e.ns + "-peer"
	e.run("ip", "netns", "add", e.peer)
	e.t.Cleanup(func() { e.runQuiet("ip", "netns", "delete", e.peer) })
	e.run("ip", "link", "add", "veth0", "netns", e.ns, "type", "veth", "peer", "name", "veth0", "netns", e.peer)
	e.run("ip", "-n", e.ns, "addr", "add", routerVethAddr.String()+"/24", "dev", "veth0")
	e.run("ip", "-n", e.ns, "link", "set", "veth0", "up")
	e.run("ip", "netns", "exec", e.ns, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	// One segment per packet: with TSO a single drop on the router would
	// take out a 64 KiB burst, which is not "3% of packets".
	e.run("ip", "-n", e.peer, "link", "set", "veth0", "gso_max_segs", "1")
	e.run("ip", "-n", e.peer, "addr", "add", peerAddr.String()+"/24", "dev", "veth0")
	e.run("ip", "-n", e.peer, "link", "set", "veth0", "up")
	e.run("ip", "-n", e.peer, "link", "set", "lo", "up")
	e.run("ip", "-n", e.peer, "route", "add", "default", "via", routerVethAddr.String())
}

// dropPercent makes the router namespace drop pct percent of the TCP
// packets it forwards to our stack and, independently, of those it
// forwards from it (nftables numgen; tc netem is not available), until the
// test ends. The rules sit on the forward path on purpose: a drop in a
// host's own output hook is reported to its TCP, which simply sends the
// segment again, so it would not be a loss on the wire.
func (e *env) dropPercent(pct int) {
	e.t.Helper()
	rules := fmt.Sprintf(`table inet scone_loss {
	chain forward {
		type filter hook forward priority 0;
		iifname %[1]q meta l4proto tcp numgen random mod 100 < %[2]d counter drop
		oifname %[1]q meta l4proto tcp numgen random mod 100 < %[2]d counter drop
	}
}
`, e.tap.Name(), pct)
	path := filepath.Join(e.dir, "loss.nft")
	if err := os.WriteFile(path, []byte(rules), 0o600); err != nil {
		e.t.Fatal(err)
	}
	e.run("ip", "netns", "exec", e.ns, "nft", "-f", path)
	e.t.Cleanup(func() {
		if e.t.Failed() || testing.Verbose() {
			out, _ := e.command("ip", "netns", "exec", e.ns, "nft", "list", "table", "inet", "scone_loss")
			e.t.Logf("nft counters:\n%s", out)
		}
		e.runQuiet("ip", "netns", "exec", e.ns, "nft", "delete", "table", "inet", "scone_loss")
	})
}

// dropped returns how many packets the loss rules of dropPercent have
// dropped so far: those from our stack and those to it, read from the
// rules' nftables counters (listed in the order the rules were written).
func (e *env) dropped() (fromUs, toUs uint64) {
	e.t.Helper()
	out := e.run("ip", "netns", "exec", e.ns, "nft", "list", "table", "inet", "scone_loss")
	m := dropCounter.FindAllStringSubmatch(out, -1)
	if len(m) != 2 {
		e.t.Fatalf("nft loss counters: want 2, got:\n%s", out)
	}
	fromUs, _ = strconv.ParseUint(m[0][1], 10, 64)
	toUs, _ = strconv.ParseUint(m[1][1], 10, 64)
	return fromUs, toUs
}

var dropCounter = regexp.MustCompile(`counter packets (\d+) bytes \d+ drop`)

// inNamespace runs f on an OS thread that has joined the namespace, so
// sockets f creates belong to it (they keep working from any thread
// afterwards). The thread is never unlocked: when the goroutine ends the
// runtime discards it rather than reuse a thread in the wrong namespace.
func (e *env) inNamespace(ns string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		fd, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- err
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		errc <- f()
	}()
	select {
	case err := <-errc:
		return err
	case <-time.After(cmdTimeout):
		return fmt.Errorf("inNamespace: timed out after %v", cmdTimeout)
	}
}
