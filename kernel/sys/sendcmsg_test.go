package sys

import (
	"encoding/binary"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"golang.org/x/sys/unix"

	"scone/kernel/net/link"
	"scone/kernel/net/nettest"
	"scone/kernel/net/tcpip"
	"scone/kernel/sockfile"
)

// wireLog keeps the IPv4 packets a link carries, decoded by gopacket.
type wireLog struct {
	mu  sync.Mutex
	ips []*layers.IPv4
}

func (w *wireLog) observe(_ *link.PipeEnd, f []byte) {
	pkt := gopacket.NewPacket(append([]byte(nil), f...), layers.LayerTypeEthernet, gopacket.Default)
	if ip, ok := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
		w.mu.Lock()
		w.ips = append(w.ips, ip)
		w.mu.Unlock()
	}
}

// next waits (up to 5 s) for the first packet of protocol proto that A
// sent (B's echo replies and port unreachables are not) after the first
// skip of the log, and returns it with the log's new length.
func (w *wireLog) next(t *testing.T, skip int, proto layers.IPProtocol) (*layers.IPv4, int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		w.mu.Lock()
		for i := skip; i < len(w.ips); i++ {
			if w.ips[i].Protocol == proto && !w.ips[i].SrcIP.Equal(net.IP(nettest.AddrB[:])) {
				ip := w.ips[i]
				w.mu.Unlock()
				return ip, i + 1
			}
		}
		w.mu.Unlock()
	}
	t.Fatalf("no %v packet on the link", proto)
	return nil, 0
}

// cmsg is one control message, as x/sys/unix lays it out.
func cmsg(level, typ int, data []byte) []byte {
	b := make([]byte, unix.CmsgSpace(len(data)))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level, h.Type = int32(level), int32(typ)
	h.SetLen(unix.CmsgLen(len(data)))
	copy(b[unix.CmsgLen(0):], data)
	return b
}

// pktinfo is an IP_PKTINFO message.
func pktinfo(ifindex int, spec tcpip.Addr) []byte {
	return unix.PktInfo4(&unix.Inet4Pktinfo{Ifindex: int32(ifindex), Spec_dst: spec})
}

