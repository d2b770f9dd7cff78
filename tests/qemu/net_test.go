package qemu

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/gopacket/pcapgo"

	"scone/kernel/khttp"
	"scone/kernel/net/nettest"
	"scone/tools/runqemu"
)

// transferSize is what each of the four transfers moves: the host's
// download and upload through the forwarded port, and the kernel's own
// fetch from and push to a server on the host.
const transferSize = 64 << 20

const (
	transferTimeout = 3 * time.Minute
	floodTime       = 3 * time.Second
	floodGuestPort  = 9 // discard: nobody listens, so the stack drops and counts
)

// netNICs are the NICs the network tests run on.
var netNICs = []string{"e1000", "virtio", "virtio-modern"}

// hostPeer is the server on the host the kernel reaches through
// 10.0.2.2: GET /bytes/N sends the pattern, POST /sink answers with the
// body's length and SHA-256, as the kernel's own responder does.
func hostPeer(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /bytes/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.ParseInt(r.PathValue("n"), 10, 64)
		if err != nil || n < 0 || n > 1<<30 {
			http.Error(w, "bad size", 400)
			return
		}
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
		io.Copy(w, io.LimitReader(&patternReader{}, n))
	})
	mux.HandleFunc("POST /sink", func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, err := io.Copy(h, r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		fmt.Fprintf(w, "length %d sha256 %x\n", n, h.Sum(nil))
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

// patternReader yields khttp's pattern from offset 0.
type patternReader struct{ off int64 }

func (p *patternReader) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = khttp.Pattern(p.off + int64(i))
	}
	p.off += int64(len(b))
	return len(b), nil
}

func patternSum(n int64) string {
	h := sha256.New()
	io.Copy(h, io.LimitReader(&patternReader{}, n))
	return fmt.Sprintf("%x", h.Sum(nil))
}

// TestNet boots each NIC with the HTTP responder and the kernel's clients
// and checks the network end to end: the DHCP lease; ping of the host;
// the kernel fetching and pushing transferSize bytes from and to a server
// on the host; the host's client getting the status page and moving
// transferSize bytes each way through the forwarded port, checked byte
// for byte; many rings' worth of frames both ways; a UDP flood that must
// not stop the responder or the console; and every frame of the run
// decoded with valid checksums.
func TestNet(t *testing.T) {
	for _, nic := range netNICs {
		t.Run(nic, func(t *testing.T) { testNet(t, nic) })
	}
}

