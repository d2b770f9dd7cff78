package ipv4

import (
	"errors"
	"sync"
	"time"

	"scone/kernel/net/clock"
	"scone/kernel/net/tcpip"
)

// ReassemblyConfig bounds a Reassembler. Zero fields take the defaults in
// parentheses.
type ReassemblyConfig struct {
	Timeout      time.Duration // how long a datagram may stay incomplete (30 s)
	MaxBytes     int           // buffer memory for all incomplete datagrams (4 MiB)
	MaxDatagrams int           // incomplete datagrams at once (256)
	// OnTimeout, if set, is called (without locks held) when a datagram
	// whose first fragment arrived times out, with that fragment's header
	// and the first bytes of its payload (up to 8): what an ICMP time
	// exceeded message (code 1, RFC 792) quotes.
	OnTimeout func(first Header, start []byte)
}

// Errors from Add. A datagram that hits one of them is discarded whole.
var (
	ErrOverlap      = errors.New("ipv4: overlapping fragments")
	ErrInconsistent = errors.New("ipv4: fragments disagree on the datagram's length")
	ErrFragAlign    = errors.New("ipv4: non-final fragment not a multiple of 8 bytes")
)

// ReassemblyStats count what reassembly threw away.
type ReassemblyStats struct {
	Timeouts tcpip.Counter // datagrams that never completed
	Evicted  tcpip.Counter // datagrams dropped to stay inside MaxBytes/MaxDatagrams
	Errors   tcpip.Counter // datagrams dropped by an Add error
}

// Reassembler rebuilds datagrams from fragments (RFC 791 section 3.2, RFC
// 815's hole list). When memory runs out it drops the oldest incomplete
// datagram, so a flood of fragments that never complete cannot push out
// memory or starve new datagrams for long. It is safe for concurrent use.
type Reassembler struct {
	cfg   ReassemblyConfig
	clock clock.Clock
	Stats ReassemblyStats

	mu         sync.Mutex
	pending    map[fragKey]*datagram
	bytes      int
	head, tail *datagram // creation order, for eviction
}

type fragKey struct {
	src, dst tcpip.Addr
	id       uint16
	proto    uint8
}

type span struct{ off, end int }

type datagram struct {
	key        fragKey
	buf        []byte
	spans      []span  // received byte ranges, sorted, merged when adjacent
	total      int     // payload length, -1 until the last fragment arrives
	first      *Header // header of the fragment at offset 0, once it arrives
	timer      clock.Timer
	prev, next *datagram
}

// NewReassembler returns an empty reassembler.
func NewReassembler(cfg ReassemblyConfig, c clock.Clock) *Reassembler {
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = 4 << 20
	}
	if cfg.MaxDatagrams == 0 {
		cfg.MaxDatagrams = 256
	}
	return &Reassembler{cfg: cfg, clock: c, pending: make(map[fragKey]*datagram)}
}

// Add takes one fragment. When it completes its datagram, Add returns the
// whole payload (a new slice the caller owns) and true.
func (r *Reassembler) Add(h *Header, payload []byte) ([]byte, bool, error) {
	off, end := h.FragOffset, h.FragOffset+len(payload)
	if h.MoreFragments() && len(payload)%8 != 0 {
		return nil, false, ErrFragAlign
	}
	k := fragKey{h.Src, h.Dst, h.ID, h.Protocol}
	r.mu.Lock()
	defer r.mu.Unlock()
	d := r.pending[k]
	if d == nil {
		for len(r.pending) >= r.cfg.MaxDatagrams || (r.head != nil && r.bytes+end > r.cfg.MaxBytes) {
			r.Stats.Evicted.Inc()
			r.dropLocked(r.head)
		}
		d = &datagram{key: k, total: -1}
		d.timer = r.clock.AfterFunc(r.cfg.Timeout, func() { r.expire(d) })
		r.pending[k] = d
		r.pushLocked(d)
	}
	if err := d.add(off, end, !h.MoreFragments()); err != nil {
		r.Stats.Errors.Inc()
		r.dropLocked(d)
		return nil, false, err
	}
	if end > cap(d.buf) {
		if !r.growLocked(d, end) {
			r.Stats.Evicted.Inc()
			r.dropLocked(d)
			return nil, false, nil
		}
	}
	if end > len(d.buf) {
		d.buf = d.buf[:end]
	}
	copy(d.buf[off:end], payload)
	if off == 0 && end > 0 && d.first == nil {
		hc := *h
		d.first = &hc
	}
	if d.total < 0 || len(d.spans) != 1 || d.spans[0] != (span{0, d.total}) {
		return nil, false, nil
	}
	whole := d.buf[:d.total] // the caller owns it now
	r.dropLocked(d)
	return whole, true, nil
}

