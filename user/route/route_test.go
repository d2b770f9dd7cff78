package main

import (
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"scone/user/internal/testnet"
)

// TestRtentryLayout: the struct must match Linux's 120-byte rtentry.
func TestRtentryLayout(t *testing.T) {
	var r rtentry
	for _, f := range []struct {
		name      string
		got, want uintptr
	}{
		{"size", unsafe.Sizeof(r), 120},
		{"rt_dst", unsafe.Offsetof(r.dst), 8},
		{"rt_gateway", unsafe.Offsetof(r.gateway), 24},
		{"rt_genmask", unsafe.Offsetof(r.genmask), 40},
		{"rt_flags", unsafe.Offsetof(r.flags), 56},
		{"rt_metric", unsafe.Offsetof(r.metric), 80},
		{"rt_dev", unsafe.Offsetof(r.dev), 88},
		{"rt_mtu", unsafe.Offsetof(r.mtu), 96},
		{"rt_irtt", unsafe.Offsetof(r.irtt), 112},
	} {
		if f.got != f.want {
			t.Errorf("%s at %d, want %d", f.name, f.got, f.want)
		}
	}
}

func TestParseRoute(t *testing.T) {
	for _, tc := range []struct {
		args, want, err string
	}{
		{args: "default gw 10.0.2.2", want: "0.0.0.0/0.0.0.0 gw 10.0.2.2 dev  metric 0 host false"},
		{args: "-net 10.20.0.0/16 gw 10.0.2.3 metric 5", want: "10.20.0.0/255.255.0.0 gw 10.0.2.3 dev  metric 5 host false"},
		{args: "-net 10.20.0.0 netmask 255.255.0.0 dev eth0", want: "10.20.0.0/255.255.0.0 gw invalid IP dev eth0 metric 0 host false"},
		{args: "-host 10.30.0.1 dev eth0", want: "10.30.0.1/255.255.255.255 gw invalid IP dev eth0 metric 0 host true"},
		{args: "-net 10.20.0.1 netmask 255.255.0.0 dev eth0", err: "bits outside the netmask"},
		{args: "-net 10.20.0.0 dev eth0", err: "needs a netmask"},
		{args: "default", err: "needs a gateway (gw) or an interface"},
		{args: "default gw", err: "gw needs a value"},
		{args: "default gw fe80::1", err: "bad gateway"},
		{args: "-host 10.30.0.1 netmask 255.0.0.0 dev eth0", err: "bad netmask"},
		{args: "somewhere", err: "want default, -net or -host"},
		{args: "default gw 10.0.2.2 metric x", err: "bad metric"},
		{args: "default gw 10.0.2.2 via x", err: `unexpected "via"`},
	} {
		r, err := parseRoute(strings.Fields(tc.args))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		got := r.dst.String() + "/" + r.mask.String() + " gw " + r.gw.String() + " dev " + r.dev + " metric " + strconv.Itoa(r.metric) + " host " + strconv.FormatBool(r.host)
		if err != nil || got != tc.want {
			t.Errorf("%q: got %q, %v; want %q", tc.args, got, err, tc.want)
		}
	}
}

// TestChange adds and deletes routes on a veth in a namespace of the
// test's own, checked with iproute2 and route's own table.
func TestChange(t *testing.T) {
	bin := testnet.Build(t, "scone/user/route")
	out, err := testnet.Netns(t, 30*time.Second, `
ip link add v0 type veth peer name v1
ip addr add 10.9.8.7/24 dev v0
ip link set v0 up
`+bin+` add default gw 10.9.8.1
`+bin+` add -net 10.20.0.0/16 gw 10.9.8.2 metric 5
`+bin+` add -host 10.30.0.1 dev v0
ip route
echo ---
`+bin+`
echo ---
set +e
`+bin+` add default gw 10.9.8.1; echo status $?
`+bin+` del -net 10.20.0.0 netmask 255.255.0.0 gw 10.9.8.2 metric 5; echo status $?
`+bin+` del -net 10.20.0.0 netmask 255.255.0.0 gw 10.9.8.2 metric 5; echo status $?
`+bin+` add default gw 10.50.0.1 metric 1; echo status $?
ip route
`)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	parts := strings.Split(out, "---\n")
	if len(parts) != 3 {
		t.Fatalf("output:\n%s", out)
	}
	for i, wants := range [][]string{
		{"default via 10.9.8.1 dev v0", "10.20.0.0/16 via 10.9.8.2 dev v0 metric 5", "10.30.0.1 dev v0 scope link"},
		{"Kernel IP routing table\nDestination     Gateway         Genmask         Flags Metric Iface\n",
			"0.0.0.0         10.9.8.1        0.0.0.0         UG         0 v0\n",
			"10.20.0.0       10.9.8.2        255.255.0.0     UG         5 v0\n",
			"10.30.0.1       0.0.0.0         255.255.255.255 UH         0 v0\n"},
		{"route: that route exists already\nstatus 1\nstatus 0\nroute: no such route\nstatus 1\n",
			"route: gateway 10.50.0.1 is not on a directly connected network\nstatus 1\n"},
	} {
		for _, w := range wants {
			if !strings.Contains(parts[i], w) {
				t.Errorf("part %d lacks %q:\n%s", i, w, parts[i])
			}
		}
	}
	if strings.Contains(parts[2], "10.20.0.0/16") {
		t.Errorf("the deleted route is still there:\n%s", parts[2])
	}
}
