package interop

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"scone/kernel/net/tcpip"
	"scone/tools/tapnet/tap"
)

// The namespace's network: Linux is .1 on the TAP and runs dnsmasq there;
// our stack leases an address from the DHCP range.
var (
	linuxAddr  = tcpip.MustParseAddr("10.99.0.1")
	subnet     = tcpip.SubnetOf(linuxAddr, 24)
	stackMAC   = tcpip.MAC{0x52, 0x54, 0x00, 0x5c, 0x0e, 0x01}
	rangeStart = tcpip.MustParseAddr("10.99.0.100")
	rangeEnd   = tcpip.MustParseAddr("10.99.0.199")
)

// Names dnsmasq answers for.
const (
	hostName  = "web.scone.test"      // --host-record: A 10.99.0.1
	aliasName = "www.scone.test"      // --cname to hostName
	wildName  = "any.wild.scone.test" // --address=/wild.scone.test/10.99.0.7
	wildAddr  = "10.99.0.7"
)

// Bounds on every wait in these tests.
const (
	cmdTimeout   = 20 * time.Second
	startTimeout = 10 * time.Second
)

// needs are the tools every interop test runs; tests name any others
// they need when they build their env.
var needs = []string{"ip", "dnsmasq", "nft"}

// skipOrFail skips the test, except in CI where a missing tool or
// privilege is a broken environment and must fail.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true: "+format, args...)
	}
	t.Skipf(format, args...)
}

// env is one namespace with a TAP device, dnsmasq and whatever nft tables
// a test adds. Everything is removed by t.Cleanup, in reverse order of
// creation, whether the test passed or not.
type env struct {
	t        *testing.T
	ns       string
	nsPath   string
	tap      *tap.Device
	linuxMAC tcpip.MAC
	dir      string
	dnsmasq  *logWatcher
}

// newEnv builds the namespace. dnsmasq is started only if withDnsmasq;
// tools lists programs the test runs beyond those in needs.
func newEnv(t *testing.T, withDnsmasq bool, tools ...string) *env {
	t.Helper()
	if os.Geteuid() != 0 {
		skipOrFail(t, "interop tests need root")
	}
	for _, tool := range append(needs, tools...) {
		if _, err := exec.LookPath(tool); err != nil {
			skipOrFail(t, "interop tests need %s: %v", tool, err)
		}
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		skipOrFail(t, "interop tests need /dev/net/tun: %v", err)
	}
	removeStaleNamespaces(t)

	e := &env{t: t, ns: fmt.Sprintf("scone-it-%d", os.Getpid()), dir: t.TempDir()}
	e.nsPath = "/run/netns/" + e.ns
	e.run("ip", "netns", "add", e.ns)
	t.Cleanup(func() { e.runQuiet("ip", "netns", "delete", e.ns) })

	// Create the TAP in our namespace, then move its Linux side into the
	// test namespace: the file descriptor stays attached, so frames flow
	// between this process and the namespace with no thread switching.
	dev, err := tap.Open(fmt.Sprintf("sctap%d", os.Getpid()%1000000), stackMAC)
	if err != nil {
		skipOrFail(t, "cannot create a TAP device: %v", err)
	}
	e.tap = dev
	t.Cleanup(func() { dev.Close() })
	name := dev.Name()
	e.run("ip", "link", "set", name, "netns", e.ns)
	e.run("ip", "-n", e.ns, "link", "set", "lo", "up")
	e.run("ip", "-n", e.ns, "addr", "add", linuxAddr.String()+"/24", "dev", name)
	e.run("ip", "-n", e.ns, "link", "set", name, "up")
	mac, err := tcpip.ParseMAC(strings.TrimSpace(e.run("ip", "netns", "exec", e.ns, "cat", "/sys/class/net/"+name+"/address")))
	if err != nil {
		t.Fatalf("Linux MAC: %v", err)
	}
	e.linuxMAC = mac
	if withDnsmasq {
		e.startDnsmasq()
	}
	return e
}

// removeStaleNamespaces deletes namespaces left by earlier runs that were
// killed before their cleanup ran (their pid no longer exists).
func removeStaleNamespaces(t *testing.T) {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], "scone-it-") {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimPrefix(f[0], "scone-it-"))
		if err != nil {
			continue
		}
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
			continue // a live run's namespace
		}
		t.Logf("removing stale namespace %s", f[0])
		exec.Command("ip", "netns", "delete", f[0]).Run()
	}
}

