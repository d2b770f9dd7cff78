// The end-to-end tests of issue 10's user programs, typed at the guest's
// shell as a person would: httpd served to the host's curl, daytime -l
// through a forwarded port, and the clients (wget, nc, wttr, daytime)
// against stand-ins on the host through 10.0.2.2. TestNc64MiB, 64 MiB
// each way, is in netprog_nc_test.go.

package qemu

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"scone/tools/runqemu"
)

const (
	shellPrompt  = "$ "
	netTimeout   = 60 * time.Second
	bulkTimeout  = 5 * time.Minute // 64 MiB each way under TCG
	bulkSize     = 64 << 20
	wgetFileSize = 8 << 20
)

// bootShell boots Scone with NIC nic and the extra forwarding rules, and
// waits for the shell's prompt. It returns the session and the host port
// forwarded to the guest's port 80.
func bootShell(t *testing.T, nic string, fwd ...string) (*runqemu.Session, int) {
	t.Helper()
	return bootShellArgs(t, nic, "", fwd...)
}

// bootShellArgs is bootShell with kargs added to the kernel command line.
func bootShellArgs(t *testing.T, nic, kargs string, fwd ...string) (*runqemu.Session, int) {
	t.Helper()
	port, err := runqemu.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	c := runqemu.Config{Root: repoRoot(t), NIC: nic, Port: port, HostFwd: fwd,
		Pcap: filepath.Join(t.TempDir(), "packets.pcap"),
		// Another guest, to check these tests themselves: a Linux
		// bzImage and an initramfs with a shell and the programs.
		Loader: os.Getenv("E2E_LOADER"), Kernel: os.Getenv("E2E_KERNEL"), KArgs: os.Getenv("E2E_KARGS")}
	if c.Kernel == "" {
		c.Disk = userImage(t)
	}
	if kargs != "" {
		c.KArgs = strings.TrimSpace(c.KArgs + " " + kargs)
	}
	if os.Getenv("ACCEL") == "kvm" {
		c.Accel = "kvm"
	}
	s, err := runqemu.Start(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Kill)
	if c.Kernel == "" {
		waitShell(t, s) // Scone: the prompt, and the lease
	} else if err := s.ExpectString(shellPrompt, bootTimeout); err != nil {
		t.Fatalf("no shell prompt: %v\n%s", err, s.Transcript())
	}
	return s, port
}

// typeLine types line at the shell and waits for the output re.
func typeLine(t *testing.T, s *runqemu.Session, line, re string, timeout time.Duration) string {
	t.Helper()
	if err := s.Send(line + "\r"); err != nil {
		t.Fatal(err)
	}
	m, err := s.Expect(regexp.MustCompile(re), timeout)
	if err != nil {
		t.Fatalf("%s: %v\n%s", line, err, s.Transcript())
	}
	return m
}

