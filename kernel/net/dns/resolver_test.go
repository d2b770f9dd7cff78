package dns

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"scone/kernel/net/clock"
	"scone/kernel/net/tcpip"
)

var (
	server1 = tcpip.MustParseAddr("10.0.2.3")
	server2 = tcpip.MustParseAddr("10.0.2.4")
)

// fakeServer is one scripted recursive server.
type fakeServer struct {
	zone    map[string][]Resource // records by owner name
	mode    string                // "", "silent", "servfail", "refused", "truncated"
	noChase bool                  // answer only the records of the name asked
	// before returns datagrams delivered ahead of the real reply
	// (spoofing attempts).
	before func(query *Message) []delivery
}

type delivery struct {
	from tcpip.FullAddr
	b    []byte
}

// fakeNet is the resolver's Conn: it routes each query to a fake server,
// which answers synchronously through Deliver.
type fakeNet struct {
	t       *testing.T
	r       *Resolver
	mu      sync.Mutex
	servers map[tcpip.Addr]*fakeServer
	queries []string      // "server name" per query
	sent    chan struct{} // one token per query
}

func (n *fakeNet) Send(dst tcpip.FullAddr, b []byte) error {
	q, err := Parse(b)
	if err != nil || len(q.Questions) != 1 || !q.RecursionDesired || q.Response || dst.Port != Port {
		n.t.Errorf("bad query to %v: %+v %v", dst, q, err)
		return nil
	}
	n.mu.Lock()
	n.queries = append(n.queries, dst.Addr.String()+" "+q.Questions[0].Name)
	s := n.servers[dst.Addr]
	n.mu.Unlock()
	// Announce the query only once any reply has been delivered, so a test
	// that advances the clock on this signal never races the reply.
	defer func() { n.sent <- struct{}{} }()
	if s == nil || s.mode == "silent" {
		return nil
	}
	if s.before != nil {
		for _, d := range s.before(q) {
			n.r.Deliver(d.from, d.b)
		}
	}
	reply := s.answer(q)
	rb, err := reply.Marshal()
	if err != nil {
		n.t.Fatal(err)
	}
	n.r.Deliver(dst, rb)
	return nil
}

func (s *fakeServer) answer(q *Message) *Message {
	r := &Message{Header: q.Header, Questions: q.Questions}
	r.Response, r.RecursionAvailable = true, true
	switch s.mode {
	case "servfail":
		r.RCode = RCodeServFail
		return r
	case "refused":
		r.RCode = RCodeRefused
		return r
	case "truncated":
		r.Truncated = true
		return r
	}
	name := canonical(q.Questions[0].Name)
	if _, ok := s.zone[name]; !ok {
		r.RCode = RCodeNXDomain
		soa := append(make([]byte, 16), 0, 0, 0, 30) // MINIMUM 30 s
		r.Authorities = []Resource{{Name: "test", Type: TypeSOA, Class: ClassINET, TTL: 600, Data: append([]byte{0, 0}, soa...)}}
		return r
	}
	for i := 0; i < 20; i++ {
		rrs := s.zone[name]
		r.Answers = append(r.Answers, rrs...)
		if len(rrs) == 0 || rrs[0].Type != TypeCNAME || s.noChase {
			break
		}
		name = canonical(rrs[0].Target)
	}
	return r
}

func a(name string, ttl uint32, addr string) Resource {
	return Resource{Name: name, Type: TypeA, Class: ClassINET, TTL: ttl, A: tcpip.MustParseAddr(addr)}
}

func cname(name string, ttl uint32, target string) Resource {
	return Resource{Name: name, Type: TypeCNAME, Class: ClassINET, TTL: ttl, Target: target}
}

func testZone() map[string][]Resource {
	z := map[string][]Resource{
		"host.test":   {a("host.test", 300, "10.0.2.100"), a("host.test", 300, "10.0.2.101")},
		"www.test":    {cname("www.test", 60, "web.test")},
		"web.test":    {cname("web.test", 120, "host.test")},
		"empty.test":  {},
		"loop1.test":  {cname("loop1.test", 60, "loop2.test")},
		"loop2.test":  {cname("loop2.test", 60, "loop1.test")},
		"short.test":  {a("short.test", 0, "10.0.2.7")},
		"Mixed.Test":  {a("mixed.test", 60, "10.0.2.8")},
		"chain0.test": {a("chain0.test", 60, "10.0.2.9")},
	}
	z["mixed.test"] = z["Mixed.Test"]
	for i := 1; i <= 9; i++ {
		n := "chain" + strconv.Itoa(i) + ".test"
		z[n] = []Resource{cname(n, 60, "chain"+strconv.Itoa(i-1)+".test")}
	}
	return z
}

