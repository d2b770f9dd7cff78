package sockfile

import (
	"encoding/binary"
	"syscall"
	"testing"

	"scone/kernel/net/nettest"
	"scone/kernel/net/tcpip"
)

func ifreq(name string, sa []byte) []byte {
	b := make([]byte, IfreqLen)
	copy(b, name)
	copy(b[16:], sa)
	return b
}

func TestIfreqIoctl(t *testing.T) {
	p := nettest.NewPair(t, nettest.PairOptions{})
	st := p.A
	var eth string
	for _, n := range st.NICs() {
		if !n.Loopback {
			eth = n.Name
		}
	}
	mask := tcpip.AddrFrom4(255, 255, 255, 0)
	for _, tc := range []struct {
		name string
		dev  string
		cmd  uint32
		in   []byte
		err  error
		want func(u []byte) bool
	}{
		{"flags", eth, SIOCGIFFLAGS, nil, nil, func(u []byte) bool {
			return binary.LittleEndian.Uint16(u) == iffUp|iffRunning|iffBroadcast|iffMulticast
		}},
		{"lo-flags", "lo", SIOCGIFFLAGS, nil, nil, func(u []byte) bool { return binary.LittleEndian.Uint16(u)&iffLoopback != 0 }},
		{"addr", eth, SIOCGIFADDR, nil, nil, func(u []byte) bool { return decode(u).Addr == nettest.AddrA }},
		{"netmask", eth, SIOCGIFNETMASK, nil, nil, func(u []byte) bool { return decode(u).Addr == mask }},
		{"mtu", eth, SIOCGIFMTU, nil, nil, func(u []byte) bool { return binary.LittleEndian.Uint32(u) == 1500 }},
		{"hwaddr", eth, SIOCGIFHWADDR, nil, nil, func(u []byte) bool { return binary.LittleEndian.Uint16(u) == arphrdEther }},
		{"no-such", "eth9", SIOCGIFFLAGS, nil, syscall.ENODEV, nil},
		{"unknown", eth, 0x89ff, nil, syscall.ENOTTY, nil},
		{"down", eth, SIOCSIFFLAGS, []byte{iffBroadcast, 0}, nil, nil},
		{"flags-down", eth, SIOCGIFFLAGS, nil, nil, func(u []byte) bool {
			return binary.LittleEndian.Uint16(u) == iffBroadcast|iffMulticast
		}},
		{"up", eth, SIOCSIFFLAGS, []byte{iffUp, 0}, nil, nil},
		{"flags-up", eth, SIOCGIFFLAGS, nil, nil, func(u []byte) bool {
			return binary.LittleEndian.Uint16(u) == iffUp|iffRunning|iffBroadcast|iffMulticast
		}},
		{"set-mtu", eth, SIOCSIFMTU, binary.LittleEndian.AppendUint32(nil, 1400), nil, nil},
		{"mtu-after", eth, SIOCGIFMTU, nil, nil, func(u []byte) bool { return binary.LittleEndian.Uint32(u) == 1400 }},
		{"mtu-past-device", eth, SIOCSIFMTU, binary.LittleEndian.AppendUint32(nil, 1501), syscall.EINVAL, nil},
		{"mtu-below-68", eth, SIOCSIFMTU, binary.LittleEndian.AppendUint32(nil, 67), syscall.EINVAL, nil},
		{"mtu-negative", eth, SIOCSIFMTU, binary.LittleEndian.AppendUint32(nil, 0xffffffff), syscall.EINVAL, nil},
		{"mtu-kept", eth, SIOCGIFMTU, nil, nil, func(u []byte) bool { return binary.LittleEndian.Uint32(u) == 1400 }},
		{"set-mask-holes", eth, SIOCSIFNETMASK, sockaddr4(tcpip.AddrFrom4(255, 0, 255, 0)), syscall.EINVAL, nil},
		{"set-addr", eth, SIOCSIFADDR, sockaddr4(tcpip.AddrFrom4(10, 0, 0, 7)), nil, nil},
		{"addr-after", eth, SIOCGIFADDR, nil, nil, func(u []byte) bool { return decode(u).Addr == tcpip.AddrFrom4(10, 0, 0, 7) }},
		{"set-mask", eth, SIOCSIFNETMASK, sockaddr4(tcpip.AddrFrom4(255, 255, 0, 0)), nil, nil},
		{"mask-after", eth, SIOCGIFNETMASK, nil, nil, func(u []byte) bool { return decode(u).Addr == tcpip.AddrFrom4(255, 255, 0, 0) }},
		{"brd-after", eth, SIOCGIFBRDADDR, nil, nil, func(u []byte) bool { return decode(u).Addr == tcpip.AddrFrom4(10, 0, 255, 255) }},
	} {
		b := ifreq(tc.dev, tc.in)
		err := IfreqIoctl(st, tc.cmd, b)
		if err != tc.err {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.err)
			continue
		}
		if tc.want != nil && !tc.want(b[16:]) {
			t.Errorf("%s: answer %v", tc.name, b[16:])
		}
	}
}

