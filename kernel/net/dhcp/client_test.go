package dhcp

import (
	"slices"
	"testing"
	"time"

	"scone/kernel/net/clock"
	"scone/kernel/net/tcpip"
)

var (
	clientMAC  = tcpip.MAC{0x52, 0x54, 0, 0x12, 0x34, 0x56}
	serverAddr = tcpip.MustParseAddr("10.0.2.2")
	offered    = tcpip.MustParseAddr("10.0.2.15")
)

// sent is one datagram the client handed its Conn.
type sent struct {
	src, dst tcpip.Addr
	msg      *Message
	at       time.Time
}

// fakeServer is the client's Conn and a scripted DHCP server. Sends are
// queued, because the client sends with its lock held; pump answers them.
type fakeServer struct {
	t      *testing.T
	clk    *clock.Fake
	c      *Client
	out    []sent // everything the client sent, in order
	queue  []sent // not yet answered
	silent bool   // drop instead of answering
	nak    bool   // answer REQUESTs with NAK
	lease  time.Duration
}

func (s *fakeServer) Send(src, dst tcpip.Addr, b []byte) error {
	m, err := Parse(b)
	if err != nil {
		s.t.Errorf("client sent an unparseable message: %v", err)
		return nil
	}
	if len(b) < MinSize {
		s.t.Errorf("client sent %d bytes, less than %d", len(b), MinSize)
	}
	p := sent{src, dst, m, s.clk.Now()}
	s.out = append(s.out, p)
	s.queue = append(s.queue, p)
	return nil
}

// pump answers queued messages until none remain (bounded).
func (s *fakeServer) pump() {
	for i := 0; i < 20 && len(s.queue) > 0; i++ {
		p := s.queue[0]
		s.queue = s.queue[1:]
		if s.silent {
			continue
		}
		if r := s.reply(p.msg); r != nil {
			s.c.Deliver(tcpip.FullAddr{Addr: serverAddr, Port: ServerPort}, r.Marshal())
		}
	}
}

func (s *fakeServer) reply(m *Message) *Message {
	r := &Message{Op: opReply, XID: m.XID, CHAddr: m.CHAddr, ServerID: serverAddr}
	switch m.Type {
	case Discover:
		r.Type = Offer
	case Request:
		r.Type = Ack
		if s.nak {
			r.Type = Nak
			return r
		}
	default:
		return nil
	}
	r.YIAddr = offered
	r.SubnetMask = tcpip.MustParseAddr("255.255.255.0")
	r.Routers = []tcpip.Addr{serverAddr}
	r.DNS = []tcpip.Addr{tcpip.MustParseAddr("10.0.2.3"), tcpip.MustParseAddr("10.0.2.4")}
	r.LeaseTime = s.lease
	r.DomainName = "scone.test"
	return r
}

// last returns the most recent message sent.
func (s *fakeServer) last() sent {
	s.t.Helper()
	if len(s.out) == 0 {
		s.t.Fatal("client sent nothing")
	}
	return s.out[len(s.out)-1]
}

type harness struct {
	*fakeServer
	bound, lost []Lease
}

// noJitter returns a Rand that makes backoff deterministic, since
// Rand()%(2j+1) == j gives zero jitter, yet still varies the transaction IDs.
func noJitter() func() uint64 {
	var k uint64
	return func() uint64 {
		k++
		return uint64(time.Second) + k*uint64(2*time.Second+1)
	}
}

func newHarness(t *testing.T) *harness {
	clk := clock.NewFake()
	h := &harness{fakeServer: &fakeServer{t: t, clk: clk, lease: time.Hour}}
	h.c = NewClient(Config{
		MAC: clientMAC, Conn: h.fakeServer, Clock: clk, Hostname: "scone",
		OnBound: func(l Lease) { h.bound = append(h.bound, l) },
		OnLost:  func(l Lease) { h.lost = append(h.lost, l) },
		Rand:    noJitter(),
	})
	return h
}

// advance moves the fake clock by d and answers whatever was sent.
func (h *harness) advance(d time.Duration) {
	h.clk.Advance(d)
	h.pump()
}

func (h *harness) bind() {
	h.t.Helper()
	h.c.Start()
	h.pump()
	if h.c.State() != Bound || len(h.bound) != 1 {
		h.t.Fatalf("state %v after handshake, %d leases; want BOUND, 1", h.c.State(), len(h.bound))
	}
}