func newTestResolver(t *testing.T, servers ...*fakeServer) (*Resolver, *fakeNet, *clock.Fake) {
	clk := clock.NewFake()
	n := &fakeNet{t: t, servers: map[tcpip.Addr]*fakeServer{}, sent: make(chan struct{}, 100)}
	addrs := []tcpip.Addr{server1, server2}
	for i, s := range servers {
		n.servers[addrs[i]] = s
	}
	var seq uint64
	n.r = New(Config{Servers: addrs[:len(servers)], Conn: n, Clock: clk, Timeout: time.Second,
		Rand: func() uint64 { seq += 7919; return seq }})
	return n.r, n, clk
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name    string
		noChase bool
		want    []string
		err     error
		queries int
	}{
		{"host.test", false, []string{"10.0.2.100", "10.0.2.101"}, nil, 1},
		{"HOST.test.", false, []string{"10.0.2.100", "10.0.2.101"}, nil, 1},
		{"www.test", false, []string{"10.0.2.100", "10.0.2.101"}, nil, 1},
		{"www.test", true, []string{"10.0.2.100", "10.0.2.101"}, nil, 3}, // CNAMEs re-asked
		{"mixed.test", false, []string{"10.0.2.8"}, nil, 1},
		{"nosuch.test", false, nil, ErrNotFound, 1},
		{"empty.test", false, nil, ErrNotFound, 1},
		{"loop1.test", false, nil, ErrChain, 1},
		{"loop1.test", true, nil, ErrChain, maxCNAME + 1},
		{"chain8.test", false, []string{"10.0.2.9"}, nil, 1},
		{"chain9.test", false, nil, ErrChain, 1},
		{"chain8.test", true, []string{"10.0.2.9"}, nil, 9},
		{"10.1.2.3", false, []string{"10.1.2.3"}, nil, 0},
		{"bad..name", false, nil, ErrName, 0},
	}
	for _, tt := range tests {
		r, n, _ := newTestResolver(t, &fakeServer{zone: testZone(), noChase: tt.noChase})
		got, err := r.Lookup(context.Background(), tt.name)
		var gs []string
		for _, x := range got {
			gs = append(gs, x.String())
		}
		if !errors.Is(err, tt.err) || !slices.Equal(gs, tt.want) || len(n.queries) != tt.queries {
			t.Errorf("Lookup(%q, noChase=%v) = %v, %v after %d queries; want %v, %v after %d",
				tt.name, tt.noChase, gs, err, len(n.queries), tt.want, tt.err, tt.queries)
		}
	}
}

func TestCache(t *testing.T) {
	r, n, clk := newTestResolver(t, &fakeServer{zone: testZone()})
	ctx := context.Background()
	lookup := func(name string) {
		t.Helper()
		if _, err := r.Lookup(ctx, name); err != nil && !errors.Is(err, ErrNotFound) {
			t.Fatalf("Lookup(%s): %v", name, err)
		}
	}
	steps := []struct {
		name    string
		advance time.Duration
		queries int // total so far
	}{
		{"www.test", 0, 1},
		{"www.test", 59 * time.Second, 1}, // chain TTL is the CNAME's 60 s
		{"www.test", time.Second, 2},
		{"host.test", 0, 3},
		{"host.test", 299 * time.Second, 3},
		{"short.test", 0, 4}, // TTL 0: never cached
		{"short.test", 0, 5},
		{"nosuch.test", 0, 6},
		{"nosuch.test", 29 * time.Second, 6}, // negative: SOA MINIMUM 30 s
		{"nosuch.test", time.Second, 7},
	}
	for i, s := range steps {
		clk.Advance(s.advance)
		lookup(s.name)
		if len(n.queries) != s.queries {
			t.Fatalf("step %d (%s): %d queries, want %d", i, s.name, len(n.queries), s.queries)
		}
	}
	if st := r.Stats(); st.CacheHits != 3 {
		t.Errorf("cache hits %d, want 3", st.CacheHits)
	}
}

func TestCacheBounded(t *testing.T) {
	c := newCache(4)
	now := time.Now()
	for i := 0; i < 10; i++ {
		c.put(strconv.Itoa(i), cacheEntry{}, time.Duration(i+1)*time.Minute, now)
	}
	if c.len() != 4 {
		t.Fatalf("cache holds %d entries, want 4", c.len())
	}
	// The longest-lived entries survive.
	for i := 6; i < 10; i++ {
		if _, ok := c.get(strconv.Itoa(i), now); !ok {
			t.Errorf("entry %d evicted", i)
		}
	}
}

func TestHosts(t *testing.T) {
	r, n, _ := newTestResolver(t, &fakeServer{zone: testZone()})
	r.Hosts().Add("Gateway.", tcpip.MustParseAddr("10.0.2.2"))
	got, err := r.Lookup(context.Background(), "gateway")
	if err != nil || len(got) != 1 || got[0] != tcpip.MustParseAddr("10.0.2.2") || len(n.queries) != 0 {
		t.Fatalf("hosts lookup = %v, %v, %d queries", got, err, len(n.queries))
	}
}