func sockaddr4(a tcpip.Addr) []byte {
	b := PutSockaddrIn(tcpip.FullAddr{Addr: a})
	return b[:]
}

func rtentry(dst, gw, mask tcpip.Addr, flags uint16) []byte {
	b := make([]byte, RtentryLen)
	copy(b[8:], sockaddr4(dst))
	copy(b[24:], sockaddr4(gw))
	copy(b[40:], sockaddr4(mask))
	binary.LittleEndian.PutUint16(b[56:], flags)
	return b
}

func TestRouteIoctl(t *testing.T) {
	p := nettest.NewPair(t, nettest.PairOptions{})
	st := p.A
	net10 := tcpip.AddrFrom4(192, 168, 5, 0)
	m24 := tcpip.AddrFrom4(255, 255, 255, 0)
	gw := nettest.AddrB
	for _, tc := range []struct {
		name string
		cmd  uint32
		rt   []byte
		dev  string
		err  error
	}{
		{"add via gateway", SIOCADDRT, rtentry(net10, gw, m24, rtfUp|rtfGateway), "", nil},
		{"add again", SIOCADDRT, rtentry(net10, gw, m24, rtfUp|rtfGateway), "", syscall.EEXIST},
		{"gateway off-link", SIOCADDRT, rtentry(tcpip.AddrFrom4(172, 16, 0, 0), tcpip.AddrFrom4(8, 8, 8, 8), tcpip.AddrFrom4(255, 255, 0, 0), rtfUp|rtfGateway), "", syscall.ENETUNREACH},
		{"bad device", SIOCADDRT, rtentry(net10, gw, m24, rtfUp|rtfGateway), "nope0", syscall.ENODEV},
		{"host bits", SIOCADDRT, rtentry(tcpip.AddrFrom4(192, 168, 5, 1), gw, m24, rtfUp|rtfGateway), "", syscall.EINVAL},
		{"delete", SIOCDELRT, rtentry(net10, gw, m24, rtfUp|rtfGateway), "", nil},
		{"delete missing", SIOCDELRT, rtentry(net10, gw, m24, rtfUp|rtfGateway), "", syscall.ESRCH},
	} {
		if err := RouteIoctl(st, tc.cmd, tc.rt, tc.dev); err != tc.err {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.err)
		}
	}
	// The route added is used: a lookup for the net goes via the gateway.
	if err := RouteIoctl(st, SIOCADDRT, rtentry(net10, gw, m24, rtfUp|rtfGateway), ""); err != nil {
		t.Fatal(err)
	}
	r, err := st.Route(tcpip.Addr{}, tcpip.AddrFrom4(192, 168, 5, 9))
	if err != nil || r.NextHop != gw {
		t.Errorf("route to 192.168.5.9: %+v, %v; want next hop %v", r, err, gw)
	}
}