func TestHandshake(t *testing.T) {
	h := newHarness(t)
	h.bind()
	if len(h.out) != 2 {
		t.Fatalf("sent %d messages, want DISCOVER and REQUEST", len(h.out))
	}
	d, r := h.out[0], h.out[1]
	if d.msg.Type != Discover || d.src != tcpip.AnyAddr || d.dst != tcpip.BroadcastAddr || d.msg.Flags&flagBroadcast == 0 {
		t.Errorf("first message %v %v->%v flags %#x", d.msg.Type, d.src, d.dst, d.msg.Flags)
	}
	if r.msg.Type != Request || r.msg.RequestedIP != offered || r.msg.ServerID != serverAddr || r.msg.XID != d.msg.XID {
		t.Errorf("REQUEST %+v", r.msg)
	}
	if r.msg.Hostname != "scone" || !slices.Contains(r.msg.ParamList, optDNS) {
		t.Errorf("REQUEST lacks hostname or parameter list: %+v", r.msg)
	}
	l := h.bound[0]
	want := Lease{
		Addr: offered, Subnet: tcpip.SubnetOf(offered, 24), Router: serverAddr,
		DNS: []tcpip.Addr{{10, 0, 2, 3}, {10, 0, 2, 4}}, DomainName: "scone.test",
		Server: serverAddr, Duration: time.Hour, T1: 30 * time.Minute,
		T2: 52*time.Minute + 30*time.Second, Acquired: h.out[1].at,
	}
	if l.Addr != want.Addr || l.Subnet != want.Subnet || l.Router != want.Router ||
		!slices.Equal(l.DNS, want.DNS) || l.DomainName != want.DomainName ||
		l.Server != want.Server || l.Duration != want.Duration || l.T1 != want.T1 ||
		l.T2 != want.T2 || !l.Acquired.Equal(want.Acquired) {
		t.Errorf("lease\n got %+v\nwant %+v", l, want)
	}
}

func TestRenewAtT1(t *testing.T) {
	h := newHarness(t)
	h.bind()
	h.advance(30*time.Minute - time.Second)
	if len(h.out) != 2 {
		t.Fatalf("sent before T1: %d messages", len(h.out))
	}
	h.advance(time.Second)
	r := h.out[2]
	if r.msg.Type != Request || r.src != offered || r.dst != serverAddr || r.msg.CIAddr != offered ||
		!r.msg.RequestedIP.IsUnspecified() || !r.msg.ServerID.IsUnspecified() {
		t.Fatalf("renewal %v %v->%v %+v", r.msg.Type, r.src, r.dst, r.msg)
	}
	if h.c.State() != Bound || len(h.bound) != 2 || !h.bound[1].Acquired.Equal(r.at) {
		t.Fatalf("after renewal: state %v, %d leases", h.c.State(), len(h.bound))
	}
	if len(h.lost) != 0 {
		t.Fatal("renewal lost the lease")
	}
}

// TestRenewRebindExpire follows a lease whose server vanished: unicast
// REQUESTs between T1 and T2 at halving intervals of at least a minute,
// broadcast ones from T2, and the lease lost at expiry.
func TestRenewRebindExpire(t *testing.T) {
	h := newHarness(t)
	h.bind()
	h.silent = true
	start := h.bound[0].Acquired
	for i := 0; i < 100 && h.c.State() != Selecting; i++ {
		d, ok := h.clk.Next()
		if !ok {
			t.Fatal("no timer pending")
		}
		h.advance(d)
	}
	var got []string
	for _, p := range h.out[2:] {
		got = append(got, p.msg.Type.String()+" "+p.dst.String()+" +"+p.at.Sub(start).String())
	}
	want := []string{
		"REQUEST 10.0.2.2 +30m0s",     // T1: half of 22m30s to T2 is 11m15s
		"REQUEST 10.0.2.2 +41m15s",    // 5m37.5s
		"REQUEST 10.0.2.2 +46m52.5s",  // 2m48.75s
		"REQUEST 10.0.2.2 +49m41.25s", // 1m24.375s
		"REQUEST 10.0.2.2 +51m5.625s", // left 1m24.375s: wait the 60 s minimum
		"REQUEST 10.0.2.2 +52m5.625s", // 24.375 s left: wait exactly that
		"REQUEST 255.255.255.255 +52m30s",
		"REQUEST 255.255.255.255 +56m15s",
		"REQUEST 255.255.255.255 +58m7.5s",
		"REQUEST 255.255.255.255 +59m7.5s",
		"DISCOVER 255.255.255.255 +1h0m0s",
	}
	if !slices.Equal(got, want) {
		t.Errorf("messages after bind:\n got %q\nwant %q", got, want)
	}
	if len(h.lost) != 1 || h.lost[0].Addr != offered {
		t.Errorf("lost %v, want the one lease", h.lost)
	}
	if _, ok := h.c.Lease(); ok {
		t.Error("Lease() still reports a lease after expiry")
	}
}

