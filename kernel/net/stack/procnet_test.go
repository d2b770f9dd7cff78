package stack_test

import (
	"bytes"
	"strings"
	"testing"

	"scone/kernel/net/arp"
	"scone/kernel/net/ipv4"
	"scone/kernel/net/stack"
	"scone/kernel/net/tcp"
	"scone/kernel/net/tcpip"
)

func TestProcNet(t *testing.T) {
	h := newHost(t)
	h.s.Configure(h.nic, stack.Config{Addr: tcpip.AddrFrom4(10, 0, 2, 15), PrefixLen: 24, Gateway: tcpip.AddrFrom4(10, 0, 2, 2)})
	h.dev.Inject(arpFrame(arp.OpReply, fuzzMAC, tcpip.MAC{0x52, 0x55, 10, 0, 2, 2}, tcpip.AddrFrom4(10, 0, 2, 2), tcpip.AddrFrom4(10, 0, 2, 15)))

	var b bytes.Buffer
	h.s.WriteProcNetRoute(&b)
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	want := []string{
		"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
		"eth0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
		"eth0\t00000000\t0202000A\t0003\t0\t0\t0\t00000000\t0\t0\t0",
	}
	if len(lines) != len(want) {
		t.Fatalf("/proc/net/route:\n%s", b.String())
	}
	for i := range want {
		if len(lines[i]) != 127 || strings.TrimRight(lines[i], " ") != want[i] {
			t.Errorf("route line %d = %q, want %q padded to 127", i, lines[i], want[i])
		}
	}

	b.Reset()
	h.s.WriteProcNetARP(&b)
	wantARP := "IP address       HW type     Flags       HW address            Mask     Device\n" +
		"10.0.2.2         0x1         0x2         52:55:0a:00:02:02     *        eth0\n"
	if b.String() != wantARP {
		t.Errorf("/proc/net/arp:\n%q\nwant\n%q", b.String(), wantARP)
	}

	b.Reset()
	h.s.WriteProcNetDev(&b)
	dev := strings.Split(b.String(), "\n")
	if len(dev) != 4 || !strings.HasPrefix(dev[2], "  eth0:") || len(strings.Fields(dev[2])) != 17 {
		t.Errorf("/proc/net/dev:\n%s", b.String())
	}
}

func TestProcNetSockets(t *testing.T) {
	h := newHost(t)
	tp := tcp.NewProtocol(h.s, h.clk, tcp.Options{})
	h.s.RegisterTransport(tcpip.ProtoTCP, tp)
	l := tp.NewEndpoint()
	l.Bind(tcpip.FullAddr{Addr: fuzzAddr, Port: 80})
	l.Listen(4)
	defer l.Close()
	u := h.udp.NewEndpoint()
	u.Bind(tcpip.FullAddr{Port: 53})
	defer u.Close()
	h.dev.Inject(ipFrame(ipv4.Header{Src: peerAddr, Dst: fuzzAddr, Protocol: tcpip.ProtoUDP}, udpTo(fuzzAddr, 53, []byte("query"))))

	for _, tc := range []struct {
		name  string
		write func(*bytes.Buffer) error
		want  string
	}{
		{"tcp", func(b *bytes.Buffer) error { return tp.WriteProcNet(b) }, "   0: 0100000A:0050 00000000:0000 0A 00000000:00000000 "},
		{"udp", func(b *bytes.Buffer) error { return h.udp.WriteProcNet(b) }, "   0: 00000000:0035 00000000:0000 07 00000000:00000005 "},
	} {
		var b bytes.Buffer
		if err := tc.write(&b); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "  sl  local_address") ||
			!strings.HasPrefix(lines[1], tc.want) || len(lines[1]) != 149 {
			t.Errorf("/proc/net/%s:\n%s", tc.name, b.String())
		}
	}
}
