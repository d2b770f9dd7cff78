package dns

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"syscall"
	"time"

	"scone/kernel/net/clock"
	"scone/kernel/net/tcpip"
)

// Conn is how the resolver reaches its servers: one UDP socket, bound to
// some local port. Send sends one datagram to dst; the owner of the Conn
// hands every datagram that arrives on the socket to Resolver.Deliver.
type Conn interface {
	Send(dst tcpip.FullAddr, payload []byte) error
}

// Config configures a Resolver. Conn and Clock are required.
type Config struct {
	Servers   []tcpip.Addr  // asked in order; see SetServers
	Conn      Conn          //
	Clock     clock.Clock   //
	Timeout   time.Duration // wait for one reply; default 2 s
	Attempts  int           // passes over the server list; default 2
	CacheSize int           // names cached; default 256
	Hosts     *Hosts        // static names, consulted first; may be nil
	Rand      func() uint64 // query IDs; nil means math/rand/v2
}

// Lookup errors. A lookup that gets no reply at all fails with
// syscall.ETIMEDOUT.
var (
	ErrNotFound      = errors.New("dns: no such host")
	ErrNoServers     = errors.New("dns: no servers configured")
	ErrServerFailure = errors.New("dns: server failure")
	ErrRefused       = errors.New("dns: query refused")
	ErrTruncated     = errors.New("dns: reply truncated")
	ErrChain         = errors.New("dns: CNAME chain too long")
)

// maxCNAME bounds the CNAME records followed for one lookup, across all
// the queries it makes.
const maxCNAME = 8

// Stats counts the resolver's work.
type Stats struct {
	Lookups    uint64 // calls to Lookup
	HostHits   uint64 // answered from the hosts table
	CacheHits  uint64 // answered from the cache
	Queries    uint64 // datagrams sent
	Replies    uint64 // replies matched to a query
	Malformed  uint64 // datagrams that did not parse
	Mismatched uint64 // well-formed but not an answer to a pending query
	Timeouts   uint64 // queries that got no reply in time
}

// Resolver is a stub resolver. It is safe for concurrent use.
type Resolver struct {
	cfg   Config
	cache *cache

	mu      sync.Mutex
	servers []tcpip.Addr
	pending map[uint16]*query
	stats   Stats
}

// query is one outstanding question to one server.
type query struct {
	server tcpip.Addr
	q      Question
	reply  chan *Message // buffered; receives at most one message
}

// New returns a resolver for cfg, filling in defaults.
func New(cfg Config) *Resolver {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 2
	}
	if cfg.Hosts == nil {
		cfg.Hosts = &Hosts{}
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Uint64
	}
	return &Resolver{
		cfg:     cfg,
		cache:   newCache(cfg.CacheSize),
		servers: append([]tcpip.Addr(nil), cfg.Servers...),
		pending: make(map[uint16]*query),
	}
}

// SetServers replaces the server list (say, with the servers a new DHCP
// lease names).
func (r *Resolver) SetServers(servers []tcpip.Addr) {
	r.mu.Lock()
	r.servers = append([]tcpip.Addr(nil), servers...)
	r.mu.Unlock()
}

// Hosts returns the resolver's static table.
func (r *Resolver) Hosts() *Hosts { return r.cfg.Hosts }

// Stats returns a snapshot of the counters.
func (r *Resolver) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

// Lookup returns the IPv4 addresses of name: a dotted quad is returned as
// is; otherwise the hosts table, the cache and then the servers are asked.
// It blocks until an answer, an error, or ctx is done.
func (r *Resolver) Lookup(ctx context.Context, name string) ([]tcpip.Addr, error) {
	r.count(func(s *Stats) { s.Lookups++ })
	if a, err := tcpip.ParseAddr(name); err == nil {
		return []tcpip.Addr{a}, nil
	}
	if _, err := splitName(name); err != nil || canonical(name) == "" {
		return nil, ErrName
	}
	if a, ok := r.cfg.Hosts.Lookup(name); ok {
		r.count(func(s *Stats) { s.HostHits++ })
		return a, nil
	}
	key := canonical(name)
	if e, ok := r.cache.get(key, r.cfg.Clock.Now()); ok {
		r.count(func(s *Stats) { s.CacheHits++ })
		return append([]tcpip.Addr(nil), e.addrs...), e.err
	}
	addrs, ttl, err := r.resolve(ctx, key)
	if err == nil || errors.Is(err, ErrNotFound) {
		r.cache.put(key, cacheEntry{addrs: addrs, err: err}, ttl, r.cfg.Clock.Now())
	}
	return addrs, err
}

// resolve asks the servers for name's A records, following CNAMEs, and
// returns the addresses with the smallest TTL met on the way (or, for a
// name that does not exist, the negative-caching TTL).
func (r *Resolver) resolve(ctx context.Context, name string) ([]tcpip.Addr, time.Duration, error) {
	ttl := maxTTL
	cur := name
	for hops := 0; hops <= maxCNAME; {
		m, err := r.exchange(ctx, cur)
		if err != nil {
			return nil, 0, err
		}
		if m.RCode == RCodeNXDomain {
			return nil, negativeTTL(m), ErrNotFound
		}
		addrs, next, n, t := follow(m, cur, maxCNAME-hops)
		ttl = min(ttl, t)
		hops += n
		switch {
		case hops > maxCNAME:
			return nil, 0, ErrChain
		case len(addrs) > 0:
			return addrs, ttl, nil
		case n == 0:
			return nil, negativeTTL(m), ErrNotFound // the name has no A record
		}
		// The answer ended in a CNAME whose target it did not resolve:
		// ask for the target.
		cur = next
	}
	return nil, 0, ErrChain
}

