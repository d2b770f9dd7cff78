package dns

import (
	"sync"
	"time"

	"scone/kernel/net/tcpip"
)

// Bounds on what the cache keeps.
const (
	defaultCacheSize = 256
	maxTTL           = 24 * time.Hour  // longer TTLs are clamped
	maxNegativeTTL   = 5 * time.Minute // RFC 2308 5 suggests 1-3 hours; be modest
)

// cacheEntry is a resolved name: addresses, or a remembered "no such host".
type cacheEntry struct {
	addrs   []tcpip.Addr
	err     error
	expires time.Time
}

// cache maps canonical names to answers until their TTL runs out. It holds
// at most size entries: when full it first drops expired entries, then the
// one that would expire soonest.
type cache struct {
	mu      sync.Mutex
	size    int
	entries map[string]cacheEntry
}

func newCache(size int) *cache {
	if size <= 0 {
		size = defaultCacheSize
	}
	return &cache{size: size, entries: make(map[string]cacheEntry)}
}

// get returns the live entry for name.
func (c *cache) get(name string, now time.Time) (cacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[name]
	if !ok {
		return e, false
	}
	if !now.Before(e.expires) {
		delete(c.entries, name)
		return e, false
	}
	return e, true
}

// put stores an answer for ttl; a zero TTL means "do not cache" (RFC 1035
// 3.2.1).
func (c *cache) put(name string, e cacheEntry, ttl time.Duration, now time.Time) {
	if ttl <= 0 {
		return
	}
	e.expires = now.Add(min(ttl, maxTTL))
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[name]; !ok && len(c.entries) >= c.size {
		c.evict(now)
	}
	c.entries[name] = e
}

// evict makes room for one entry. c.mu must be held.
func (c *cache) evict(now time.Time) {
	var victim string
	var soonest time.Time
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, k)
			continue
		}
		if victim == "" || e.expires.Before(soonest) {
			victim, soonest = k, e.expires
		}
	}
	if len(c.entries) >= c.size {
		delete(c.entries, victim)
	}
}

func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// Hosts is a static table of names, consulted before any server, like
// /etc/hosts. The zero value is empty and ready; it is safe for concurrent
// use.
type Hosts struct {
	mu    sync.RWMutex
	names map[string][]tcpip.Addr
}

// Add maps name to addrs, appending to any addresses it already has.
func (h *Hosts) Add(name string, addrs ...tcpip.Addr) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.names == nil {
		h.names = make(map[string][]tcpip.Addr)
	}
	k := canonical(name)
	h.names[k] = append(h.names[k], addrs...)
}

// Lookup returns the addresses of name, if the table has it.
func (h *Hosts) Lookup(name string) ([]tcpip.Addr, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	a, ok := h.names[canonical(name)]
	return append([]tcpip.Addr(nil), a...), ok
}
