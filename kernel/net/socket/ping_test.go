package socket_test

import (
	"bytes"
	"syscall"
	"testing"

	"scone/kernel/net/icmp"
	"scone/kernel/net/nettest"
	"scone/kernel/net/socket"
	"scone/kernel/net/tcpip"
)

func TestPingSocket(t *testing.T) {
	p, la, _ := layers(t, nettest.PairOptions{})
	s, err := la.SocketProtocol(socket.Datagram, syscall.IPPROTO_ICMP)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	req := []byte{icmp.TypeEchoRequest, 0, 0, 0, 0xde, 0xad, 0, 7, 'p', 'i', 'n', 'g'}
	for _, dst := range []tcpip.Addr{nettest.AddrB, tcpip.LoopbackAddr} {
		if _, err := s.SendTo(ctx(t), req, tcpip.FullAddr{Addr: dst}); err != nil {
			t.Fatalf("SendTo %v: %v", dst, err)
		}
		buf := make([]byte, 100)
		n, from, err := s.RecvFrom(ctx(t), buf)
		if err != nil {
			t.Fatal(err)
		}
		h, data, err := icmp.Parse(buf[:n])
		local, _ := s.LocalAddr()
		if err != nil || h.Type != icmp.TypeEchoReply || h.ID() != local.Port || h.Seq() != 7 ||
			!bytes.Equal(data, []byte("ping")) || from.Addr != dst {
			t.Fatalf("reply from %v: %+v %q %v (our id %d)", from, h, data, err, local.Port)
		}
	}
	if p.B.ICMP().Stats.InEchos.Value() != 1 {
		t.Errorf("B answered %d echoes", p.B.ICMP().Stats.InEchos.Value())
	}
	notEcho := append([]byte(nil), req...)
	notEcho[0] = icmp.TypeTimestamp
	if _, err := s.SendTo(ctx(t), notEcho, tcpip.FullAddr{Addr: nettest.AddrB}); err != syscall.EINVAL {
		t.Errorf("sending a non-echo message: %v, want EINVAL", err)
	}
	// Two sockets cannot share an identifier.
	a, _ := la.SocketProtocol(socket.Datagram, syscall.IPPROTO_ICMP)
	defer a.Close()
	local, _ := s.LocalAddr()
	if err := a.Bind(tcpip.FullAddr{Port: local.Port}); err != syscall.EADDRINUSE {
		t.Errorf("second bind of identifier %d: %v", local.Port, err)
	}
	if _, err := la.SocketProtocol(socket.Stream, syscall.IPPROTO_UDP); err != syscall.EPROTONOSUPPORT {
		t.Errorf("stream over UDP: %v", err)
	}
}