// TestRebindAnswered gets the lease back from another server after T2.
func TestRebindAnswered(t *testing.T) {
	h := newHarness(t)
	h.bind()
	h.silent = true
	h.advance(52*time.Minute + 30*time.Second)
	if h.c.State() != Rebinding {
		t.Fatalf("state %v at T2, want REBINDING", h.c.State())
	}
	h.silent = false
	h.queue = append(h.queue, h.last()) // answer the broadcast REQUEST
	h.pump()
	if h.c.State() != Bound || len(h.bound) != 2 || len(h.lost) != 0 {
		t.Fatalf("state %v, %d bound, %d lost", h.c.State(), len(h.bound), len(h.lost))
	}
}

func TestDiscoverBackoff(t *testing.T) {
	h := newHarness(t)
	h.silent = true
	h.c.Start()
	for i := 0; i < 7; i++ {
		d, _ := h.clk.Next()
		h.advance(d)
	}
	var gaps []time.Duration
	for i := 1; i < len(h.out); i++ {
		gaps = append(gaps, h.out[i].at.Sub(h.out[i-1].at))
		if h.out[i].msg.XID != h.out[0].msg.XID {
			t.Error("retransmission changed the transaction ID")
		}
		if h.out[i].msg.Secs != uint16(h.out[i].at.Sub(h.out[0].at)/time.Second) {
			t.Errorf("secs = %d at %v", h.out[i].msg.Secs, h.out[i].at.Sub(h.out[0].at))
		}
	}
	want := []time.Duration{4, 8, 16, 32, 64, 64, 64}
	for i := range want {
		want[i] *= time.Second
	}
	if !slices.Equal(gaps, want) {
		t.Errorf("retransmission gaps %v, want %v", gaps, want)
	}
	if s := h.c.Stats(); s.Retries != 7 || s.Sent != 8 {
		t.Errorf("stats %+v", s)
	}
}

func TestBackoffJitterBounds(t *testing.T) {
	var seed uint64 = 1
	c := NewClient(Config{MAC: clientMAC, Conn: &fakeServer{}, Clock: clock.NewFake(),
		Rand: func() uint64 { seed = seed*6364136223846793005 + 1442695040888963407; return seed >> 1 }})
	seen := map[time.Duration]bool{}
	for try := 1; try <= 8; try++ {
		base := min(4*time.Second<<(try-1), 64*time.Second)
		for i := 0; i < 50; i++ {
			c.tries = try
			d := c.backoff()
			if d < base-time.Second || d > base+time.Second {
				t.Fatalf("try %d: backoff %v outside %v±1s", try, d, base)
			}
			seen[d] = true
		}
	}
	if len(seen) < 100 {
		t.Errorf("only %d distinct backoffs: jitter is not random", len(seen))
	}
}

func TestNak(t *testing.T) {
	h := newHarness(t)
	h.nak = true
	h.c.Start()
	h.pump()
	if h.c.State() != Selecting || len(h.bound) != 0 {
		t.Fatalf("after NAK: state %v", h.c.State())
	}
	if s := h.c.Stats(); s.Naks == 0 {
		t.Errorf("NAK not counted: %+v", s)
	}
	// Once the server relents the client binds.
	h.nak = false
	h.queue = nil
	d, _ := h.clk.Next()
	h.advance(d)
	if h.c.State() != Bound {
		t.Fatalf("state %v after retry, want BOUND", h.c.State())
	}
	// A NAK to a renewal ends the lease.
	h.nak = true
	n := len(h.out)
	h.advance(30 * time.Minute)
	if len(h.lost) != 1 || h.c.State() == Bound || len(h.out) < n+2 || h.out[n+1].msg.Type != Discover {
		t.Fatalf("after renewal NAK: state %v, %d lost", h.c.State(), len(h.lost))
	}
}

func TestRequestGivesUp(t *testing.T) {
	h := newHarness(t)
	h.c.Start()
	h.silent = true
	h.pump() // the DISCOVER is dropped...
	h.silent = false
	// ...answer one DISCOVER but no REQUEST.
	r := h.reply(h.out[0].msg)
	h.queue = nil
	h.silent = true
	h.c.Deliver(tcpip.FullAddr{Addr: serverAddr, Port: ServerPort}, r.Marshal())
	for i := 0; i < 10 && h.c.State() == Requesting; i++ {
		d, _ := h.clk.Next()
		h.advance(d)
	}
	var types []MessageType
	for _, p := range h.out {
		types = append(types, p.msg.Type)
	}
	want := []MessageType{Discover, Request, Request, Request, Request, Request, Discover}
	if !slices.Equal(types, want) {
		t.Errorf("sent %v, want %v", types, want)
	}
	if h.out[6].msg.XID == h.out[0].msg.XID {
		t.Error("new DISCOVER reused the transaction ID")
	}
}

