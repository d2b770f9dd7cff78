package arp

import (
	"sync"
	"sync/atomic"
	"time"

	"scone/kernel/net/clock"
	"scone/kernel/net/tcpip"
)

// Config tunes a Cache. Zero fields take the defaults in parentheses, which
// follow Linux's neighbour table.
type Config struct {
	Reachable  time.Duration // how long an answer is trusted (30 s)
	Stale      time.Duration // how long an unused stale entry lives (60 s)
	Retrans    time.Duration // time between requests (1 s)
	MaxRetries int           // requests sent before giving up (3)
	MaxPending int           // bytes of frames queued per unresolved address (212992, Linux's unres_qlen_bytes)
	MaxEntries int           // entries in the cache (512)
}

func (c *Config) setDefaults() {
	if c.Reachable == 0 {
		c.Reachable = 30 * time.Second
	}
	if c.Stale == 0 {
		c.Stale = 60 * time.Second
	}
	if c.Retrans == 0 {
		c.Retrans = time.Second
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = 3
	}
	if c.MaxPending == 0 {
		c.MaxPending = 212992
	}
	if c.MaxEntries == 0 {
		c.MaxEntries = 512
	}
}

// State is where an entry is in its life.
type State uint8

// Entry states (RFC 4861's neighbour states, which Linux uses for ARP too).
const (
	Incomplete State = iota // request sent, no answer yet; packets queue
	Reachable               // answered recently
	Stale                   // old answer, still used; the next use probes
	Probe                   // stale and in use: re-asking, still sending
)

// Stats count the cache's work.
type Stats struct {
	Requests     tcpip.Counter // requests sent
	Resolved     tcpip.Counter // incomplete entries that got an answer
	Failed       tcpip.Counter // addresses given up on after MaxRetries
	PendingDrops tcpip.Counter // queued packets dropped (queue full or failure)
	Evictions    tcpip.Counter // entries pushed out by a full cache
}

// Sender is how the cache talks to its interface.
type Sender interface {
	// SendRequest broadcasts an ARP request for target.
	SendRequest(target tcpip.Addr)
	// SendQueued transmits a frame that waited for resolution; its
	// destination MAC has been filled in. The frame is the cache's to
	// drop after the call.
	SendQueued(frame []byte)
	// Unreachable is told of each frame dropped because its next hop
	// never answered, so the sender can learn "host unreachable".
	Unreachable(frame []byte)
}

// Cache maps IPv4 addresses to MAC addresses for one interface. It is safe
// for concurrent use.
type Cache struct {
	cfg   Config
	clock clock.Clock
	out   Sender
	Stats Stats

	mu      sync.Mutex
	entries map[tcpip.Addr]*entry

	// hot is the most recently confirmed Reachable entry, read without
	// the lock: nearly every packet goes to one next hop (the gateway or
	// the peer), so this saves a lock and a map lookup per packet. It is
	// cleared whenever that entry stops being Reachable.
	hot atomic.Pointer[hotEntry]
}

type hotEntry struct {
	ip  tcpip.Addr
	mac tcpip.MAC
}

type entry struct {
	ip      tcpip.Addr
	mac     tcpip.MAC
	state   State
	retries int
	timer   clock.Timer
	pending [][]byte // frames awaiting the answer, dst MAC unset
	bytes   int      // total length of pending
}

// NewCache returns an empty cache that sends through out.
func NewCache(cfg Config, c clock.Clock, out Sender) *Cache {
	cfg.setDefaults()
	return &Cache{cfg: cfg, clock: c, out: out, entries: make(map[tcpip.Addr]*entry)}
}

// Resolve returns the MAC address of ip if it is known. If it is not, it
// keeps a copy of frame (an Ethernet frame whose destination is to be
// filled in) to send when the answer comes, starts resolution if needed, and
// returns false. A nil frame only starts resolution: the caller drops
// its packet (a TCP segment too large for the queue, which TCP resends).
func (c *Cache) Resolve(ip tcpip.Addr, frame []byte) (tcpip.MAC, bool) {
	if h := c.hot.Load(); h != nil && h.ip == ip {
		return h.mac, true
	}
	c.mu.Lock()
	e := c.entries[ip]
	if e != nil && e.state != Incomplete {
		mac := e.mac
		probe := e.state == Stale
		if probe {
			e.state = Probe
			e.retries = 1
			e.timer.Reset(c.cfg.Retrans)
		}
		c.mu.Unlock()
		if probe {
			c.Stats.Requests.Inc()
			c.out.SendRequest(ip)
		}
		return mac, true
	}
	start := false
	if e == nil {
		if e = c.newEntry(ip, Incomplete); e == nil {
			c.mu.Unlock()
			c.Stats.PendingDrops.Inc()
			return tcpip.MAC{}, false
		}
		e.retries = 1
		e.timer.Reset(c.cfg.Retrans)
		start = true
	}
	if frame == nil {
		// Nothing to queue.
	} else if e.bytes+len(frame) <= c.cfg.MaxPending {
		e.pending = append(e.pending, append([]byte(nil), frame...))
		e.bytes += len(frame)
	} else {
		c.Stats.PendingDrops.Inc()
	}
	c.mu.Unlock()
	if start {
		c.Stats.Requests.Inc()
		c.out.SendRequest(ip)
	}
	return tcpip.MAC{}, false
}