// run runs a command with a bounded time and fails the test if it fails.
func (e *env) run(name string, args ...string) string {
	e.t.Helper()
	out, err := e.command(name, args...)
	if err != nil {
		e.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// runQuiet runs a cleanup command, logging a failure.
func (e *env) runQuiet(name string, args ...string) {
	if out, err := e.command(name, args...); err != nil {
		e.t.Logf("cleanup: %s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func (e *env) command(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}

// nsCommand runs a command inside the namespace, bounded by timeout.
func (e *env) nsCommand(timeout time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", e.ns, name}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// startDnsmasq runs dnsmasq in the namespace, serving DHCP on the TAP and
// DNS for the test names, and waits until it has started.
func (e *env) startDnsmasq() {
	e.t.Helper()
	args := []string{"netns", "exec", e.ns, "dnsmasq",
		"--keep-in-foreground", "--log-facility=-", "--conf-file=/dev/null",
		"--user=root", "--group=root", "--no-resolv", "--no-hosts", "--no-poll",
		"--bind-interfaces", "--interface=" + e.tap.Name(), "--listen-address=" + linuxAddr.String(),
		"--pid-file=" + filepath.Join(e.dir, "dnsmasq.pid"),
		"--dhcp-leasefile=" + filepath.Join(e.dir, "leases"),
		"--dhcp-range=" + rangeStart.String() + "," + rangeEnd.String() + ",255.255.255.0,2m",
		"--dhcp-option=option:router," + linuxAddr.String(),
		"--dhcp-option=option:dns-server," + linuxAddr.String(),
		"--dhcp-authoritative", "--no-ping", "--log-dhcp", "--log-queries",
		"--host-record=" + hostName + "," + linuxAddr.String(),
		"--cname=" + aliasName + "," + hostName,
		"--address=/wild.scone.test/" + wildAddr,
		"--local=/scone.test/", // other names in the domain: NXDOMAIN, not REFUSED
	}
	e.dnsmasq = e.startProcess("dnsmasq", "ip", args...)
	if err := e.dnsmasq.waitFor("started, version", startTimeout); err != nil {
		e.t.Fatalf("dnsmasq: %v\n%s", err, e.dnsmasq)
	}
}

// startProcess starts a long-running command whose output is watched; the
// cleanup kills it and waits for it, bounded.
func (e *env) startProcess(label, name string, args ...string) *logWatcher {
	e.t.Helper()
	w := &logWatcher{label: label, changed: make(chan struct{}, 1), exited: make(chan struct{})}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = w, w
	// Its own process group, so the kill reaches dnsmasq under ip netns exec.
	cmd.SysProcAttr = &unix.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		e.t.Fatalf("start %s: %v", label, err)
	}
	go func() {
		w.err = cmd.Wait()
		close(w.exited)
	}()
	e.t.Cleanup(func() {
		unix.Kill(-cmd.Process.Pid, unix.SIGTERM)
		select {
		case <-w.exited:
		case <-time.After(5 * time.Second):
			unix.Kill(-cmd.Process.Pid, unix.SIGKILL)
			<-w.exited
		}
		if e.t.Failed() {
			e.t.Logf("%s output:\n%s", label, w)
		}
	})
	return w
}

// logWatcher collects a process's output and lets a test wait for a line.
type logWatcher struct {
	label   string
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
	exited  chan struct{}
	err     error
}

func (w *logWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.buf.Write(p)
	w.mu.Unlock()
	select {
	case w.changed <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (w *logWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// waitFor waits until the output contains s, the process exits, or timeout.
func (w *logWatcher) waitFor(s string, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if strings.Contains(w.String(), s) {
			return nil
		}
		select {
		case <-w.changed:
		case <-w.exited:
			if strings.Contains(w.String(), s) {
				return nil
			}
			return fmt.Errorf("%s exited (%v) before printing %q", w.label, w.err, s)
		case <-deadline.C:
			return fmt.Errorf("%s did not print %q within %v", w.label, s, timeout)
		}
	}
}

// dropPercent makes Linux drop pct percent of TCP segments in each
// direction (nftables numgen, since tc netem is not available), until the
// test ends.
func (e *env) dropPercent(pct int) {
	e.t.Helper()
	rules := fmt.Sprintf(`table inet scone_loss {
	chain in { type filter hook input priority 0; meta l4proto tcp numgen random mod 100 < %d counter drop; }
	chain out { type filter hook output priority 0; meta l4proto tcp numgen random mod 100 < %d counter drop; }
}
`, pct, pct)
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

// inNamespace runs f on an OS thread that has joined the namespace, so
// sockets f creates belong to it (they keep working from any thread
// afterwards). The thread is never unlocked: when the goroutine ends the
// runtime discards it rather than reuse a thread in the wrong namespace.
func (e *env) inNamespace(f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		fd, err := unix.Open(e.nsPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- err
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", e.ns, err)
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
