package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"scone/user/internal/testnet"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const index = "<html><body>Scone</body></html>\n"

// start runs the real server (newServer) on a loopback listener.
func start(t *testing.T, proc string) (string, *testnet.Buffer) {
	t.Helper()
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"index.html":     index,
		"a.txt":          "0123456789",
		"sub/b.css":      "body{}",
		"sub/other.json": "{}",
	})
	logw := new(testnet.Buffer)
	srv := newServer(root, proc, logw)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return "http://" + l.Addr().String(), logw
}

func fakeProc(t *testing.T) string {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"uptime":  "3725.50 100.00\n",
		"meminfo": "MemTotal: 524288 kB\nMemFree: 262144 kB\n",
		"gc": "collections 300\npause_total_ns 5000000\nrecent_pauses_ns 21000 180000 9000\n" +
			"stw_stopping_hist_ns 1024:599 2048:1\nstw_whole_hist_ns 262144:590 inf:10\n",
		"net/dev": "h\nh\n  eth0: 1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0\n",
		"net/snmp": "Tcp: ActiveOpens PassiveOpens CurrEstab\nTcp: 3 4 1\n" +
			"Udp: InDatagrams NoPorts\nUdp: 7 2\n",
	})
	return dir
}

func TestServe(t *testing.T) {
	base, logw := start(t, fakeProc(t))
	for _, tc := range []struct {
		method, path string
		hdr          map[string]string
		status       int
		ctype        string
		body         string // exact, unless contains is set
		contains     []string
		respHdr      map[string]string
	}{
		{method: "GET", path: "/", status: 200, ctype: "text/html; charset=utf-8", body: index},
		{method: "GET", path: "/a.txt", status: 200, ctype: "text/plain; charset=utf-8", body: "0123456789"},
		{method: "GET", path: "/sub/b.css", status: 200, ctype: "text/css; charset=utf-8", body: "body{}"},
		{method: "HEAD", path: "/a.txt", status: 200, ctype: "text/plain; charset=utf-8", body: "",
			respHdr: map[string]string{"Content-Length": "10"}},
		{method: "GET", path: "/a.txt", hdr: map[string]string{"Range": "bytes=2-5"}, status: 206, body: "2345",
			respHdr: map[string]string{"Content-Range": "bytes 2-5/10", "Accept-Ranges": "bytes"}},
		{method: "GET", path: "/a.txt", hdr: map[string]string{"Range": "bytes=-3"}, status: 206, body: "789"},
		{method: "GET", path: "/a.txt", hdr: map[string]string{"Range": "bytes=20-30"}, status: 416,
			respHdr: map[string]string{"Content-Range": "bytes */10"}},
		{method: "GET", path: "/sub/", status: 200, ctype: "text/html; charset=utf-8",
			contains: []string{`<a href="b.css">b.css</a>`, `<a href="other.json">other.json</a>`}},
		{method: "GET", path: "/sub", status: 301, respHdr: map[string]string{"Location": "sub/"}},
		{method: "GET", path: "/missing", status: 404},
		{method: "POST", path: "/a.txt", status: 405, respHdr: map[string]string{"Allow": "GET, HEAD"}},
		{method: "DELETE", path: "/", status: 405},
		{method: "GET", path: "/status", status: 200, ctype: "text/plain; charset=utf-8",
			contains: []string{"uptime:   1h2m6s", "memory:   512.0 MiB total, 256.0 MiB free",
				"kernel gc: 300 collections, 5ms paused in all, longest of the last 3: 180µs\n" +
					"kernel gc pauses (ns, oldest first): 21000 180000 9000\n" +
					"kernel gc stop-the-world to stop (ns at most:count, since boot): 1024:599 2048:1\n" +
					"kernel gc stop-the-world whole (ns at most:count, since boot): 262144:590 inf:10\n",
				"eth0   rx 1000 bytes 10 packets", "tcp   ActiveOpens=3 PassiveOpens=4 CurrEstab=1", "udp   InDatagrams=7 NoPorts=2"}},
	} {
		name := tc.method + " " + tc.path
		req, _ := http.NewRequest(tc.method, base+tc.path, nil)
		for k, v := range tc.hdr {
			req.Header.Set(k, v)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", name, resp.StatusCode, tc.status)
		}
		if tc.ctype != "" && resp.Header.Get("Content-Type") != tc.ctype {
			t.Errorf("%s: Content-Type %q, want %q", name, resp.Header.Get("Content-Type"), tc.ctype)
		}
		if tc.contains == nil && (tc.status == 200 || tc.status == 206) && string(body) != tc.body {
			t.Errorf("%s: body %q, want %q", name, body, tc.body)
		}
		for _, s := range tc.contains {
			if !strings.Contains(string(body), s) {
				t.Errorf("%s: body lacks %q:\n%s", name, s, body)
			}
		}
		for k, v := range tc.respHdr {
			if resp.Header.Get(k) != v {
				t.Errorf("%s: %s %q, want %q", name, k, resp.Header.Get(k), v)
			}
		}
	}
	log := logw.String()
	for _, want := range []string{`"GET /a.txt HTTP/1.1" 200 10 `, `"HEAD /a.txt HTTP/1.1" 200 0 `,
		`"GET /a.txt HTTP/1.1" 206 4 `, `"POST /a.txt HTTP/1.1" 405 `, `"GET /missing HTTP/1.1" 404 `} {
		if !strings.Contains(log, want) {
			t.Errorf("request log lacks %q:\n%s", want, log)
		}
	}
	if n := strings.Count(log, "\n"); n != 13 {
		t.Errorf("request log has %d lines, want 13:\n%s", n, log)
	}
}