// Lookup returns the MAC address of ip if the cache has one, without
// starting resolution.
func (c *Cache) Lookup(ip tcpip.Addr) (tcpip.MAC, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[ip]; e != nil && e.state != Incomplete {
		return e.mac, true
	}
	return tcpip.MAC{}, false
}

// Update records that ip is at mac, as an ARP packet said. If there is no
// entry for ip one is made only when create is set (RFC 826: when the packet
// was addressed to us). Packets waiting for ip are sent.
func (c *Cache) Update(ip tcpip.Addr, mac tcpip.MAC, create bool) {
	c.mu.Lock()
	e := c.entries[ip]
	if e == nil {
		if !create {
			c.mu.Unlock()
			return
		}
		if e = c.newEntry(ip, Reachable); e == nil {
			c.mu.Unlock()
			return
		}
	}
	if e.state == Incomplete {
		c.Stats.Resolved.Inc()
	}
	e.mac = mac
	e.state = Reachable
	e.retries = 0
	e.timer.Reset(c.cfg.Reachable)
	c.hot.Store(&hotEntry{ip, mac})
	pending := e.pending
	e.pending, e.bytes = nil, 0
	c.mu.Unlock()
	for _, f := range pending {
		copy(f[0:6], mac[:])
		c.out.SendQueued(f)
	}
}

// Remove forgets ip (for example when an interface's address changes).
func (c *Cache) Remove(ip tcpip.Addr) {
	c.mu.Lock()
	if e := c.entries[ip]; e != nil {
		c.removeLocked(e)
	}
	c.mu.Unlock()
}

// Flush forgets every entry.
func (c *Cache) Flush() {
	c.mu.Lock()
	for _, e := range c.entries {
		c.removeLocked(e)
	}
	c.mu.Unlock()
}

// Len returns the number of entries.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// EntryInfo is one line of `arp -a`.
type EntryInfo struct {
	IP    tcpip.Addr
	MAC   tcpip.MAC
	State State
}

// Entries returns a snapshot of the cache.
func (c *Cache) Entries() []EntryInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]EntryInfo, 0, len(c.entries))
	for _, e := range c.entries {
		out = append(out, EntryInfo{e.ip, e.mac, e.state})
	}
	return out
}

// newEntry adds an entry, evicting a resolved one if the cache is full; it
// returns nil if nothing can be evicted. c.mu is held.
func (c *Cache) newEntry(ip tcpip.Addr, s State) *entry {
	if len(c.entries) >= c.cfg.MaxEntries && !c.evictLocked() {
		return nil
	}
	e := &entry{ip: ip, state: s}
	e.timer = c.clock.AfterFunc(time.Hour, func() { c.expire(e) })
	e.timer.Stop()
	c.entries[ip] = e
	return e
}

// evictLocked removes one entry, preferring stale ones, never one that is
// still resolving (its packets would be lost for no gain).
func (c *Cache) evictLocked() bool {
	var victim *entry
	for _, e := range c.entries {
		if e.state == Stale {
			victim = e
			break
		}
		if e.state != Incomplete && victim == nil {
			victim = e
		}
	}
	if victim == nil {
		return false
	}
	c.removeLocked(victim)
	c.Stats.Evictions.Inc()
	return true
}

// coolLocked clears the hot entry if it is ip's. c.mu is held.
func (c *Cache) coolLocked(ip tcpip.Addr) {
	if h := c.hot.Load(); h != nil && h.ip == ip {
		c.hot.Store(nil)
	}
}

func (c *Cache) removeLocked(e *entry) {
	c.coolLocked(e.ip)
	e.timer.Stop()
	c.Stats.PendingDrops.Add(uint64(len(e.pending)))
	e.pending, e.bytes = nil, 0
	delete(c.entries, e.ip)
}

// expire runs when an entry's timer fires.
func (c *Cache) expire(e *entry) {
	c.mu.Lock()
	if c.entries[e.ip] != e {
		c.mu.Unlock()
		return
	}
	switch e.state {
	case Reachable:
		c.coolLocked(e.ip)
		e.state = Stale
		e.timer.Reset(c.cfg.Stale)
		c.mu.Unlock()
		return
	case Stale:
		c.removeLocked(e)
		c.mu.Unlock()
		return
	}
	// Incomplete or Probe: ask again, or give up.
	if e.retries >= c.cfg.MaxRetries {
		if e.state == Incomplete {
			c.Stats.Failed.Inc()
		}
		failed := e.pending
		e.pending = nil
		c.removeLocked(e)
		c.mu.Unlock()
		c.Stats.PendingDrops.Add(uint64(len(failed)))
		for _, f := range failed {
			c.out.Unreachable(f)
		}
		return
	}
	e.retries++
	e.timer.Reset(c.cfg.Retrans)
	ip := e.ip
	c.mu.Unlock()
	c.Stats.Requests.Inc()
	c.out.SendRequest(ip)
}