func TestFailover(t *testing.T) {
	good := &fakeServer{zone: testZone()}
	tests := []struct {
		mode    string
		queries []string
	}{
		{"servfail", []string{"10.0.2.3 host.test", "10.0.2.4 host.test"}},
		{"refused", []string{"10.0.2.3 host.test", "10.0.2.4 host.test"}},
		{"truncated", []string{"10.0.2.3 host.test", "10.0.2.4 host.test"}},
		{"silent", []string{"10.0.2.3 host.test", "10.0.2.4 host.test"}},
	}
	for _, tt := range tests {
		r, n, clk := newTestResolver(t, &fakeServer{mode: tt.mode}, good)
		addrs, err := lookupAdvancing(t, r, n, clk, "host.test")
		if err != nil || len(addrs) != 2 || !slices.Equal(n.queries, tt.queries) {
			t.Errorf("%s: %v, %v; queries %q", tt.mode, addrs, err, n.queries)
		}
	}
}

// lookupAdvancing runs Lookup in a goroutine, advancing the fake clock by
// the timeout after each query until it returns.
func lookupAdvancing(t *testing.T, r *Resolver, n *fakeNet, clk *clock.Fake, name string) ([]tcpip.Addr, error) {
	type result struct {
		addrs []tcpip.Addr
		err   error
	}
	done := make(chan result, 1)
	go func() {
		a, err := r.Lookup(context.Background(), name)
		done <- result{a, err}
	}()
	for i := 0; i < 50; i++ {
		select {
		case res := <-done:
			return res.addrs, res.err
		case <-n.sent:
			clk.Advance(r.cfg.Timeout) // harmless if the query was answered
		case <-time.After(10 * time.Second):
			t.Fatal("lookup neither queried nor returned")
		}
	}
	t.Fatal("lookup did not finish after 50 queries")
	return nil, nil
}

func TestAllServersSilent(t *testing.T) {
	r, n, clk := newTestResolver(t, &fakeServer{mode: "silent"}, &fakeServer{mode: "silent"})
	start := clk.Now()
	_, err := lookupAdvancing(t, r, n, clk, "host.test")
	if !errors.Is(err, syscall.ETIMEDOUT) {
		t.Fatalf("err = %v, want ETIMEDOUT", err)
	}
	want := []string{"10.0.2.3 host.test", "10.0.2.4 host.test", "10.0.2.3 host.test", "10.0.2.4 host.test"}
	if !slices.Equal(n.queries, want) {
		t.Errorf("queries %q, want %q", n.queries, want)
	}
	if d := clk.Now().Sub(start); d != 4*time.Second {
		t.Errorf("gave up after %v, want 4 timeouts of 1s", d)
	}
	if s := r.Stats(); s.Timeouts != 4 {
		t.Errorf("stats %+v", s)
	}
}

func TestNoServers(t *testing.T) {
	r, _, _ := newTestResolver(t)
	if _, err := r.Lookup(context.Background(), "host.test"); !errors.Is(err, ErrNoServers) {
		t.Fatalf("err = %v", err)
	}
}

// TestSpoofedRepliesIgnored delivers forged answers ahead of the real one.
func TestSpoofedRepliesIgnored(t *testing.T) {
	forge := func(q *Message) []delivery {
		evil := &Message{Header: q.Header, Questions: q.Questions, Answers: []Resource{a("host.test", 300, "6.6.6.6")}}
		evil.Response = true
		wrongID := *evil
		wrongID.ID++
		wrongQ := *evil
		wrongQ.Questions = []Question{{Name: "other.test", Type: TypeA, Class: ClassINET}}
		query := *evil
		query.Response = false
		enc := func(m *Message) []byte { b, _ := m.Marshal(); return b }
		ok := tcpip.FullAddr{Addr: server1, Port: Port}
		return []delivery{
			{tcpip.FullAddr{Addr: tcpip.MustParseAddr("10.9.9.9"), Port: Port}, enc(evil)},
			{tcpip.FullAddr{Addr: server1, Port: 5353}, enc(evil)},
			{ok, enc(&wrongID)},
			{ok, enc(&wrongQ)},
			{ok, enc(&query)},
			{ok, []byte{1, 2, 3}},
		}
	}
	r, _, _ := newTestResolver(t, &fakeServer{zone: testZone(), before: forge})
	got, err := r.Lookup(context.Background(), "host.test")
	if err != nil || len(got) != 2 || got[0] != tcpip.MustParseAddr("10.0.2.100") {
		t.Fatalf("Lookup = %v, %v", got, err)
	}
	if s := r.Stats(); s.Mismatched != 5 || s.Malformed != 1 || s.Replies != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestCancel(t *testing.T) {
	r, n, _ := newTestResolver(t, &fakeServer{mode: "silent"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := r.Lookup(ctx, "host.test")
		done <- err
	}()
	select {
	case <-n.sent:
	case <-time.After(10 * time.Second):
		t.Fatal("no query sent")
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Lookup did not return after cancel")
	}
	r.mu.Lock()
	left := len(r.pending)
	r.mu.Unlock()
	if left != 0 {
		t.Error("cancelled query left pending")
	}
}