func testNet(t *testing.T, nic string) {
	peer := hostPeer(t)
	udpPort, err := freeUDPPort()
	if err != nil {
		t.Fatal(err)
	}
	kargs := fmt.Sprintf("serve ping=10.0.2.2 fetch=10.0.2.2:%d:%d push=10.0.2.2:%d:%d", peer, transferSize, peer, transferSize)
	s := bootConfig(t, runqemu.Config{NIC: nic, KArgs: kargs,
		HostFwd: []string{fmt.Sprintf("udp:127.0.0.1:%d-:%d", udpPort, floodGuestPort)}})
	// The responder listens while DHCP is still under way, so the two
	// lines come in either order.
	expectAll(t, s, bootTimeout,
		`net: eth0 10\.0\.2\.15/24 router 10\.0\.2\.2 dns 10\.0\.2\.3 \(dhcp from 10\.0\.2\.2, lease \S+\)`,
		`http: serving on port 80`)
	base := fmt.Sprintf("http://127.0.0.1:%d", s.Config.Port)
	client := &http.Client{Timeout: transferTimeout}

	// The host's transfers run while the kernel's own clients do.
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	wg.Add(1)
	go func() {
		defer wg.Done()
		start := time.Now()
		n, bad, err := getPattern(client, fmt.Sprintf("%s/bytes/%d", base, transferSize))
		switch {
		case err != nil:
			errs <- fmt.Errorf("host GET: %v", err)
		case n != transferSize || bad >= 0:
			errs <- fmt.Errorf("host GET: %d bytes of %d, first wrong byte at %d", n, transferSize, bad)
		default:
			t.Logf("host GET of %d MiB: %.1f MB/s", transferSize>>20, float64(n)/1e6/time.Since(start).Seconds())
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		body := make([]byte, transferSize)
		rand.Read(body)
		start := time.Now()
		resp, err := client.Post(base+"/sink", "application/octet-stream", bytes.NewReader(body))
		if err != nil {
			errs <- fmt.Errorf("host POST: %v", err)
			return
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := fmt.Sprintf("length %d sha256 %x\n", len(body), sha256.Sum256(body)); err != nil || string(got) != want {
			errs <- fmt.Errorf("host POST: answer %q, %v; want %q", got, err, want)
			return
		}
		t.Logf("host POST of %d MiB: %.1f MB/s", transferSize>>20, float64(len(body))/1e6/time.Since(start).Seconds())
	}()

	expect(t, s, `ping 10\.0\.2\.2: 4 sent, [1-4] received`, commandTimeout)
	m := expect(t, s, `fetch 10\.0\.2\.2:\d+: [^\n]*\n`, transferTimeout)
	if !strings.Contains(m, fmt.Sprintf(": %d bytes, pattern ok", transferSize)) {
		t.Errorf("kernel fetch: %s", m)
	}
	t.Log(strings.TrimSpace(m))
	m = expect(t, s, `push 10\.0\.2\.2:\d+: [^\n]*\n`, transferTimeout)
	if want := fmt.Sprintf("length %d sha256 %s", transferSize, patternSum(transferSize)); !strings.Contains(m, want) {
		t.Errorf("kernel push: %s\nwant the server to see %s", m, want)
	}
	t.Log(strings.TrimSpace(m))
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	// The status page.
	page, err := get(client, base+"/")
	if err != nil || !regexp.MustCompile(`(?s)uptime .*gc: \d+ collections, longest pause .*eth0: 10\.0\.2\.15/24.*Tcp:`).MatchString(page) {
		t.Errorf("status page: %v\n%s", err, page)
	}

	testFlood(t, s, client, base, udpPort)

	// Many rings' worth of frames went each way.
	out := command(t, s, "net")
	rx, tx := counter(out, `(?:e1000|virtio-net) rx: (\d+) frames`), counter(out, `(?:e1000|virtio-net) tx: (\d+) frames`)
	if rx < 2*256 || tx < 2*256 { // both drivers' rings hold 256
		t.Errorf("rx %d, tx %d frames: want more than two rings (512) each way\n%s", rx, tx, out)
	}
	t.Logf("net after the run:\n%s\n%s", firstLines(out, 6), grepLines(out, `Rst|Resets|Timeouts|AttemptFails|CsumErrors`))

	if err := s.Send("halt\r"); err != nil {
		t.Fatal(err)
	}
	wantExit(t, s, 0)
	checkPcap(t, s.Config.Pcap)
	if t.Failed() {
		// Keep the run's frames for whoever looks into the failure.
		keep := filepath.Join(repoRoot(t), "build", "TestNet-"+nic+".pcap")
		if b, err := os.ReadFile(s.Config.Pcap); err == nil && os.WriteFile(keep, b, 0o644) == nil {
			t.Logf("frames of the failed run kept in %s", keep)
		}
	}
}

// grepLines returns the lines of s that match re, trimmed, on one line.
func grepLines(s, re string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if regexp.MustCompile(re).MatchString(l) {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return strings.Join(out, ", ")
}

// testFlood sends UDP to one guest port as fast as the host can while
// fetching the status page and typing at the console: both must keep
// answering, the console within a second.
func testFlood(t *testing.T, s *runqemu.Session, client *http.Client, base string, port int) {
	before := command(t, s, "gc")
	conn, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var sent atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		b := make([]byte, 1024)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := conn.Write(b); err == nil {
				sent.Add(1)
			}
		}
	}()
	end := time.Now().Add(floodTime)
	pages, slowest := 0, time.Duration(0)
	for time.Now().Before(end) {
		if _, err := get(&http.Client{Timeout: 10 * time.Second}, base+"/"); err != nil {
			t.Errorf("status page during the flood: %v", err)
			break
		}
		pages++
		start := time.Now()
		command(t, s, "uptime")
		slowest = max(slowest, time.Since(start))
	}
	close(stop)
	<-done
	t.Logf("flood: %d datagrams sent in %v; %d status pages; slowest console answer %v", sent.Load(), floodTime, pages, slowest)
	if slowest > time.Second {
		t.Errorf("the console took %v to answer during the flood (want under 1 s)", slowest)
	}
	// The receive path still works and nothing piled up: after a
	// collection the heap is back where it was.
	if n, bad, err := getPattern(client, base+"/bytes/1048576"); err != nil || n != 1<<20 || bad >= 0 {
		t.Errorf("1 MiB after the flood: %d bytes, first bad %d, %v", n, bad, err)
	}
	after := command(t, s, "gc")
	hb, ha := heapAfterGC(before), heapAfterGC(after)
	if ha > hb+4 {
		t.Errorf("heap after the flood %.1f MiB, before %.1f MiB: something kept frames", ha, hb)
	}
}

func freeUDPPort() (int, error) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}

func get(c *http.Client, url string) (string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != 200 {
		err = fmt.Errorf("status %d", resp.StatusCode)
	}
	return string(b), err
}

// getPattern GETs url and compares the body with the pattern as it
// streams: its length and the first wrong offset (-1 if none).
func getPattern(c *http.Client, url string) (n, bad int64, err error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, -1, err
	}
	defer resp.Body.Close()
	bad = -1
	buf := make([]byte, 256<<10)
	for {
		k, err := resp.Body.Read(buf)
		for i, b := range buf[:k] {
			if bad < 0 && b != khttp.Pattern(n+int64(i)) {
				bad = n + int64(i)
			}
		}
		n += int64(k)
		if errors.Is(err, io.EOF) {
			return n, bad, nil
		}
		if err != nil {
			return n, bad, err
		}
	}
}

func counter(out, re string) int {
	m := regexp.MustCompile(re).FindStringSubmatch(out)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func heapAfterGC(out string) float64 {
	m := regexp.MustCompile(`gc: heap [\d.]+ -> ([\d.]+) MiB`).FindStringSubmatch(out)
	if m == nil {
		return -1
	}
	f, _ := strconv.ParseFloat(m[1], 64)
	return f
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

// checkPcap decodes every frame QEMU dumped with gopacket and checks
// every IPv4, ICMP, UDP and TCP checksum: the offloads must still put
// correct checksums on the wire.
func checkPcap(t *testing.T, path string) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	c := nettest.NewChecker()
	for {
		data, _, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break // the last frame may be cut short when QEMU exits
		}
		if err != nil {
			t.Fatal(err)
		}
		c.Check(data)
	}
	t.Logf("pcap: %d frames checked", c.Frames())
	if c.Frames() < 1000 {
		t.Errorf("pcap holds only %d frames", c.Frames())
	}
	if err := c.Err(); err != nil {
		t.Error(err)
	}
}
