package socket_test

import (
	"syscall"
	"testing"

	"scone/kernel/net/nettest"
	"scone/kernel/net/socket"
	"scone/kernel/net/tcpip"
)

// TestBroadcastNeedsOption: sending to the limited or the subnet's
// broadcast address without SO_BROADCAST is EACCES (sendto and connect,
// UDP and ping sockets), as Linux's udp_sendmsg and ip4_datagram_connect;
// with the option set the datagram goes.
func TestBroadcastNeedsOption(t *testing.T) {
	_, la, _ := layers(t, nettest.PairOptions{})
	subnetBcast := tcpip.AddrFrom4(10, 0, 0, 255)
	for _, tc := range []struct {
		name  string
		proto int
		dst   tcpip.Addr
	}{
		{"udp-limited", syscall.IPPROTO_UDP, tcpip.BroadcastAddr},
		{"udp-subnet", syscall.IPPROTO_UDP, subnetBcast},
		{"ping-limited", syscall.IPPROTO_ICMP, tcpip.BroadcastAddr},
		{"ping-subnet", syscall.IPPROTO_ICMP, subnetBcast},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := la.SocketProtocol(socket.Datagram, tc.proto)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			to := tcpip.FullAddr{Addr: tc.dst, Port: 9}
			msg := []byte{8, 0, 0, 0, 0, 1, 0, 1} // an ICMP echo request header; any bytes for UDP
			if _, err := s.SendTo(ctx(t), msg, to); err != syscall.EACCES {
				t.Errorf("sendto %v without SO_BROADCAST: %v, want EACCES", tc.dst, err)
			}
			if err := s.Connect(ctx(t), to); err != syscall.EACCES {
				t.Errorf("connect %v without SO_BROADCAST: %v, want EACCES", tc.dst, err)
			}
			s.SetBroadcast(true)
			if n, err := s.SendTo(ctx(t), msg, to); err != nil || n != len(msg) {
				t.Errorf("sendto %v with SO_BROADCAST: %d, %v", tc.dst, n, err)
			}
			if err := s.Connect(ctx(t), to); err != nil {
				t.Errorf("connect %v with SO_BROADCAST: %v", tc.dst, err)
			}
		})
	}
	// A unicast address in the subnet needs nothing.
	s := mustSocket(t, la, socket.Datagram)
	if _, err := s.SendTo(ctx(t), []byte("x"), tcpip.FullAddr{Addr: nettest.AddrB, Port: 9}); err != nil {
		t.Errorf("unicast sendto: %v", err)
	}
}