// follow walks m's answer section from name along CNAMEs to A records. It
// returns the addresses found, the name it stopped at, the number of CNAMEs
// followed (more than budget means the chain was too long) and the
// smallest TTL of the records used.
func follow(m *Message, name string, budget int) ([]tcpip.Addr, string, int, time.Duration) {
	ttl := maxTTL
	for n := 0; ; n++ {
		var addrs []tcpip.Addr
		for _, rr := range m.Answers {
			if rr.Type == TypeA && rr.Class == ClassINET && canonical(rr.Name) == name {
				addrs = append(addrs, rr.A)
				ttl = min(ttl, time.Duration(rr.TTL)*time.Second)
			}
		}
		if len(addrs) > 0 {
			return addrs, name, n, ttl
		}
		next := ""
		for _, rr := range m.Answers {
			if rr.Type == TypeCNAME && canonical(rr.Name) == name {
				next = canonical(rr.Target)
				ttl = min(ttl, time.Duration(rr.TTL)*time.Second)
				break
			}
		}
		if next == "" || n >= budget {
			if next != "" {
				n++ // one CNAME more than allowed
			}
			return nil, name, n, ttl
		}
		name = next
	}
}

// negativeTTL is how long a "no such host" may be cached: the SOA record's
// TTL or MINIMUM field, whichever is smaller (RFC 2308 5); zero without one.
func negativeTTL(m *Message) time.Duration {
	for _, rr := range m.Authorities {
		if rr.Type == TypeSOA && len(rr.Data) >= 20 {
			d := rr.Data[len(rr.Data)-4:]
			minimum := uint32(d[0])<<24 | uint32(d[1])<<16 | uint32(d[2])<<8 | uint32(d[3])
			return min(time.Duration(min(rr.TTL, minimum))*time.Second, maxNegativeTTL)
		}
	}
	return 0
}

// exchange asks each server in turn, Attempts times round, until one gives
// a usable answer (success or NXDOMAIN).
func (r *Resolver) exchange(ctx context.Context, name string) (*Message, error) {
	r.mu.Lock()
	servers := r.servers
	r.mu.Unlock()
	if len(servers) == 0 {
		return nil, ErrNoServers
	}
	q := Question{Name: name, Type: TypeA, Class: ClassINET}
	var last error = syscall.ETIMEDOUT
	for a := 0; a < r.cfg.Attempts; a++ {
		for _, s := range servers {
			m, err := r.ask(ctx, s, q)
			switch {
			case err != nil && ctx.Err() != nil:
				return nil, ctx.Err()
			case err != nil:
				last = err
			case m.Truncated:
				last = ErrTruncated // no TCP fallback: try another server
			case m.RCode == RCodeSuccess || m.RCode == RCodeNXDomain:
				return m, nil
			case m.RCode == RCodeRefused:
				last = ErrRefused
			default:
				last = ErrServerFailure
			}
		}
	}
	return nil, last
}

// ask sends q to server and waits for the matching reply.
func (r *Resolver) ask(ctx context.Context, server tcpip.Addr, q Question) (*Message, error) {
	p := &query{server: server, q: q, reply: make(chan *Message, 1)}
	r.mu.Lock()
	var id uint16
	for {
		// IDs are random so an off-path attacker must guess them.
		id = uint16(r.cfg.Rand())
		if _, busy := r.pending[id]; !busy {
			break
		}
	}
	r.pending[id] = p
	r.stats.Queries++
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		if r.pending[id] == p {
			delete(r.pending, id)
		}
		r.mu.Unlock()
	}()

	msg := &Message{Header: Header{ID: id, RecursionDesired: true}, Questions: []Question{q}}
	b, err := msg.Marshal()
	if err != nil {
		return nil, err
	}
	timeout := make(chan struct{})
	t := r.cfg.Clock.AfterFunc(r.cfg.Timeout, func() { close(timeout) })
	defer t.Stop()
	if err := r.cfg.Conn.Send(tcpip.FullAddr{Addr: server, Port: Port}, b); err != nil {
		return nil, err
	}
	select {
	case m := <-p.reply:
		return m, nil
	case <-timeout:
		select {
		case m := <-p.reply: // arrived as the timer fired: still in time
			return m, nil
		default:
		}
		r.count(func(s *Stats) { s.Timeouts++ })
		return nil, syscall.ETIMEDOUT
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Deliver hands the resolver a datagram that arrived on its socket. Only a
// reply from the queried server's port 53, with the query's ID and
// question, is accepted; b is not kept.
func (r *Resolver) Deliver(src tcpip.FullAddr, b []byte) {
	m, err := Parse(b)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.stats.Malformed++
		return
	}
	p, ok := r.pending[m.ID]
	if !ok || !m.Response || m.Opcode != 0 || src.Addr != p.server || src.Port != Port || !answers(m, p.q) {
		r.stats.Mismatched++
		return
	}
	delete(r.pending, m.ID) // later duplicates are mismatches
	r.stats.Replies++
	p.reply <- m
}

// answers reports whether m's question section matches q. Servers may
// drop the question from an error reply, so that is allowed.
func answers(m *Message, q Question) bool {
	if len(m.Questions) == 0 {
		return m.RCode != RCodeSuccess && m.RCode != RCodeNXDomain
	}
	if len(m.Questions) != 1 {
		return false
	}
	mq := m.Questions[0]
	return mq.Type == q.Type && mq.Class == q.Class && canonical(mq.Name) == canonical(q.Name)
}

func (r *Resolver) count(f func(*Stats)) {
	r.mu.Lock()
	f(&r.stats)
	r.mu.Unlock()
}

// Servers returns the servers the resolver asks, in order.
func (r *Resolver) Servers() []tcpip.Addr {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]tcpip.Addr(nil), r.servers...)
}
