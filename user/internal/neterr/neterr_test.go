package neterr

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestExplain(t *testing.T) {
	addr := &net.TCPAddr{IP: net.IPv4(10, 0, 2, 2), Port: 80}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"other", errors.New("boom"), "boom"},
		{"notfound", &net.DNSError{Name: "nowhere.example", Err: "no such host", IsNotFound: true}, "nowhere.example: no such host"},
		{"dnstimeout", &net.DNSError{Name: "a.b", Server: "10.0.2.3:53", IsTimeout: true}, "cannot resolve a.b: no answer from the name server 10.0.2.3:53"},
		{"dnsother", &net.DNSError{Name: "a.b", Err: "server misbehaving"}, "cannot resolve a.b: server misbehaving"},
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Addr: addr, Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, "dial 10.0.2.2:80: connection refused"},
		{"unreach", &net.OpError{Op: "dial", Net: "tcp", Addr: addr, Err: os.NewSyscallError("connect", syscall.ENETUNREACH)}, "network is unreachable"},
		{"nosocket", &net.OpError{Op: "dial", Net: "tcp", Addr: addr, Err: os.NewSyscallError("socket", syscall.EAFNOSUPPORT)}, "this kernel has no tcp sockets"},
		{"notavail", &net.OpError{Op: "listen", Net: "tcp", Addr: addr, Err: os.NewSyscallError("bind", syscall.EADDRNOTAVAIL)}, "listen 10.0.2.2:80: no interface has the address"},
		{"inuse", &net.OpError{Op: "listen", Net: "tcp", Addr: addr, Err: os.NewSyscallError("bind", syscall.EADDRINUSE)}, "listen 10.0.2.2:80: address already in use"},
	} {
		got := Explain(tc.err)
		if tc.want == "" {
			if got != nil {
				t.Errorf("%s: got %v, want nil", tc.name, got)
			}
			continue
		}
		if got == nil || !strings.Contains(got.Error(), tc.want) {
			t.Errorf("%s: got %v, want it to contain %q", tc.name, got, tc.want)
		}
	}
}

// TestExplainReal checks the wording on errors the net package really
// returns: a refused loopback connection and a lookup with no name server.
func TestExplainReal(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = net.DialTimeout("tcp", addr, 5*time.Second)
	if got := Explain(err); got == nil || !strings.Contains(got.Error(), "connection refused") {
		t.Errorf("refused dial: got %v", got)
	}
	r := &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no network")
	}}
	_, err = r.LookupHost(context.Background(), "scone-test.example")
	if got := Explain(err); got == nil || !strings.Contains(got.Error(), "cannot resolve scone-test.example") {
		t.Errorf("lookup without a name server: got %v", got)
	}
}
