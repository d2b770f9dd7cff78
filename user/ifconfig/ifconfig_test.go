package main

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"scone/user/internal/testnet"
)

func TestParseSettings(t *testing.T) {
	a := netip.MustParseAddr
	for _, tc := range []struct {
		args string
		want settings
		err  string
	}{
		{args: "10.0.2.15", want: settings{addr: a("10.0.2.15")}},
		{args: "10.0.2.15/24 up", want: settings{addr: a("10.0.2.15"), mask: a("255.255.255.0"), up: true}},
		{args: "10.0.2.15 netmask 255.255.0.0 mtu 1400 down", want: settings{addr: a("10.0.2.15"), mask: a("255.255.0.0"), mtu: 1400, down: true}},
		{args: "netmask 255.255.255.255", want: settings{mask: a("255.255.255.255")}},
		{args: "netmask 0.0.0.0", want: settings{mask: a("0.0.0.0")}},
		{args: "netmask 255.0.255.0", err: "bad netmask"},
		{args: "netmask", err: "netmask needs a value"},
		{args: "mtu 10", err: "bad mtu"},
		{args: "fe80::1", err: "IPv4 only"},
		{args: "10.0.0.1 10.0.0.2", err: `unexpected "10.0.0.2"`},
		{args: "up down", err: "up and down together"},
	} {
		got, err := parseSettings(strings.Fields(tc.args))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: got %+v, %v; want %+v", tc.args, got, err, tc.want)
		}
	}
}

// TestConfigure sets a veth interface's address, netmask, MTU and state in
// a namespace of the test's own, then checks them with iproute2 and with
// ifconfig's own listing.
func TestConfigure(t *testing.T) {
	bin := testnet.Build(t, "scone/user/ifconfig")
	out, err := testnet.Netns(t, 30*time.Second, `
ip link add v0 type veth peer name v1
`+bin+` v0 10.9.8.7 netmask 255.255.255.0 mtu 1400 up
ip -4 -o addr show dev v0
ip -o link show dev v0
echo ---
`+bin+` v0
echo ---
`+bin+`
echo ---
`+bin+` -a
echo ---
`+bin+` v0 down
`+bin+` -a | grep '^v0:'
`+bin+` nosuch || echo status $?
`)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	parts := strings.Split(out, "---\n")
	if len(parts) != 5 {
		t.Fatalf("output:\n%s", out)
	}
	for i, wants := range [][]string{
		{"inet 10.9.8.7/24 brd 10.9.8.255", "mtu 1400", ",UP"},
		{"v0: flags=4099<UP,BROADCAST,MULTICAST>  mtu 1400\n        inet 10.9.8.7  netmask 255.255.255.0  broadcast 10.9.8.255\n        ether ",
			"        RX packets 0  bytes 0 (0.0 B)\n"},
		{"lo: flags=73<UP,LOOPBACK,RUNNING>  mtu 65536\n        inet 127.0.0.1  netmask 255.0.0.0\n        loop  (Local Loopback)\n", "v0: flags=4099<UP"},
		{"v1: flags=4098<BROADCAST,MULTICAST>  mtu 1500\n        ether "},
		{"v0: flags=4098<BROADCAST,MULTICAST>  mtu 1400\n", "ifconfig: nosuch: no such interface\nstatus 1\n"},
	} {
		for _, w := range wants {
			if !strings.Contains(parts[i], w) {
				t.Errorf("part %d lacks %q:\n%s", i, w, parts[i])
			}
		}
	}
	if strings.Contains(parts[2], "v1:") {
		t.Errorf("ifconfig without -a shows v1, which is down:\n%s", parts[2])
	}
}
