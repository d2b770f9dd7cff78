package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"scone/user/internal/neterr"
)

func TestReportURL(t *testing.T) {
	for _, tc := range []struct {
		server, city string
		color        bool
		want         string
	}{
		{"wttr.in", "", false, "http://wttr.in/?T"},
		{"wttr.in", "Cambridge", false, "http://wttr.in/Cambridge?T"},
		{"wttr.in", "New York", true, "http://wttr.in/New%20York"},
		{"10.0.2.2:8080", "São Paulo", false, "http://10.0.2.2:8080/S%C3%A3o%20Paulo?T"},
	} {
		if got := reportURL(tc.server, tc.city, tc.color); got != tc.want {
			t.Errorf("reportURL(%q, %q, %v) = %q, want %q", tc.server, tc.city, tc.color, got, tc.want)
		}
	}
}

// TestMirror fetches from a stand-in for wttr.in, as `wttr -server` does.
func TestMirror(t *testing.T) {
	const report = "Weather report: Cambridge\n\n     \\   /     Sunny\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case !strings.HasPrefix(r.UserAgent(), "curl/"):
			http.Error(w, "<html>browser page</html>", 200)
		case r.URL.Path == "/Cambridge" && r.URL.RawQuery == "T":
			w.Write([]byte(report))
		default:
			http.Error(w, "Unknown location", http.StatusNotFound)
		}
	}))
	defer srv.Close()
	server := strings.TrimPrefix(srv.URL, "http://")
	c := &http.Client{Timeout: 10 * time.Second}
	var out strings.Builder
	if err := fetch(c, &out, server, "Cambridge", false); err != nil {
		t.Fatal(err)
	}
	if out.String() != report {
		t.Errorf("got %q, want %q", out.String(), report)
	}
	err := fetch(c, &out, server, "Nowhere", false)
	if err == nil || !strings.Contains(err.Error(), "404 Not Found") || !strings.Contains(err.Error(), "Unknown location") {
		t.Errorf("unknown city: %v", err)
	}
}

// TestNoNetwork: without a name server the error names what failed.
func TestNoNetwork(t *testing.T) {
	r := &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("network is down")
	}}
	d := &net.Dialer{Resolver: r, Timeout: 5 * time.Second}
	c := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}, Timeout: 10 * time.Second}
	err := neterr.Explain(fetch(c, new(strings.Builder), "wttr.in", "", false))
	if err == nil || !strings.Contains(err.Error(), "cannot resolve wttr.in") {
		t.Errorf("got %v, want a resolver error naming wttr.in", err)
	}
	// A mirror that is not there.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	err = neterr.Explain(fetch(&http.Client{Timeout: 10 * time.Second}, new(strings.Builder), addr, "", false))
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("got %v, want connection refused", err)
	}
}
