package khttp

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"scone/kernel/net/nettest"
	"scone/kernel/net/socket"
	"scone/kernel/net/tcpip"
)

// setup serves on B's port 80 and returns a connected client socket on A.
func setup(t *testing.T) (*Server, socket.Socket, context.Context) {
	t.Helper()
	p := nettest.NewPair(t, nettest.PairOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	srv := &Server{Status: func(w io.Writer) error { return WriteRuntime(w, time.Now()) }}
	l, err := socket.NewLayer(p.B).Socket(socket.Stream)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Bind(tcpip.FullAddr{Port: 80}); err != nil {
		t.Fatal(err)
	}
	if err := l.Listen(8); err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ctx, l)
	t.Cleanup(func() { l.Close() })
	c, err := socket.NewLayer(p.A).Socket(socket.Stream)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(ctx, tcpip.FullAddr{Addr: nettest.AddrB, Port: 80}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return srv, c, ctx
}

// TestKeepAlive sends a series of requests on one connection, the first
// three pipelined, and checks each answer.
func TestKeepAlive(t *testing.T) {
	srv, c, ctx := setup(t)
	body := bytes.Repeat([]byte("scone"), 100000)
	sum := sha256.Sum256(body)
	tests := []struct {
		req      string
		status   int
		wantBody func([]byte) error
	}{
		{"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 200, contains("since boot: gc stop-the-world up to")},
		{"GET /bytes/1000 HTTP/1.1\r\n\r\n", 200, patternOf(1000)},
		{"GET /bytes/0 HTTP/1.1\r\n\r\n", 200, patternOf(0)},
		{"GET /bytes/300000 HTTP/1.1\r\n\r\n", 200, patternOf(300000)},
		{fmt.Sprintf("POST /sink HTTP/1.1\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n%s", len(body), body), 200,
			contains(fmt.Sprintf("length %d sha256 %x\n", len(body), sum))},
		{"POST /sink HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 200,
			contains(fmt.Sprintf("length 0 sha256 %x\n", sha256.Sum256(nil)))},
		{"GET /nothing HTTP/1.1\r\n\r\n", 404, contains("not found")},
		{"DELETE / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", 405, contains("GET, HEAD")},
		{"GET /bytes/x HTTP/1.1\r\n\r\n", 400, contains("N must be")},
		{"HEAD / HTTP/1.1\r\n\r\n", 200, nil},
		{"POST /sink HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 411, contains("chunked")},
	}
	var all strings.Builder
	for _, tt := range tests[:3] {
		all.WriteString(tt.req)
	}
	w := func(s string) {
		if _, err := c.Write(ctx, []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	w(all.String())
	br := bufio.NewReader(conn{ctx, c})
	for i, tt := range tests {
		if i >= 3 {
			w(tt.req)
		}
		method := strings.Fields(tt.req)[0]
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err == nil && resp.StatusCode == 100 {
			resp, err = http.ReadResponse(br, &http.Request{Method: method})
		}
		if err != nil {
			t.Fatalf("%q: %v", short(tt.req), err)
		}
		got, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("%q: body: %v", short(tt.req), err)
		}
		if resp.StatusCode != tt.status {
			t.Errorf("%q: status %d, want %d (%s)", short(tt.req), resp.StatusCode, tt.status, got)
		}
		if tt.wantBody != nil {
			if err := tt.wantBody(got); err != nil {
				t.Errorf("%q: %v", short(tt.req), err)
			}
		}
	}
	// The chunked request closed the connection.
	if n, err := br.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("after 411: read %d, %v; want EOF", n, err)
	}
	if srv.Errors.Load() != 1 {
		t.Errorf("%d requests refused as malformed, want 1", srv.Errors.Load())
	}
}

// TestBadRequests checks that malformed requests get an error status and
// the connection closed.
func TestBadRequests(t *testing.T) {
	tests := []struct {
		req    string
		status int
	}{
		{"GARBAGE\r\n\r\n", 400},
		{"GET / HTTP/2.0\r\n\r\n", 400},
		{"POST /sink HTTP/1.1\r\nContent-Length: -5\r\n\r\n", 400},
		{"POST /sink HTTP/1.1\r\n\r\n", 411},
		{"GET / HTTP/1.1\r\nX: " + strings.Repeat("a", maxHeader) + "\r\n\r\n", 431},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			_, c, ctx := setup(t)
			if _, err := c.Write(ctx, []byte(tt.req)); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn{ctx, c}), nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status || !resp.Close {
				t.Errorf("status %d close %v, want %d and close", resp.StatusCode, resp.Close, tt.status)
			}
		})
	}
}

func contains(s string) func([]byte) error {
	return func(b []byte) error {
		if !bytes.Contains(b, []byte(s)) {
			return fmt.Errorf("body %q lacks %q", b, s)
		}
		return nil
	}
}

func patternOf(n int) func([]byte) error {
	return func(b []byte) error {
		if len(b) != n {
			return fmt.Errorf("%d bytes, want %d", len(b), n)
		}
		for i, v := range b {
			if v != byte(i%251) {
				return fmt.Errorf("byte %d is %d, want %d", i, v, i%251)
			}
		}
		return nil
	}
}

func short(s string) string { return s[:min(len(s), 24)] }

// TestClient fetches and pushes through the client half against the
// server half.
func TestClient(t *testing.T) {
	p := nettest.NewPair(t, nettest.PairOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	go (&Server{}).ListenAndServe(ctx, socket.NewLayer(p.B), 80)
	a := socket.NewLayer(p.A)
	addr := tcpip.FullAddr{Addr: nettest.AddrB, Port: 80}
	var n, bad int64
	var err error
	for i := 0; i < 100; i++ { // until the server listens
		if n, bad, err = Fetch(ctx, a, addr, "/bytes/1000003"); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil || n != 1000003 || bad != -1 {
		t.Fatalf("Fetch: %d bytes, first bad %d, %v", n, bad, err)
	}
	got, err := Push(ctx, a, addr, "/sink", 700001)
	b := make([]byte, 700001)
	for i := range b {
		b[i] = Pattern(int64(i))
	}
	if want := fmt.Sprintf("length 700001 sha256 %x", sha256.Sum256(b)); err != nil || got != want {
		t.Errorf("Push: %q, %v; want %q", got, err, want)
	}
	if _, _, err := Fetch(ctx, a, addr, "/nothing"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("Fetch of a missing page: %v, want status 404", err)
	}
}