func TestIgnored(t *testing.T) {
	h := newHarness(t)
	h.silent = true
	h.c.Start()
	h.pump()
	good := h.reply(h.out[0].msg)
	from := tcpip.FullAddr{Addr: serverAddr, Port: ServerPort}
	tests := []struct {
		name      string
		from      tcpip.FullAddr
		b         []byte
		malformed bool
	}{
		{"garbage", from, []byte{1, 2, 3}, true},
		{"wrong xid", from, mutate(good, func(m *Message) { m.XID++ }), false},
		{"wrong MAC", from, mutate(good, func(m *Message) { m.CHAddr[5]++ }), false},
		{"request op", from, mutate(good, func(m *Message) { m.Op = opRequest }), false},
		{"ack in selecting", from, mutate(good, func(m *Message) { m.Type = Ack }), false},
		{"no server id", from, mutate(good, func(m *Message) { m.ServerID = tcpip.AnyAddr }), false},
		{"broadcast address", from, mutate(good, func(m *Message) { m.YIAddr = tcpip.BroadcastAddr }), false},
		{"wrong port", tcpip.FullAddr{Addr: serverAddr, Port: 1067}, good.Marshal(), false},
	}
	for _, tt := range tests {
		before := h.c.Stats()
		h.c.Deliver(tt.from, tt.b)
		after := h.c.Stats()
		if h.c.State() != Selecting {
			t.Fatalf("%s: state changed to %v", tt.name, h.c.State())
		}
		if tt.malformed && after.Malformed != before.Malformed+1 || !tt.malformed && after.Ignored != before.Ignored+1 {
			t.Errorf("%s: stats %+v -> %+v", tt.name, before, after)
		}
	}
	h.c.Deliver(from, good.Marshal())
	if h.c.State() != Requesting {
		t.Fatalf("good offer: state %v", h.c.State())
	}
}

func mutate(m *Message, f func(*Message)) []byte {
	c := *m
	f(&c)
	return c.Marshal()
}

func TestDecline(t *testing.T) {
	h := newHarness(t)
	h.bind()
	h.c.Decline()
	d := h.last()
	if d.msg.Type != Decline || d.msg.RequestedIP != offered || d.msg.ServerID != serverAddr || d.dst != tcpip.BroadcastAddr {
		t.Fatalf("DECLINE %v->%v %+v", d.src, d.dst, d.msg)
	}
	if len(h.lost) != 1 || h.c.State() != Backoff {
		t.Fatalf("state %v, %d lost", h.c.State(), len(h.lost))
	}
	h.queue = nil
	h.advance(declineWait - time.Millisecond)
	if h.last().msg.Type != Decline {
		t.Fatal("restarted before the decline wait")
	}
	h.advance(time.Millisecond)
	if h.c.State() != Bound || len(h.bound) != 2 {
		t.Fatalf("state %v after restart", h.c.State())
	}
}

func TestRelease(t *testing.T) {
	h := newHarness(t)
	h.bind()
	h.c.Release()
	r := h.last()
	if r.msg.Type != Release || r.src != offered || r.dst != serverAddr || r.msg.CIAddr != offered {
		t.Fatalf("RELEASE %v->%v %+v", r.src, r.dst, r.msg)
	}
	if h.c.State() != Stopped || len(h.lost) != 1 || h.clk.Pending() != 0 {
		t.Fatalf("state %v, %d lost, %d timers", h.c.State(), len(h.lost), h.clk.Pending())
	}
}

func TestInfiniteLease(t *testing.T) {
	h := newHarness(t)
	h.lease = Infinite
	h.bind()
	if h.clk.Pending() != 0 {
		t.Fatalf("%d timers pending for a permanent lease", h.clk.Pending())
	}
	if l, _ := h.c.Lease(); l.Duration != Infinite {
		t.Fatalf("duration %v", l.Duration)
	}
}

func TestLeaseTimes(t *testing.T) {
	h := time.Hour
	tests := []struct {
		lease, t1, t2, w1, w2 time.Duration
	}{
		{h, 0, 0, h / 2, h / 8 * 7},
		{h, 10 * time.Minute, 20 * time.Minute, 10 * time.Minute, 20 * time.Minute},
		{h, 40 * time.Minute, 20 * time.Minute, 20 * time.Minute, 20 * time.Minute}, // T1 > T2
		{h, 0, 2 * h, h / 2, h / 8 * 7},                                             // T2 beyond the lease
	}
	for _, tt := range tests {
		t1, t2 := leaseTimes(tt.lease, tt.t1, tt.t2)
		if t1 != tt.w1 || t2 != tt.w2 {
			t.Errorf("leaseTimes(%v,%v,%v) = %v,%v; want %v,%v", tt.lease, tt.t1, tt.t2, t1, t2, tt.w1, tt.w2)
		}
	}
}
