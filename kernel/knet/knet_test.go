package knet

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"scone/kernel/net/host"
	"scone/kernel/net/link"
	"scone/kernel/net/tcpip"
)

func TestParseIP(t *testing.T) {
	a := tcpip.MustParseAddr
	tests := []struct {
		in   string
		want *Static
		err  string
	}{
		{"10.0.2.15/24,10.0.2.2", &Static{Addr: a("10.0.2.15"), Prefix: 24, Gateway: a("10.0.2.2")}, ""},
		{"10.0.2.15/24,10.0.2.2,10.0.2.3", &Static{Addr: a("10.0.2.15"), Prefix: 24, Gateway: a("10.0.2.2"), DNS: []tcpip.Addr{a("10.0.2.3")}}, ""},
		{"192.168.1.9/16,0.0.0.0", &Static{Addr: a("192.168.1.9"), Prefix: 16}, ""},
		{"10.0.2.15/24", nil, "want ADDR/PREFIX,GATEWAY"},
		{"10.0.2.15,10.0.2.2", nil, "needs a /PREFIX"},
		{"10.0.2.15/33,10.0.2.2", nil, "not 1-32"},
		{"10.0.2.15/x,10.0.2.2", nil, "not 1-32"},
		{"10.0.2/24,10.0.2.2", nil, "knet"},
		{"10.0.2.15/24,10.0.3.2", nil, "not on 10.0.2.0/24"},
		{"10.0.2.15/24,10.0.2.2,dns", nil, "DNS server"},
	}
	for _, tt := range tests {
		got, err := ParseIP(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseIP(%q) = %v, want an error with %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || fmt.Sprint(*got) != fmt.Sprint(*tt.want) {
			t.Errorf("ParseIP(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

// pipeNIC is a pipe end dressed as a driver.
type pipeNIC struct{ *link.PipeEnd }

func (pipeNIC) Driver() string { return "pipe" }
func (pipeNIC) LinkUp() bool   { return true }
func (pipeNIC) WriteStats(w io.Writer) error {
	_, err := io.WriteString(w, "pipe: 7 frames\n")
	return err
}

// TestStartStatic brings the network up with a static address against a
// peer on an in-memory link, pings the peer, and checks that `net` shows
// the address, router, DNS, MAC, driver and the counters of each layer.
func TestStartStatic(t *testing.T) {
	a, b := link.NewPipe(link.PipeConfig{}, tcpip.MAC{2, 0, 0, 0, 0, 1}, tcpip.MAC{2, 0, 0, 0, 0, 2})
	peer, err := host.New(b, host.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	if err := peer.Configure(tcpip.MustParseAddr("10.0.2.2"), 24, tcpip.Addr{}, nil); err != nil {
		t.Fatal(err)
	}
	st, err := ParseIP("10.0.2.15/24,10.0.2.2,10.0.2.3")
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	n, err := Start(pipeNIC{a}, st, &log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Host.Close(); current.Store(nil) })
	if Get() != n {
		t.Fatal("Get does not return the started network")
	}
	if _, err := Start(pipeNIC{a}, st, io.Discard); err == nil {
		t.Error("a second Start succeeded")
	}
	if want := "net: eth0 10.0.2.15/24 router 10.0.2.2 dns 10.0.2.3 (static)\n"; log.String() != want {
		t.Errorf("log %q, want %q", log.String(), want)
	}
	var names Names
	n.WatchNames(func(c Names) { names = c })
	if want := "# written by the Scone kernel from the network configuration\nnameserver 10.0.2.3\n"; string(names.ResolvConf()) != want {
		t.Errorf("resolv.conf %q, want %q (ip='s DNS)", names.ResolvConf(), want)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Host.Ping(ctx, tcpip.MustParseAddr("10.0.2.2"), 1); err != nil {
		t.Fatalf("ping the peer: %v", err)
	}
	var out bytes.Buffer
	if err := n.WriteStatus(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"eth0: 10.0.2.15/24 (static), router 10.0.2.2, dns 10.0.2.3\n",
		"eth0: mac 02:00:00:00:00:01, mtu 1500, driver pipe, link up\n",
		"pipe: 7 frames\n",
		"eth0: rx ",
		"lo: rx 0 packets",
		"Icmp", "Tcp", "Udp",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("net status lacks %q:\n%s", want, out.String())
		}
	}
}

// FuzzParseIP: no panic, and an accepted value is usable.
func FuzzParseIP(f *testing.F) {
	for _, s := range []string{"10.0.2.15/24,10.0.2.2", "10.0.2.15/24,10.0.2.2,10.0.2.3", "1.2.3.4/32,0.0.0.0", ",", "/,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		s, err := ParseIP(v)
		if err != nil {
			return
		}
		if s.Prefix < 1 || s.Prefix > 32 || (!s.Gateway.IsUnspecified() && !tcpip.SubnetOf(s.Addr, s.Prefix).Contains(s.Gateway)) {
			t.Fatalf("ParseIP(%q) accepted %+v", v, s)
		}
	})
}