// TestSendmsgIPControl: sendmsg's IP_TTL, IP_TOS and IP_PKTINFO reach
// the datagram a UDP or ping socket sends, as Linux's ip_cmsg_send (the
// packet on the link, decoded by gopacket, has the TTL, TOS and source
// asked for, and the next send without them the socket's own); a
// spec_dst or ifindex Linux refuses is refused with its errno. Before
// the fix the messages were checked and dropped: TTL 64, TOS 0, source
// 10.0.0.1 every time.
func TestSendmsgIPControl(t *testing.T) {
	var wire wireLog
	p, pair := sockProcWith(t, nettest.PairOptions{Link: link.PipeConfig{Observe: wire.observe}})
	// A second interface on A (eth1, 10.0.1.1/24) gives a second source.
	eth1Frames := make(chan []byte, 16)
	watch := func(_ *link.PipeEnd, f []byte) {
		select {
		case eth1Frames <- append([]byte(nil), f...):
		default:
		}
	}
	e1, e2 := link.NewPipe(link.PipeConfig{Observe: watch}, tcpip.MAC{2, 0, 0, 0, 1, 0xa}, tcpip.MAC{2, 0, 0, 0, 1, 0xb})
	t.Cleanup(func() { e2.Close() })
	eth1, err := pair.A.AddNIC("eth1", e1)
	if err != nil {
		t.Fatal(err)
	}
	other := tcpip.AddrFrom4(10, 0, 1, 1)
	if err := pair.A.SetAddress(eth1, other, 24); err != nil {
		t.Fatal(err)
	}
	udpFD := p.must(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_DGRAM, 0)
	pingFD := p.must(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_DGRAM, unix.IPPROTO_ICMP)
	echo := []byte{8, 0, 0, 0, 0, 0, 0, 1, 'h', 'i'}
	sendmsg := func(fd uintptr, port uint16, payload, control []byte) (uintptr, syscall.Errno) {
		to := p.put(0, sockaddr(tcpip.FullAddr{Addr: nettest.AddrB, Port: port}))
		data := p.put(100, payload)
		iov := p.put(200, binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, uint64(data)), uint64(len(payload))))
		m := make([]byte, sockfile.MsghdrLen)
		le := binary.LittleEndian
		le.PutUint64(m[0:], uint64(to))
		le.PutUint32(m[8:], 16)
		le.PutUint64(m[16:], uint64(iov))
		le.PutUint64(m[24:], 1)
		if len(control) > 0 {
			le.PutUint64(m[32:], uint64(p.put(1000, control)))
			le.PutUint64(m[40:], uint64(len(control)))
		}
		return p.call(unix.SYS_SENDMSG, fd, p.put(400, m), 0)
	}
	tosByte := cmsg(unix.IPPROTO_IP, unix.IP_TOS, []byte{0x2e})
	for _, sock := range []struct {
		name    string
		fd      uintptr
		port    uint16
		payload []byte
		proto   layers.IPProtocol
	}{
		{"udp", udpFD, 9, []byte("x"), layers.IPProtocolUDP},
		{"ping", pingFD, 0, echo, layers.IPProtocolICMPv4},
	} {
		seen := 0
		for _, tc := range []struct {
			name    string
			control []byte
			ttl     uint8
			tos     uint8
			src     tcpip.Addr
		}{
			{"IP_TTL", cmsg(unix.IPPROTO_IP, unix.IP_TTL, le32(7)), 7, 0, nettest.AddrA},
			{"IP_TOS int", cmsg(unix.IPPROTO_IP, unix.IP_TOS, le32(0xb8)), 64, 0xb8, nettest.AddrA},
			{"IP_TOS byte", tosByte, 64, 0x2e, nettest.AddrA},
			{"IP_PKTINFO spec_dst", pktinfo(0, other), 64, 0, other},
			{"IP_PKTINFO ifindex eth0", pktinfo(pair.NICA+1, tcpip.Addr{}), 64, 0, nettest.AddrA},
			{"all three, last TTL wins", append(append(append(cmsg(unix.IPPROTO_IP, unix.IP_TTL, le32(9)), tosByte...),
				pktinfo(0, other)...), cmsg(unix.IPPROTO_IP, unix.IP_TTL, le32(200))...), 200, 0x2e, other},
			{"none: the socket's own", nil, 64, 0, nettest.AddrA},
		} {
			if n, e := sendmsg(sock.fd, sock.port, sock.payload, tc.control); e != 0 || int(n) != len(sock.payload) {
				t.Fatalf("%s %s: sendmsg = %d, %v", sock.name, tc.name, n, e)
			}
			var ip *layers.IPv4
			ip, seen = wire.next(t, seen, sock.proto)
			if ip.TTL != tc.ttl || ip.TOS != tc.tos || !ip.SrcIP.Equal(net.IP(tc.src[:])) {
				t.Errorf("%s %s: sent TTL %d TOS %#x from %v; want TTL %d TOS %#x from %v",
					sock.name, tc.name, ip.TTL, ip.TOS, ip.SrcIP, tc.ttl, tc.tos, net.IP(tc.src[:]))
			}
		}
	}
	// What Linux 6.18 answers for a source or interface it cannot use.
	for _, tc := range []struct {
		name string
		info []byte
		want syscall.Errno
	}{
		{"spec_dst not ours", pktinfo(0, tcpip.AddrFrom4(10, 99, 99, 99)), syscall.ENETUNREACH},
		{"spec_dst multicast", pktinfo(0, tcpip.AddrFrom4(224, 0, 0, 1)), syscall.EINVAL},
		{"spec_dst broadcast", pktinfo(0, tcpip.BroadcastAddr), syscall.EINVAL},
		{"no such ifindex", pktinfo(99, tcpip.Addr{}), syscall.ENODEV},
	} {
		if n, e := sendmsg(udpFD, 9, []byte("x"), tc.info); e != tc.want {
			t.Errorf("udp IP_PKTINFO %s: %d, %v; want %v", tc.name, n, e, tc.want)
		}
	}
	// Through eth1, which has no route to B: Linux takes B to be on
	// eth1's link and asks for it there, from eth1's address.
	if n, e := sendmsg(udpFD, 9, []byte("x"), pktinfo(eth1+1, tcpip.Addr{})); n != 1 || e != 0 {
		t.Fatalf("udp IP_PKTINFO through eth1: %d, %v", n, e)
	}
	// The first frames are eth1's own announcements; bounded by the
	// channel's 16 and 5 s.
	for deadline := time.After(5 * time.Second); ; {
		select {
		case f := <-eth1Frames:
			pkt := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
			arp, ok := pkt.Layer(layers.LayerTypeARP).(*layers.ARP)
			if ok && net.IP(arp.DstProtAddress).Equal(net.IP(nettest.AddrB[:])) {
				if !net.IP(arp.SourceProtAddress).Equal(net.IP(other[:])) {
					t.Errorf("ARP request for 10.0.0.2 on eth1 from %v, want 10.0.1.1", net.IP(arp.SourceProtAddress))
				}
				return
			}
		case <-deadline:
			t.Fatal("no ARP request for 10.0.0.2 on eth1 after a send through it")
		}
	}
}
