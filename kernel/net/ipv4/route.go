package ipv4

import (
	"slices"
	"sync"
	"sync/atomic"

	"scone/kernel/net/tcpip"
)

// RouteEntry is one line of the route table.
type RouteEntry struct {
	Dest    tcpip.Subnet // destinations this line covers
	Gateway tcpip.Addr   // next hop; unspecified for an on-link subnet
	NIC     int          // interface to send through
}

// NextHop returns where a datagram to dst that matched e goes on the
// link: the gateway, or dst itself on an on-link subnet.
func (e RouteEntry) NextHop(dst tcpip.Addr) tcpip.Addr {
	if e.Gateway.IsUnspecified() {
		return dst
	}
	return e.Gateway
}

// RouteTable is a longest-prefix-match table. Lookups take no lock: the
// table is an immutable slice replaced whole on each change, because routes
// change rarely (DHCP, configuration) and are read for every packet sent.
type RouteTable struct {
	mu      sync.Mutex // serialises writers
	entries atomic.Pointer[[]RouteEntry]
}

// Lookup returns the entry with the longest prefix containing dst.
func (t *RouteTable) Lookup(dst tcpip.Addr) (RouteEntry, bool) {
	p := t.entries.Load()
	if p == nil {
		return RouteEntry{}, false
	}
	for _, e := range *p { // sorted longest prefix first
		if e.Dest.Contains(dst) {
			return e, true
		}
	}
	return RouteEntry{}, false
}

// LookupNIC is Lookup restricted to routes through one interface.
func (t *RouteTable) LookupNIC(nic int, dst tcpip.Addr) (RouteEntry, bool) {
	p := t.entries.Load()
	if p == nil {
		return RouteEntry{}, false
	}
	for _, e := range *p {
		if e.NIC == nic && e.Dest.Contains(dst) {
			return e, true
		}
	}
	return RouteEntry{}, false
}

// Add inserts e, replacing any entry for the same destination and interface.
func (t *RouteTable) Add(e RouteEntry) {
	e.Dest = tcpip.SubnetOf(e.Dest.Addr, e.Dest.Bits)
	t.update(func(old []RouteEntry) []RouteEntry {
		out := slices.DeleteFunc(old, func(x RouteEntry) bool { return x.Dest == e.Dest && x.NIC == e.NIC })
		return append(out, e)
	})
}

// RemoveNIC deletes every entry through nic.
func (t *RouteTable) RemoveNIC(nic int) {
	t.update(func(old []RouteEntry) []RouteEntry {
		return slices.DeleteFunc(old, func(x RouteEntry) bool { return x.NIC == nic })
	})
}

// Remove deletes the entry for dest through nic, reporting whether there was one.
func (t *RouteTable) Remove(dest tcpip.Subnet, nic int) bool {
	found := false
	t.update(func(old []RouteEntry) []RouteEntry {
		return slices.DeleteFunc(old, func(x RouteEntry) bool {
			if x.Dest == dest && x.NIC == nic {
				found = true
				return true
			}
			return false
		})
	})
	return found
}

// Entries returns a copy of the table, longest prefix first.
func (t *RouteTable) Entries() []RouteEntry {
	p := t.entries.Load()
	if p == nil {
		return nil
	}
	return slices.Clone(*p)
}

func (t *RouteTable) update(f func([]RouteEntry) []RouteEntry) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var old []RouteEntry
	if p := t.entries.Load(); p != nil {
		old = slices.Clone(*p)
	}
	out := f(old)
	slices.SortStableFunc(out, func(a, b RouteEntry) int { return b.Dest.Bits - a.Dest.Bits })
	t.entries.Store(&out)
}
