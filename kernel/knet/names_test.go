package knet

import (
	"testing"

	"scone/kernel/net/dhcp"
	"scone/kernel/net/tcpip"
)

func TestNamesFiles(t *testing.T) {
	a := tcpip.MustParseAddr
	const head = "# written by the Scone kernel from the network configuration\n"
	tests := []struct {
		name         string
		in           Names
		resolv, host string
	}{
		{"none", Names{}, head, head + "127.0.0.1\tlocalhost\n127.0.1.1\tscone\n"},
		{"slirp", Names{Addr: a("10.0.2.15"), DNS: []tcpip.Addr{a("10.0.2.3")}},
			head + "nameserver 10.0.2.3\n", head + "127.0.0.1\tlocalhost\n10.0.2.15\tscone\n"},
		{"domain and four servers", Names{Addr: a("192.168.1.9"), Domain: "lab.example", DNS: []tcpip.Addr{a("1.1.1.1"), a("8.8.8.8"), a("9.9.9.9"), a("4.4.4.4")}},
			head + "search lab.example\nnameserver 1.1.1.1\nnameserver 8.8.8.8\nnameserver 9.9.9.9\n",
			head + "127.0.0.1\tlocalhost\n192.168.1.9\tscone.lab.example\tscone\n"},
	}
	for _, tt := range tests {
		if got := string(tt.in.ResolvConf()); got != tt.resolv {
			t.Errorf("%s: resolv.conf %q, want %q", tt.name, got, tt.resolv)
		}
		if got := string(tt.in.Hosts()); got != tt.host {
			t.Errorf("%s: hosts %q, want %q", tt.name, got, tt.host)
		}
	}
}

// TestWatchNames: the watcher hears the naming at once, then each lease
// that changes it, and not a renewal that changes nothing.
func TestWatchNames(t *testing.T) {
	a := tcpip.MustParseAddr
	n := &Net{}
	var got []Names
	n.WatchNames(func(c Names) { got = append(got, c) })
	l := dhcp.Lease{Addr: a("10.0.2.15"), DNS: []tcpip.Addr{a("10.0.2.3")}}
	n.setNames(namesOf(l))
	n.setNames(namesOf(l)) // a renewal
	l.DNS = []tcpip.Addr{a("10.0.2.4")}
	n.setNames(namesOf(l))
	if len(got) != 3 || !got[0].equal(Names{}) || got[1].DNS[0] != a("10.0.2.3") || got[2].DNS[0] != a("10.0.2.4") {
		t.Fatalf("watcher saw %+v, want none, then 10.0.2.3, then 10.0.2.4", got)
	}
}
