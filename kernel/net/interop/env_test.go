package interop

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"scone/kernel/net/dhcp"
	"scone/kernel/net/dns"
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
	ns       string // the router: TAP, dnsmasq, loss rules
	peer     string // a host beyond the router; see addPeer
	tap      *tap.Device
	linuxMAC tcpip.MAC
	dir      string
	dnsmasq  *logWatcher
}

// envCount numbers the envs of one test process, so names stay unique.
var envCount atomic.Int32

// newEnv builds the namespace and starts dnsmasq in it. tools lists
// programs the test runs beyond those in needs.
func newEnv(t *testing.T, tools ...string) *env {
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

	id := fmt.Sprintf("%d-%d", os.Getpid(), envCount.Add(1))
	e := &env{t: t, ns: "scone-it-" + id, dir: t.TempDir()}
	e.run("ip", "netns", "add", e.ns)
	t.Cleanup(func() { e.runQuiet("ip", "netns", "delete", e.ns) })

	// Create the TAP in our namespace, then move its Linux side into the
	// test namespace: the file descriptor stays attached, so frames flow
	// between this process and the namespace with no thread switching.
	dev, err := tap.Open("sc"+id, stackMAC) // at most 2+7+1+5 < 16 bytes
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
	e.startDnsmasq()
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
		id, _, _ := strings.Cut(strings.TrimPrefix(f[0], "scone-it-"), "-")
		pid, err := strconv.Atoi(id)
		if err != nil {
			continue
		}
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
			continue // a live run's namespace
		}
		// A run killed before its cleanup (a test timeout's panic, say)
		// leaves dnsmasq running in the namespace: end it first.
		t.Logf("removing stale namespace %s", f[0])
		if pids, err := exec.Command("ip", "netns", "pids", f[0]).Output(); err == nil {
			for _, p := range strings.Fields(string(pids)) {
				if n, err := strconv.Atoi(p); err == nil {
					syscall.Kill(n, syscall.SIGKILL)
				}
			}
		}
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

// nsCommand runs a command inside namespace ns, bounded by timeout.
func (e *env) nsCommand(ns string, timeout time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns, name}, args...)...)
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
		// Renew after 5 s rather than dnsmasq's minimum lease's 1 min, so
		// the renewal test does not idle.
		"--dhcp-option=option:T1,5",
		"--dhcp-authoritative", "--no-ping", "--log-dhcp", "--log-queries",
		"--host-record=" + hostName + "," + linuxAddr.String(),
		"--cname=" + aliasName + "," + hostName,
		"--address=/wild.scone.test/" + wildAddr,
		"--host-record=" + peerName + "," + peerAddr.String(),
		"--local=/scone.test/", // other names in the domain: NXDOMAIN, not REFUSED
	}
	e.dnsmasq = e.startProcess("dnsmasq", "ip", args...)
	if err := e.dnsmasq.waitFor("started, version", startTimeout); err != nil {
		e.t.Fatalf("dnsmasq: %v\n%s", err, e.dnsmasq)
	}
}

// checkLease checks a lease against dnsmasq's configuration and log.
func (e *env) checkLease(t *testing.T, l dhcp.Lease) {
	t.Helper()
	if !subnet.Contains(l.Addr) || l.Addr.Uint32() < rangeStart.Uint32() || l.Addr.Uint32() > rangeEnd.Uint32() ||
		l.Subnet != subnet || l.Router != linuxAddr || len(l.DNS) != 1 || l.DNS[0] != linuxAddr ||
		l.Duration != 2*time.Minute || l.T1 != 5*time.Second || l.Server != linuxAddr {
		t.Fatalf("unexpected lease %+v", l)
	}
	if err := e.dnsmasq.waitFor("DHCPACK("+e.tap.Name()+") "+l.Addr.String()+" "+stackMAC.String(), startTimeout); err != nil {
		t.Error(err)
	}
}

// checkLookups resolves the names dnsmasq serves: an A record, a CNAME to
// it, a wildcard, and a name that does not exist.
func checkLookups(t *testing.T, r *dns.Resolver) {
	t.Helper()
	tests := []struct {
		name, want string
		err        error
	}{
		{hostName, linuxAddr.String(), nil},
		{aliasName, linuxAddr.String(), nil},
		{wildName, wildAddr, nil},
		{peerName, peerAddr.String(), nil},
		{"nosuch.scone.test", "", dns.ErrNotFound},
	}
	for _, tt := range tests {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		addrs, err := r.Lookup(ctx, tt.name)
		cancel()
		if err != tt.err || (tt.want != "" && (len(addrs) != 1 || addrs[0].String() != tt.want)) {
			t.Errorf("Lookup(%s) = %v, %v; want %s, %v (stats %+v)", tt.name, addrs, err, tt.want, tt.err, r.Stats())
		}
	}
}
