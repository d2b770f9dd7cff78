package procnet

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestParseUptime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{"337.47 655.40\n", 337470 * time.Millisecond, false},
		{"0.00 0.00", 0, false},
		{"", 0, true},
		{"abc 1", 0, true},
		{"-1 0", 0, true},
	} {
		got, err := ParseUptime(strings.NewReader(tc.in))
		if (err != nil) != tc.bad || (!tc.bad && got != tc.want) {
			t.Errorf("ParseUptime(%q) = %v, %v; want %v, bad=%v", tc.in, got, err, tc.want, tc.bad)
		}
	}
}

func TestParseMeminfo(t *testing.T) {
	m, err := ParseMeminfo(strings.NewReader("MemTotal:       24683792 kB\nMemFree:  100 kB\nHugePages_Total:       0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m["MemTotal"] != 24683792*1024 || m["MemFree"] != 102400 || m["HugePages_Total"] != 0 || len(m) != 3 {
		t.Errorf("got %v", m)
	}
	for _, bad := range []string{"MemTotal 12 kB\n", "MemTotal: x kB\n", "MemTotal: 1 MB\n", "MemTotal:\n"} {
		if _, err := ParseMeminfo(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseMeminfo(%q) took it", bad)
		}
	}
}

const devSample = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    3193      29    0    0    0     0          0         0     3193      29    0    0    0     0       0          0
  eth0: 1000 10 1 2 3 4 5 6 2000 20 7 8 9 10 11 12
`

func TestParseDev(t *testing.T) {
	got, err := ParseDev(strings.NewReader(devSample))
	if err != nil {
		t.Fatal(err)
	}
	want := []IfStats{
		{Name: "lo", RxBytes: 3193, RxPackets: 29, TxBytes: 3193, TxPackets: 29},
		{Name: "eth0", RxBytes: 1000, RxPackets: 10, RxErrs: 1, RxDrop: 2, RxFifo: 3, RxFrame: 4, RxCompressed: 5, RxMulticast: 6,
			TxBytes: 2000, TxPackets: 20, TxErrs: 7, TxDrop: 8, TxFifo: 9, TxColls: 10, TxCarrier: 11, TxCompressed: 12},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d interfaces, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("interface %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"h\nh\neth0 1 2\n", "h\nh\neth0: 1 2 3\n", "h\nh\neth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 x\n"} {
		if _, err := ParseDev(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseDev(%q) took it", bad)
		}
	}
}

func TestParseSNMP(t *testing.T) {
	in := "Ip: Forwarding DefaultTTL InReceives\nIp: 2 64 469\nTcp: RtoMin MaxConn\nTcp: 200 -1\nUdp: InDatagrams\nUdp: 18446744073709551615\n"
	got, err := ParseSNMP(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Name != "Ip" || got[1].Name != "Tcp" || got[2].Name != "Udp" {
		t.Fatalf("got %+v", got)
	}
	if v, ok := got[0].Get("InReceives"); !ok || v != 469 {
		t.Errorf("Ip InReceives = %d, %v", v, ok)
	}
	if v, _ := got[1].Get("MaxConn"); v != -1 {
		t.Errorf("Tcp MaxConn = %d, want -1", v)
	}
	if _, ok := got[1].Get("Nope"); ok {
		t.Error("Get found a counter that is not there")
	}
	for _, bad := range []string{"Ip: A B\n", "Ip: A B\nTcp: 1 2\n", "Ip: A B\nIp: 1\n", "Ip: A\nIp: x\n"} {
		if _, err := ParseSNMP(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseSNMP(%q) took it", bad)
		}
	}
}

func TestParseSockets(t *testing.T) {
	in := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1064 1 000000004944b3c9 100 0 0 10 0
   1: 0F02000A:B9DE 0202000A:01BB 01 0000001A:00000020 03:000003CA 00000000  1000        0 0 3 00000000537eaa24
`
	got, err := ParseSockets(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Socket{
		{Local: netip.MustParseAddrPort("0.0.0.0:2024"), Remote: netip.MustParseAddrPort("0.0.0.0:0"), State: StateListen, Inode: 1064},
		{Local: netip.MustParseAddrPort("10.0.2.15:47582"), Remote: netip.MustParseAddrPort("10.0.2.2:443"), State: 1, TxQueue: 26, RxQueue: 32, UID: 1000},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d sockets, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("socket %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if StateName(1) != "ESTABLISHED" || StateName(10) != "LISTEN" || StateName(99) != "UNKNOWN(99)" {
		t.Error("StateName")
	}
	for _, bad := range []string{
		"h\n0: 0000000:07E8 00000000:0000 0A 0:0 00:0 0 0 0 1\n",
		"h\n0: 00000000:07E8 00000000:0000 ZZ 0:0 00:0 0 0 0 1\n",
		"h\n0: 00000000:07E8 00000000:0000 0A 00 00:0 0 0 0 1\n",
		"h\n0: 00000000:07E8\n",
	} {
		if _, err := ParseSockets(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseSockets(%q) took it", bad)
		}
	}
}

func TestParseRoute(t *testing.T) {
	in := "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
		"eth0\t00000000\t0202000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" +
		"eth0\t0002000A\t00000000\t0001\t0\t0\t5\t00FFFFFF\t1500\t0\t0\n"
	got, err := ParseRoute(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Route{
		{Iface: "eth0", Dest: netip.MustParseAddr("0.0.0.0"), Gateway: netip.MustParseAddr("10.0.2.2"), Mask: netip.MustParseAddr("0.0.0.0"), Flags: RouteUp | RouteGateway},
		{Iface: "eth0", Dest: netip.MustParseAddr("10.0.2.0"), Gateway: netip.MustParseAddr("0.0.0.0"), Mask: netip.MustParseAddr("255.255.255.0"), Flags: RouteUp, Metric: 5, MTU: 1500},
	}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	for _, bad := range []string{"h\neth0 0 0\n", "h\neth0 XX 0 1 0 0 0 0 0 0 0\n", "h\neth0 00000000 00000000 zz 0 0 0 00000000 0 0 0\n"} {
		if _, err := ParseRoute(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseRoute(%q) took it", bad)
		}
	}
}