var noRedirect = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// TestStatusWithoutProc: a kernel without the /proc files still gets a
// status page, each missing part marked unavailable.
func TestStatusWithoutProc(t *testing.T) {
	h := newHandler(t.TempDir(), filepath.Join(t.TempDir(), "none"), io.Discard, time.Now())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/status", nil))
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	body := rec.Body.String()
	for _, want := range []string{"uptime:   unavailable", "memory:   unavailable", "kernel gc: unavailable", "interfaces:\n  unavailable", "protocols:\n  unavailable", "httpd:    up "} {
		if !strings.Contains(body, want) {
			t.Errorf("status lacks %q:\n%s", want, body)
		}
	}
}

// TestKeepAlive: two requests reuse one connection.
func TestKeepAlive(t *testing.T) {
	base, _ := start(t, t.TempDir())
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var reused []bool
	for i := 0; i < 3; i++ {
		trace := &httptrace.ClientTrace{GotConn: func(ci httptrace.GotConnInfo) { reused = append(reused, ci.Reused) }}
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", base+"/a.txt", nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if fmt.Sprint(reused) != "[false true true]" {
		t.Errorf("connection reuse %v, want [false true true]", reused)
	}
}

// TestBadRequests sends malformed requests on raw connections: each gets a
// 4xx and the server goes on serving.
func TestBadRequests(t *testing.T) {
	base, logw := start(t, t.TempDir())
	addr := strings.TrimPrefix(base, "http://")
	for _, tc := range []struct {
		req    string
		status string
	}{
		{"GARBAGE\r\n\r\n", "400"},
		{"GET / HTTP/1.1\r\n\r\n", "400"}, // no Host
		{"GET / HTTP/9.9\r\nHost: x\r\n\r\n", "505"},
		{"GET ../a.txt HTTP/1.1\r\nHost: x\r\n\r\n", "400"},
		{"GET / HTTP/1.1\r\nHost: x\r\nX: " + strings.Repeat("a", 64<<10) + "\r\n\r\n", "431"},
		{"GET /a.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=x-y\r\n\r\n", "416"},
	} {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, tc.req)
		line, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if err != nil {
			t.Errorf("%.30q: %v", tc.req, err)
			continue
		}
		if f := strings.Fields(line); len(f) < 2 || f[1] != tc.status {
			t.Errorf("%.30q: got %q, want status %s", tc.req, line, tc.status)
		}
	}
	resp, err := noRedirect.Get(base + "/")
	if err != nil {
		t.Fatalf("server died after bad requests: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("after bad requests: status %d", resp.StatusCode)
	}
	// A path climbing out of the root is cleaned to one inside it.
	resp, err = http.Get(base + "/../../../etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("/../../../etc/passwd: status %d, want 404", resp.StatusCode)
	}
	if log := logw.String(); !strings.Contains(log, `"GET / HTTP/1.1" 200`) {
		t.Errorf("request log lacks the good request:\n%s", log)
	}
}

// TestManyConnections: 1,000 connections, 50 at a time, each a fresh
// TCP connection (no keep-alive), all answered.
func TestManyConnections(t *testing.T) {
	base, _ := start(t, t.TempDir())
	const total, parallel = 1000, 50
	errs := make(chan error, total)
	sem := make(chan struct{}, parallel)
	for i := 0; i < total; i++ {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			tr := &http.Transport{DisableKeepAlives: true}
			c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
			resp, err := c.Get(base + "/a.txt")
			if err != nil {
				errs <- err
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && (resp.StatusCode != 200 || string(b) != "0123456789") {
				err = fmt.Errorf("status %d body %q", resp.StatusCode, b)
			}
			errs <- err
		}()
	}
	failed := 0
	for i := 0; i < total; i++ {
		if err := <-errs; err != nil {
			if failed++; failed <= 3 {
				t.Error(err)
			}
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d connections failed", failed, total)
	}
}
