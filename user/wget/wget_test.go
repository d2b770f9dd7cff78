package main

import (
	"bytes"
	"crypto/sha256"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestOutName(t *testing.T) {
	for in, want := range map[string]string{
		"http://h/":             "index.html",
		"http://h":              "index.html",
		"http://h/a/b.tar.gz":   "b.tar.gz",
		"http://h/dir/":         "index.html",
		"http://h/x?y=1":        "x",
		"http://h/%20space.txt": " space.txt",
	} {
		u, _ := url.Parse(in)
		if got := outName(u); got != want {
			t.Errorf("outName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestProgressLine(t *testing.T) {
	t0 := time.Unix(0, 0)
	now := t0.Add(2 * time.Second)
	p := &progress{n: 1 << 20, total: 4 << 20, start: t0, now: func() time.Time { return now }}
	want := " 25%[=======>                      ]       1.0M      512.0K/s  eta 6s"
	if got := p.line(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	p.n = 4 << 20
	if got := p.line(); !strings.HasPrefix(got, "100%[==============================]") || !strings.HasSuffix(got, "eta in 2s") {
		t.Errorf("done: %q", got)
	}
	p.total = -1
	if got := p.line(); got != "        4.0M        2.0M/s" {
		t.Errorf("unknown length: %q", got)
	}
}

// TestGet downloads 3 MiB from a loopback server and checks every byte,
// the messages, and the errors for a missing page, a short body and a
// server that is not there.
func TestGet(t *testing.T) {
	data := make([]byte, 3<<20+123)
	r := rand.NewChaCha8([32]byte{1})
	r.Read(data)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/big.bin":
			w.Header().Set("Content-Type", "application/octet-stream")
			http.ServeContent(w, req, "big.bin", time.Time{}, bytes.NewReader(data))
		case "/short":
			w.Header().Set("Content-Length", strconv.Itoa(1000))
			w.Write(data[:500])
		default:
			http.NotFound(w, req)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	var log bytes.Buffer
	g := &getter{Client: &http.Client{Timeout: 30 * time.Second}, Log: &log, TTY: true}
	out := filepath.Join(dir, "got.bin")
	if err := g.Get(srv.URL+"/big.bin", out); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("downloaded %d bytes differ from the %d served", len(got), len(data))
	}
	for _, want := range []string{"Connecting to 127.0.0.1:", "connected.", "awaiting response... 200 OK",
		"Length: 3145851 (3.0M) [application/octet-stream]", "Saving to: '" + out + "'",
		"\r100%[==============================]", "' saved [3145851/3145851]"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%q", want, log.String())
		}
	}

	// Without -O the name comes from the URL, in the working directory.
	t.Chdir(dir)
	if err := (&getter{Client: http.DefaultClient, Log: new(bytes.Buffer)}).Get(strings.TrimPrefix(srv.URL, "http://")+"/big.bin", ""); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "big.bin")); err != nil || fi.Size() != int64(len(data)) {
		t.Errorf("big.bin: %v %v", fi, err)
	}

	for _, tc := range []struct{ url, want string }{
		{srv.URL + "/missing", "404 Not Found"},
		{srv.URL + "/short", "connection closed at byte 500 of 1000"},
		{"https://example.com/", "only http:// URLs"},
	} {
		g := &getter{Client: &http.Client{Timeout: 10 * time.Second}, Log: new(bytes.Buffer)}
		if err := g.Get(tc.url, filepath.Join(dir, "x")); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.url, err, tc.want)
		}
	}
	// Quiet prints nothing.
	var quiet bytes.Buffer
	if err := (&getter{Client: http.DefaultClient, Log: &quiet, Quiet: true, TTY: true}).Get(srv.URL+"/big.bin", filepath.Join(dir, "q")); err != nil || quiet.Len() != 0 {
		t.Errorf("quiet: %v, %q", err, quiet.String())
	}
}
