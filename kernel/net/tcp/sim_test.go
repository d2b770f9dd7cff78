package tcp

import (
	"container/heap"
	"math/rand/v2"
	"sync"
	"syscall"
	"time"

	"scone/kernel/net/clock"
	"scone/kernel/net/tcpip"
)

// simNet joins TCP instances by a simulated network on fake time. It can
// drop, duplicate, delay and reorder packets. Packets are queued, never
// delivered from inside WritePacket, so a sender's locks are never
// re-entered. Tests drive it from one goroutine: deliver what is due,
// advance the clock when nothing is.
type simNet struct {
	clk *clock.Fake

	mu      sync.Mutex
	hosts   map[tcpip.Addr]*Protocol
	raw     map[tcpip.Addr]*[][]byte // addresses whose packets are captured, not delivered
	q       pktQueue
	seq     uint64
	rng     *rand.Rand
	loss    float64 // probability a packet is dropped
	dup     float64 // probability a packet is delivered twice
	reorder float64 // probability a packet is held back by an extra delay
	delay   time.Duration
	mtu     int
	noCheck bool                                     // skip the gopacket comparison (benchmarks)
	drop    func(src, dst tcpip.Addr, b []byte) bool // extra drop rule, if set
	sent    int
	free    []*simPkt // delivered packets, for reuse: the network itself should not dominate allocation counts
}

type simPkt struct {
	when     time.Time
	seq      uint64
	src, dst tcpip.Addr
	b        []byte
}

type pktQueue []*simPkt

func (q pktQueue) Len() int { return len(q) }
func (q pktQueue) Less(i, j int) bool {
	if !q[i].when.Equal(q[j].when) {
		return q[i].when.Before(q[j].when)
	}
	return q[i].seq < q[j].seq
}
func (q pktQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *pktQueue) Push(x any)   { *q = append(*q, x.(*simPkt)) }
func (q *pktQueue) Pop() any {
	old := *q
	p := old[len(old)-1]
	*q = old[:len(old)-1]
	return p
}

func newSimNet(seed uint64) *simNet {
	return &simNet{
		clk:   clock.NewFake(),
		hosts: make(map[tcpip.Addr]*Protocol),
		raw:   make(map[tcpip.Addr]*[][]byte),
		rng:   rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		delay: time.Millisecond,
		mtu:   1480,
	}
}

// simNIC is one host's NetworkLayer on a simNet.
type simNIC struct {
	n    *simNet
	addr tcpip.Addr
}

func (s *simNet) addHost(a tcpip.Addr, opts Options) *Protocol {
	p := NewProtocol(&simNIC{n: s, addr: a}, s.clk, opts)
	s.mu.Lock()
	s.hosts[a] = p
	s.mu.Unlock()
	return p
}

// addRaw makes a an address whose packets are recorded for inspection.
func (s *simNet) addRaw(a tcpip.Addr) *[][]byte {
	var l [][]byte
	s.mu.Lock()
	s.raw[a] = &l
	s.mu.Unlock()
	return &l
}

func (n *simNIC) Route(src, dst tcpip.Addr) (tcpip.Route, error) {
	if !src.IsUnspecified() && src != n.addr {
		return tcpip.Route{}, syscall.EADDRNOTAVAIL
	}
	n.n.mu.Lock()
	defer n.n.mu.Unlock()
	if n.n.hosts[dst] == nil && n.n.raw[dst] == nil {
		return tcpip.Route{}, syscall.ENETUNREACH
	}
	return tcpip.Route{Src: n.addr, Dst: dst, NextHop: dst, MTU: n.n.mtu}, nil
}

func (n *simNIC) IsLocal(a tcpip.Addr) bool { return a == n.addr }

func (n *simNIC) WritePacket(r tcpip.Route, proto uint8, hdr, payload []byte) error {
	s := n.n
	if !s.noCheck {
		checkWire(r.Src, r.Dst, append(append([]byte(nil), hdr...), payload...))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent++
	if l := s.raw[r.Dst]; l != nil {
		*l = append(*l, append(append([]byte(nil), hdr...), payload...))
		return nil
	}
	var pk *simPkt
	if k := len(s.free); k > 0 {
		pk, s.free = s.free[k-1], s.free[:k-1]
	} else {
		pk = &simPkt{}
	}
	b := append(append(pk.b[:0], hdr...), payload...)
	if s.drop != nil && s.drop(r.Src, r.Dst, b) {
		return nil
	}
	if s.loss > 0 && s.rng.Float64() < s.loss {
		return nil
	}
	if s.dup > 0 && s.rng.Float64() < s.dup {
		s.push(&simPkt{src: r.Src, dst: r.Dst, b: append([]byte(nil), b...)})
	}
	pk.src, pk.dst, pk.b = r.Src, r.Dst, b
	s.push(pk)
	return nil
}

// push queues pk after the link delay, plus a random extra delay for the
// packets chosen to be reordered. s.mu must be held.
func (s *simNet) push(pk *simPkt) {
	d := s.delay
	if s.reorder > 0 && s.rng.Float64() < s.reorder {
		d += time.Duration(1+s.rng.IntN(4)) * s.delay
	}
	s.seq++
	pk.when, pk.seq = s.clk.Now().Add(d), s.seq
	heap.Push(&s.q, pk)
}

// deliverDue delivers every packet whose time has come; it reports whether
// it delivered any.
func (s *simNet) deliverDue() bool {
	did := false
	now := s.clk.Now()
	for {
		s.mu.Lock()
		if len(s.q) == 0 || s.q[0].when.After(now) {
			s.mu.Unlock()
			return did
		}
		p := heap.Pop(&s.q).(*simPkt)
		h := s.hosts[p.dst]
		s.mu.Unlock()
		if h != nil {
			h.HandlePacket(tcpip.PacketInfo{Src: p.src, Dst: p.dst, TTL: 64}, p.b)
		}
		s.mu.Lock()
		s.free = append(s.free, p) // HandlePacket only borrowed p.b
		s.mu.Unlock()
		did = true
	}
}

// advance moves fake time to the next packet or timer, whichever is first.
// It reports false when nothing at all is pending.
func (s *simNet) advance() bool {
	s.mu.Lock()
	var next time.Duration
	have := false
	if len(s.q) > 0 {
		next, have = s.q[0].when.Sub(s.clk.Now()), true
	}
	s.mu.Unlock()
	if d, ok := s.clk.Next(); ok && (!have || d < next) {
		next, have = d, true
	}
	if !have {
		return false
	}
	s.clk.Advance(max(next, 0))
	return true
}

// runUntil delivers packets and advances time until cond holds, for at
// most limit of fake time; it reports whether cond came true.
func (s *simNet) runUntil(limit time.Duration, cond func() bool) bool {
	end := s.clk.Now().Add(limit)
	for i := 0; i < 10_000_000; i++ {
		if cond() {
			return true
		}
		if s.deliverDue() {
			continue
		}
		if s.clk.Now().After(end) || !s.advance() {
			return cond()
		}
	}
	return false
}