func freePorts(t *testing.T, n int) []int {
	var ps []int
	for i := 0; i < n; i++ {
		p, err := runqemu.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

// TestHttpdCurl: `httpd &` at the prompt, then the host's curl gets the
// index page through the forwarded port, with each NIC.
func TestHttpdCurl(t *testing.T) {
	index, err := os.ReadFile(filepath.Join(repoRoot(t), "root/www/index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, nic := range []string{"e1000", "virtio"} {
		t.Run(nic, func(t *testing.T) {
			s, port := bootShell(t, nic)
			typeLine(t, s, "httpd &", `httpd: serving /www on`, netTimeout)
			out, err := exec.Command("curl", "-sS", "--max-time", "20", "--retry", "5", "--retry-connrefused",
				fmt.Sprintf("http://localhost:%d/", port)).Output()
			if err != nil {
				t.Fatalf("curl: %v\n%s", err, s.Transcript())
			}
			if !bytes.Equal(out, index) {
				t.Fatalf("curl got %q, want root/www/index.html", out)
			}
			st, err := exec.Command("curl", "-sS", "--max-time", "20", fmt.Sprintf("http://localhost:%d/status", port)).Output()
			if err != nil || !bytes.Contains(st, []byte("uptime:")) || !bytes.Contains(st, []byte("interfaces:")) {
				t.Errorf("/status: %v\n%s", err, st)
			}
			// The kernel's collector, from /proc/gc: it has run by now.
			if !regexp.MustCompile(`kernel gc: [1-9]\d* collections, .* longest of the last [1-9]\d*: `).Match(st) {
				t.Errorf("/status lacks the kernel's GC record:\n%s", st)
			}
		})
	}
}

// TestDaytimeServer: `daytime -l &`, then the host asks through the port
// forwarded to the guest's 13, over TCP and UDP.
func TestDaytimeServer(t *testing.T) {
	p := freePorts(t, 2)
	s, _ := bootShell(t, "e1000", fmt.Sprintf("tcp::%d-:13", p[0]), fmt.Sprintf("udp:127.0.0.1:%d-:13", p[1]))
	typeLine(t, s, "daytime -l &", `daytime: serving on tcp`, netTimeout)
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(p[0]), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	b, err := io.ReadAll(c)
	c.Close()
	if err != nil || !regexp.MustCompile(`^[A-Z][a-z]+day, [A-Z][a-z]+ \d+, \d{4} \d\d:\d\d:\d\d-[A-Z]+\r\n$`).Match(b) {
		t.Fatalf("tcp daytime %q, %v\n%s", b, err, s.Transcript())
	}
	u, err := net.Dial("udp", "127.0.0.1:"+strconv.Itoa(p[1]))
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	buf := make([]byte, 512)
	for i := 0; i < 5; i++ { // UDP may be lost: bounded retries
		u.Write(nil)
		u.SetReadDeadline(time.Now().Add(3 * time.Second))
		if n, err := u.Read(buf); err == nil {
			t.Logf("udp daytime %q", buf[:n])
			return
		}
	}
	t.Fatalf("no UDP daytime reply\n%s", s.Transcript())
}

// hashListener accepts one connection on 127.0.0.1 and sends the SHA-256
// and length of everything it receives.
func hashListener(t *testing.T, port int) func(*runqemu.Session) [2]string {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	out := make(chan [2]string, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(bulkTimeout))
		h := sha256.New()
		n, _ := io.Copy(h, c)
		out <- [2]string{fmt.Sprintf("%x", h.Sum(nil)), strconv.FormatInt(n, 10)}
	}()
	return func(s *runqemu.Session) [2]string {
		select {
		case r := <-out:
			return r
		case <-time.After(bulkTimeout):
			t.Fatalf("nothing came to the host's port %d\n%s", port, s.Transcript())
			return [2]string{}
		}
	}
}

func randomBytes(n int, seed byte) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{seed}).Read(b)
	return b
}

// TestClients runs the guest's clients against host stand-ins through
// 10.0.2.2: wget of 8 MiB (sent back with nc and checked byte for byte),
// wttr against a mirror, daytime against a host server; then httpd and
// wget, Go's net/http server and client, over the guest's loopback.
func TestClients(t *testing.T) {
	p := freePorts(t, 3)
	data := randomBytes(wgetFileSize, 1)
	srv := &http.Server{Addr: "127.0.0.1:" + strconv.Itoa(p[0]), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/w.bin":
			http.ServeContent(w, r, "w.bin", time.Time{}, bytes.NewReader(data))
		case "/Cambridge":
			io.WriteString(w, "Weather report: Cambridge\n\n     \\   /     Sunny\n")
		default:
			http.NotFound(w, r)
		}
	})}
	go srv.ListenAndServe()
	t.Cleanup(func() { srv.Close() })
	day, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p[1]))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { day.Close() })
	go func() {
		for {
			c, err := day.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, "Friday, December 4, 2026 22:00:00-UTC\r\n")
			c.Close()
		}
	}()
	back := hashListener(t, p[2])

	s, _ := bootShell(t, "e1000")
	typeLine(t, s, fmt.Sprintf("wget -O /tmp/w.bin http://10.0.2.2:%d/w.bin", p[0]),
		fmt.Sprintf(`saved \[%d/%d\]`, wgetFileSize, wgetFileSize), bulkTimeout)
	typeLine(t, s, fmt.Sprintf("nc 10.0.2.2 %d < /tmp/w.bin", p[2]), `\$ `, bulkTimeout)
	got := back(s)
	if want := fmt.Sprintf("%x", sha256.Sum256(data)); got[0] != want {
		t.Errorf("wget then nc: %s bytes came back, differing from the %d served", got[1], wgetFileSize)
	}
	typeLine(t, s, fmt.Sprintf("wttr -server 10.0.2.2:%d Cambridge", p[0]), `Weather report: Cambridge`, netTimeout)
	typeLine(t, s, fmt.Sprintf("daytime 10.0.2.2 %d", p[1]), `Friday, December 4, 2026 22:00:00-UTC`, netTimeout)
	// net/http's server and client, both in the guest, over loopback.
	typeLine(t, s, "httpd -addr 127.0.0.1:8080 -q &", `httpd: serving /www on 127.0.0.1:8080`, netTimeout)
	typeLine(t, s, "wget -q -O - http://127.0.0.1:8080/", `Hello from Scone`, netTimeout)
}
