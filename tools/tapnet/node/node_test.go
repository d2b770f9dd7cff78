package node

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"scone/kernel/net/dns"
	"scone/kernel/net/host"
	"scone/kernel/net/link"
	"scone/kernel/net/tcpip"
)

var (
	addrA = tcpip.MustParseAddr("10.1.0.1")
	addrB = tcpip.MustParseAddr("10.1.0.2")
)

// pair returns two nodes joined by an in-memory pipe, statically addressed;
// B is A's DNS server.
func pair(t *testing.T) (a, b *Node) {
	t.Helper()
	ea, eb := link.NewPipe(link.PipeConfig{}, tcpip.MAC{2, 0, 0, 0, 0, 1}, tcpip.MAC{2, 0, 0, 0, 0, 2})
	var err error
	if a, err = New(ea, Options{}); err != nil {
		t.Fatal(err)
	}
	if b, err = New(eb, Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	t.Cleanup(b.Close)
	if err := a.Configure(addrA, 24, tcpip.Addr{}, []tcpip.Addr{addrB}); err != nil {
		t.Fatal(err)
	}
	if err := b.Configure(addrB, 24, tcpip.Addr{}, nil); err != nil {
		t.Fatal(err)
	}
	return a, b
}

// TestHTTPAndDNSOverStack: A resolves B's name through a DNS server on B
// (exercising the UDP glue) and fetches a page from B's HTTP server
// (exercising Listener, Conn and Dial).
func TestHTTPAndDNSOverStack(t *testing.T) {
	a, b := pair(t)
	// A one-record DNS server on B, over the same UDP glue.
	var srv *host.UDPConn
	srv, err := host.ListenUDP(b.UDP, tcpip.FullAddr{Port: 53}, -1, func(src tcpip.FullAddr, q []byte) {
		m, err := dns.Parse(q)
		if err != nil || len(m.Questions) != 1 {
			return
		}
		m.Response = true
		m.Answers = []dns.Resource{{Name: m.Questions[0].Name, Type: dns.TypeA, Class: dns.ClassINET, TTL: 60, A: addrB}}
		r, _ := m.Marshal()
		srv.SendTo(src, r)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	l, err := b.Listen(80)
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: Handler("hello from b\n", b)}
	go hs.Serve(l)
	defer hs.Close()

	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DialContext: a.Dial}}
	resp, err := client.Get("http://b.test/hello")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(body) != "hello from b\n" {
		t.Fatalf("body %q, %v", body, err)
	}
	// POST a body and get it back on a new connection: the name comes
	// from the resolver's cache this time.
	client.CloseIdleConnections()
	resp, err = client.Post("http://b.test/echo", "text/plain", strings.NewReader("echo me"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "echo me" {
		t.Fatalf("echo %q", body)
	}
	if st := a.Resolver.Stats(); st.Replies != 1 || st.CacheHits != 1 {
		t.Errorf("resolver stats %+v: want one reply, then the cache", st)
	}
	// B's counters and its /proc/net/tcp, which shows the listener on
	// port 80 (0050) in state LISTEN (0A).
	for _, tc := range []struct{ path, want string }{
		{"/stats", "Tcp:\n    ActiveOpens: 0\n"},
		{"/stats", "Udp:\n"},
		{"/proc/net/tcp", ":0050 00000000:0000 0A "},
	} {
		resp, err := client.Get("http://b.test" + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), tc.want) {
			t.Errorf("%s lacks %q:\n%s", tc.path, tc.want, body)
		}
	}
}

// connPair returns both ends of a TCP connection from A to B.
func connPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	a, b := pair(t)
	l, err := b.Listen(7)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client, err = a.Dial(ctx, "tcp", addrB.String()+":7")
	if err != nil {
		t.Fatal(err)
	}
	select {
	case server = <-accepted:
	case <-time.After(10 * time.Second):
		t.Fatal("no connection accepted")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

func TestDeadlines(t *testing.T) {
	c, s := connPair(t)
	buf := make([]byte, 10)

	// A deadline in the past fails at once, as a timeout.
	c.SetReadDeadline(time.Now().Add(-time.Second))
	if _, err := c.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("past deadline: %v", err)
	}
	var ne net.Error
	// The clock is read once, before the deadline is set: a test
	// descheduled between setting it and reading the clock again would
	// measure a wait shorter than the deadline.
	start := time.Now()
	deadline := start.Add(50 * time.Millisecond)
	c.SetReadDeadline(deadline)
	if _, err := c.Read(buf); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("deadline: %v", err)
	}
	if now := time.Now(); now.Before(deadline) || now.Sub(start) > 5*time.Second {
		t.Errorf("deadline of 50ms fired after %v", now.Sub(start))
	}

	// Setting a deadline in the past interrupts a blocked Read (net/http
	// relies on this); moving it later lets the Read go on.
	c.SetReadDeadline(time.Time{})
	done := make(chan error, 1)
	go func() {
		_, err := c.Read(buf)
		done <- err
	}()
	c.SetReadDeadline(time.Now().Add(time.Hour)) // extend: the Read must continue
	select {
	case err := <-done:
		t.Fatalf("Read returned %v after its deadline was extended", err)
	case <-time.After(50 * time.Millisecond):
	}
	c.SetReadDeadline(time.Now())
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("interrupted Read: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Read not interrupted by a past deadline")
	}

	// Data still flows after all that, and Close ends the peer's Read.
	c.SetReadDeadline(time.Time{})
	if _, err := s.Write([]byte("hi")); err != nil {
		t.Fatal(err)
	}
	if n, err := io.ReadFull(c, buf[:2]); err != nil || string(buf[:n]) != "hi" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	s.Close()
	if _, err := c.Read(buf); err != io.EOF {
		t.Fatalf("after peer close: %v, want io.EOF", err)
	}
}

func TestCloseWakesRead(t *testing.T) {
	c, _ := connPair(t)
	done := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 1))
		done <- err
	}()
	c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Read after Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not wake Read")
	}
}

func TestDialErrors(t *testing.T) {
	a, _ := pair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tests := []struct{ network, addr string }{
		{"udp", "10.1.0.2:1"},
		{"tcp", "10.1.0.2"},
		{"tcp", "10.1.0.2:99999"},
		{"tcp", "10.1.0.2:9"}, // nothing listening: refused
	}
	for _, tt := range tests {
		if c, err := a.Dial(ctx, tt.network, tt.addr); err == nil {
			c.Close()
			t.Errorf("Dial(%s, %s) succeeded", tt.network, tt.addr)
		}
	}
}
