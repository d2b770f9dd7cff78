package stack_test

import (
	"scone/kernel/net/stack"
	"scone/kernel/net/tcpip"
)

func stackConfig(a tcpip.Addr, bits int, gw tcpip.Addr) stack.Config {
	return stack.Config{Addr: a, PrefixLen: bits, Gateway: gw}
}
