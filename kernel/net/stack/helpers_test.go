package stack_test

import (
	"scone/kernel/net/stack"
	"scone/kernel/net/tcpip"
	"scone/kernel/net/udp"
)

func stackConfig(a tcpip.Addr, bits int, gw tcpip.Addr) stack.Config {
	return stack.Config{Addr: a, PrefixLen: bits, Gateway: gw}
}

// addUDP registers UDP with s, as a kernel or tool does.
func addUDP(s *stack.Stack) *udp.Protocol {
	u := udp.New(s)
	s.RegisterTransport(tcpip.ProtoUDP, u)
	return u
}
