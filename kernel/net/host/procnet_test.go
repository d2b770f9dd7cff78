package host

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"scone/kernel/net/link"
	"scone/kernel/net/tcpip"
)

// TestProcNetSNMP checks /proc/net/snmp's shape as Linux's tools parse
// it: per protocol a names line and a values line with as many fields,
// Linux's protocols in Linux's order, and figures that match the stack.
func TestProcNetSNMP(t *testing.T) {
	h := loneHost(t)
	if _, err := h.Ping(t.Context(), addrA, 1); err != nil { // over loopback: ICMP and IP counters move
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := h.WriteProcNetSNMP(&b); err != nil {
		t.Fatal(err)
	}
	protos, values := parseProcNetStats(t, b.String())
	if got := strings.Join(protos, " "); got != "Ip Icmp Tcp Udp UdpLite" {
		t.Errorf("protocols %q", got)
	}
	for _, tc := range []struct{ proto, name, want string }{
		{"Ip", "Forwarding", "2"}, {"Ip", "DefaultTTL", "64"},
		{"Tcp", "RtoAlgorithm", "1"}, {"Tcp", "RtoMin", "200"}, {"Tcp", "MaxConn", "-1"},
		{"Icmp", "OutEchos", "1"}, {"Icmp", "InEchoReps", "1"},
	} {
		if got := values[tc.proto][tc.name]; got != tc.want {
			t.Errorf("%s %s = %q, want %q", tc.proto, tc.name, got, tc.want)
		}
	}
	if values["Ip"]["InReceives"] == "0" {
		t.Error("Ip InReceives 0 after a ping")
	}
	var names []string
	for _, f := range h.ProcNetFiles() {
		names = append(names, f.Name)
		if err := f.Write(&bytes.Buffer{}); err != nil {
			t.Errorf("/proc/net/%s: %v", f.Name, err)
		}
	}
	if got := strings.Join(names, " "); got != "arp dev netstat route snmp sockstat tcp udp" {
		t.Errorf("files %q", got)
	}
}

// parseProcNetStats splits a /proc/net/snmp or netstat file into its
// protocols, in order, and each one's counters by name, failing t unless
// every names line is followed by a values line of as many fields.
func parseProcNetStats(t *testing.T, text string) ([]string, map[string]map[string]string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines)%2 != 0 {
		t.Fatalf("odd number of lines: %q", text)
	}
	var protos []string
	values := map[string]map[string]string{}
	for i := 0; i+1 < len(lines); i += 2 {
		hp, names, _ := strings.Cut(lines[i], ": ")
		vp, vals, _ := strings.Cut(lines[i+1], ": ")
		n, v := strings.Fields(names), strings.Fields(vals)
		if hp != vp || len(n) != len(v) {
			t.Fatalf("lines %q and %q do not pair", lines[i], lines[i+1])
		}
		protos = append(protos, hp)
		values[hp] = map[string]string{}
		for j := range n {
			values[hp][n[j]] = v[j]
		}
	}
	return protos, values
}

// TestProcNetNetstat checks /proc/net/netstat: a TcpExt names line and
// values line in Linux's format, with Linux's names for the counters the
// TCP keeps.
func TestProcNetNetstat(t *testing.T) {
	ea, _ := link.NewPipe(link.PipeConfig{}, tcpip.MAC{2, 0, 0, 0, 0, 1}, tcpip.MAC{2, 0, 0, 0, 0, 2})
	h, err := New(ea, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	var b bytes.Buffer
	if err := h.WriteProcNetNetstat(&b); err != nil {
		t.Fatal(err)
	}
	protos, values := parseProcNetStats(t, b.String())
	if got := strings.Join(protos, " "); got != "TcpExt" {
		t.Fatalf("protocols %q", got)
	}
	for _, name := range []string{"SyncookiesSent", "SyncookiesRecv", "SyncookiesFailed", "PAWSEstab", "DelayedACKs", "ListenOverflows",
		"ListenDrops", "TCPLostRetransmit", "TCPFastRetrans", "TCPTimeouts", "TCPLossProbes", "TCPAbortOnTimeout",
		"TCPMemoryPressures", "TCPTimeWaitOverflow", "TCPOFODrop", "TCPChallengeACK", "TCPWinProbe", "TCPKeepAlive", "TCPRcvQDrop"} {
		if v, ok := values["TcpExt"][name]; !ok || v != "0" {
			t.Errorf("TcpExt %s = %q on a fresh stack, want 0", name, v)
		}
	}
}

// TestProcNetSockstat: a connection with unread data shows in sockstat's
// TCP inuse and mem, and once both ends are closed the memory is back
// to none (the measure nettest's free uses).
func TestProcNetSockstat(t *testing.T) {
	h := loneHost(t)
	stat := func() string {
		var b bytes.Buffer
		if err := h.WriteProcNetSockstat(&b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	const idle = "sockets: used 1\nTCP: inuse 0 orphan 0 tw 0 alloc 0 mem 0\nUDP: inuse 1 mem 0\nUDPLITE: inuse 0\nRAW: inuse 0\nFRAG: inuse 0 memory 0\n"
	if got := stat(); got != idle { // the resolver's own UDP socket is in use
		t.Fatalf("idle sockstat %q, want %q", got, idle)
	}
	l := h.TCP.NewEndpoint()
	srv := tcpip.FullAddr{Addr: addrA, Port: 7000}
	if err := l.Bind(srv); err != nil {
		t.Fatal(err)
	}
	if err := l.Listen(1); err != nil {
		t.Fatal(err)
	}
	c := h.TCP.NewEndpoint()
	if err := c.Connect(t.Context(), srv); err != nil {
		t.Fatal(err)
	}
	a, err := l.Accept(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(t.Context(), make([]byte, 10000)); err != nil {
		t.Fatal(err)
	}
	// 10000 bytes unread: the receiver's ring grew to 16 KiB, and so did
	// the sender's, which keeps its buffer once the data is acknowledged:
	// 8 pages of buffer memory held.
	want := "TCP: inuse 3 orphan 0 tw 0 alloc 3 mem 8\n"
	for i := 0; i < 100 && !strings.Contains(stat(), want); i++ {
		time.Sleep(10 * time.Millisecond) // bounded: the data crosses loopback
	}
	if got := stat(); !strings.Contains(got, want) {
		t.Fatalf("sockstat with 10000 unread bytes %q, want %q", got, want)
	}
	for _, e := range []interface{ Close() error }{a, c, l} {
		e.Close()
	}
	if got := stat(); !strings.Contains(got, " mem 0\nUDP") {
		t.Errorf("sockstat after closing %q, want TCP mem 0", got)
	}
}

// loneHost is a host at addrA on a link nobody else is on.
func loneHost(t *testing.T) *Host {
	t.Helper()
	ea, _ := link.NewPipe(link.PipeConfig{}, tcpip.MAC{2, 0, 0, 0, 0, 1}, tcpip.MAC{2, 0, 0, 0, 0, 2})
	h, err := New(ea, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	h.Configure(addrA, 24, tcpip.Addr{}, nil)
	return h
}
