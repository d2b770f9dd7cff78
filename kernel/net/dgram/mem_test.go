package dgram

import (
	"testing"

	"scone/kernel/net/tcpip"
)

// TestMemBudget: queued datagrams of every endpoint draw on one
// kernel-wide budget; a datagram that would pass it is dropped and
// counted (on the endpoint and the budget) even though the endpoint's
// own queue has room, and reading or closing gives the bytes back.
func TestMemBudget(t *testing.T) {
	old := Mem.Limit()
	Mem.SetLimit(Mem.Used() + 3000)
	t.Cleanup(func() { Mem.SetLimit(old) })
	base := Mem.Used()
	a, b := NewBase(), NewBase()
	from := tcpip.FullAddr{Port: 1}
	if !a.Deliver(from, tcpip.Addr{}, 64, make([]byte, 1000)) || !b.Deliver(from, tcpip.Addr{}, 64, make([]byte, 1500)) {
		t.Fatal("datagrams within the budget refused")
	}
	if got := Mem.Used() - base; got != 2500 {
		t.Errorf("budget used %d, want 2500", got)
	}
	refused := Mem.Refused.Value()
	if a.Deliver(from, tcpip.Addr{}, 64, make([]byte, 600)) {
		t.Error("a datagram past the global budget was queued")
	}
	if a.Drops.Value() != 1 || Mem.Refused.Value() != refused+1 {
		t.Errorf("drops %d, budget refusals %d, want 1 and %d", a.Drops.Value(), Mem.Refused.Value(), refused+1)
	}
	if !a.Deliver(from, tcpip.Addr{}, 64, make([]byte, 500)) {
		t.Error("a datagram that fits the budget refused")
	}
	buf := make([]byte, 2000)
	if _, _, _, _, err := a.RecvMsg([][]byte{buf}, true); err != nil || Mem.Used()-base != 3000 {
		t.Errorf("after a peek: %v, used %d, want 3000 (a peek keeps the datagram)", err, Mem.Used()-base)
	}
	if _, _, _, _, err := a.RecvMsg([][]byte{buf}, false); err != nil || Mem.Used()-base != 2000 {
		t.Errorf("after reading 1000 bytes: %v, used %d, want 2000", err, Mem.Used()-base)
	}
	a.Close(func() {})
	b.Close(func() {})
	if got := Mem.Used() - base; got != 0 {
		t.Errorf("after closing both: %d bytes still charged", got)
	}
}