// growLocked makes d's buffer hold at least end bytes. It grows to the
// datagram's length when that is known, else geometrically (so fragments
// arriving in order cost linear copying) if memory allows; only for the
// bytes it needs now does it evict older datagrams. It reports false if
// even those do not fit.
func (r *Reassembler) growLocked(d *datagram, end int) bool {
	fits := func(c int) bool { return r.bytes+c-cap(d.buf) <= r.cfg.MaxBytes }
	c := max(end, d.total, min(2*cap(d.buf), MaxTotalLen-HeaderLen))
	if !fits(c) {
		c = end
		for !fits(c) && r.head != d {
			r.Stats.Evicted.Inc()
			r.dropLocked(r.head)
		}
		if !fits(c) {
			return false
		}
	}
	nb := make([]byte, len(d.buf), c)
	copy(nb, d.buf)
	r.bytes += c - cap(d.buf)
	d.buf = nb
	return true
}

// add records [off, end) as received. An exact repeat of a fragment already
// held is accepted (duplicates happen); any other overlap is an error, so
// overlapping-fragment attacks cannot rewrite headers.
func (d *datagram) add(off, end int, last bool) error {
	if last {
		if d.total >= 0 && d.total != end {
			return ErrInconsistent
		}
		d.total = end
	}
	if d.total >= 0 {
		if end > d.total {
			return ErrInconsistent
		}
		if n := len(d.spans); n > 0 && d.spans[n-1].end > d.total {
			return ErrInconsistent
		}
	}
	if off == end {
		return nil
	}
	i := 0
	for i < len(d.spans) && d.spans[i].end <= off {
		i++
	}
	if i < len(d.spans) && d.spans[i].off < end {
		s := d.spans[i]
		if s.off <= off && end <= s.end {
			return nil // a duplicate of data we have
		}
		return ErrOverlap
	}
	d.spans = append(d.spans, span{})
	copy(d.spans[i+1:], d.spans[i:])
	d.spans[i] = span{off, end}
	// Merge with neighbours that now touch.
	if i+1 < len(d.spans) && d.spans[i].end == d.spans[i+1].off {
		d.spans[i].end = d.spans[i+1].end
		d.spans = append(d.spans[:i+1], d.spans[i+2:]...)
	}
	if i > 0 && d.spans[i-1].end == d.spans[i].off {
		d.spans[i-1].end = d.spans[i].end
		d.spans = append(d.spans[:i], d.spans[i+1:]...)
	}
	return nil
}

// Pending returns the number of incomplete datagrams and the bytes they hold.
func (r *Reassembler) Pending() (datagrams, bytes int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending), r.bytes
}

func (r *Reassembler) expire(d *datagram) {
	r.mu.Lock()
	if r.pending[d.key] != d {
		r.mu.Unlock()
		return
	}
	r.Stats.Timeouts.Inc()
	var first *Header
	var start []byte
	if d.first != nil && r.cfg.OnTimeout != nil && len(d.spans) > 0 && d.spans[0].off == 0 {
		first = d.first
		start = append([]byte(nil), d.buf[:min(8, d.spans[0].end)]...)
	}
	r.dropLocked(d)
	r.mu.Unlock()
	if first != nil {
		r.cfg.OnTimeout(*first, start)
	}
}

func (r *Reassembler) pushLocked(d *datagram) {
	d.prev = r.tail
	if r.tail != nil {
		r.tail.next = d
	} else {
		r.head = d
	}
	r.tail = d
}

func (r *Reassembler) dropLocked(d *datagram) {
	d.timer.Stop()
	delete(r.pending, d.key)
	r.bytes -= cap(d.buf)
	d.buf = nil
	if d.prev != nil {
		d.prev.next = d.next
	} else {
		r.head = d.next
	}
	if d.next != nil {
		d.next.prev = d.prev
	} else {
		r.tail = d.prev
	}
	d.prev, d.next = nil, nil
}
