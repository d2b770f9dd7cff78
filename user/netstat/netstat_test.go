package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func fakeProc(t *testing.T) string {
	dir := t.TempDir()
	files := map[string]string{
		"net/tcp": "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
			"   0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 11 1\n" +
			"   1: 0F02000A:0050 0202000A:C350 01 00000010:00000020 00:00000000 00000000     0        0 12 1\n" +
			"   2: 0F02000A:0051 0202000A:C351 06 00000000:00000000 00:00000000 00000000     0        0 13 1\n",
		"net/udp": "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n" +
			"   0: 00000000:000D 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 21 2 0 0\n" +
			"   1: 0F02000A:D000 0202000A:0035 01 00000000:00000000 00:00000000 00000000     0        0 22 2 0 0\n",
		"net/snmp":  "Tcp: ActiveOpens PassiveOpens\nTcp: 1 2\n",
		"net/dev":   "h\nh\n  eth0: 1000 10 1 2 3 0 0 0 2000 20 4 5 6 0 0 0\n",
		"net/route": "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\neth0\t00000000\t0202000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestNetstat(t *testing.T) {
	proc := fakeProc(t)
	head := "Proto Recv-Q Send-Q Local Address           Foreign Address         State\n"
	for _, tc := range []struct {
		name string
		run  func(*strings.Builder) error
		want string
	}{
		{"default", func(b *strings.Builder) error { return printSockets(b, proc, options{}) },
			"Active Internet connections (w/o servers)\n" + head +
				"tcp       32     16 10.0.2.15:80            10.0.2.2:50000          ESTABLISHED\n" +
				"tcp        0      0 10.0.2.15:81            10.0.2.2:50001          TIME_WAIT\n" +
				"udp        0      0 10.0.2.15:53248         10.0.2.2:53             ESTABLISHED\n"},
		{"-l", func(b *strings.Builder) error { return printSockets(b, proc, options{listening: true}) },
			"Active Internet connections (only servers)\n" + head +
				"tcp        0      0 0.0.0.0:80              0.0.0.0:*               LISTEN\n" +
				"udp        0      0 0.0.0.0:13              0.0.0.0:*               \n"},
		{"-a -u", func(b *strings.Builder) error { return printSockets(b, proc, options{all: true, udp: true}) },
			"Active Internet connections (servers and established)\n" + head +
				"udp        0      0 0.0.0.0:13              0.0.0.0:*               \n" +
				"udp        0      0 10.0.2.15:53248         10.0.2.2:53             ESTABLISHED\n"},
		{"-s", func(b *strings.Builder) error { return printStats(b, proc) },
			"Tcp:\n    ActiveOpens: 1\n    PassiveOpens: 2\n"},
		{"-i", func(b *strings.Builder) error { return printInterfaces(b, proc) },
			"Kernel Interface table\nIface           RX-OK RX-ERR RX-DRP RX-OVR      TX-OK TX-ERR TX-DRP TX-OVR\n" +
				"eth0               10      1      2      3         20      4      5      6\n"},
		{"-r", func(b *strings.Builder) error { return printRoutes(b, proc) },
			"Kernel IP routing table\nDestination     Gateway         Genmask         Flags Metric Iface\n" +
				"0.0.0.0         10.0.2.2        0.0.0.0         UG         0 eth0\n"},
	} {
		var b strings.Builder
		if err := tc.run(&b); err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if b.String() != tc.want {
			t.Errorf("%s: got\n%s\nwant\n%s", tc.name, b.String(), tc.want)
		}
	}
	// A kernel without the file gets a message saying so.
	err := printSockets(new(strings.Builder), t.TempDir(), options{})
	if err == nil || !strings.Contains(err.Error(), "net/tcp is missing: this kernel does not provide it") {
		t.Errorf("missing file: %v", err)
	}
	os.WriteFile(filepath.Join(proc, "net/tcp"), []byte("h\n0: bad\n"), 0o644)
	if err := printSockets(new(strings.Builder), proc, options{}); err == nil || !strings.Contains(err.Error(), "net/tcp: procnet: short socket line") {
		t.Errorf("bad file: %v", err)
	}
}

// TestHostProc reads this machine's real /proc/net/tcp and udp.
func TestHostProc(t *testing.T) {
	if err := printSockets(new(strings.Builder), "/proc", options{all: true}); err != nil {
		t.Error(err)
	}
}
