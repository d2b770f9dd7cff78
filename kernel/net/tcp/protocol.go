package tcp

import (
	"hash/maphash"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"scone/kernel/net/clock"
	"scone/kernel/net/tcpip"
)

// Options tune a Protocol. Zero fields take the documented defaults.
type Options struct {
	MSL               time.Duration // maximum segment lifetime; TIME-WAIT lasts 2*MSL (default 30 s)
	InitialRTO        time.Duration // RTO before any RTT sample (RFC 6298: 1 s)
	MinRTO            time.Duration // lower bound on the RTO (default 200 ms, as Linux; RFC 6298 suggests 1 s)
	MaxRTO            time.Duration // upper bound on the backed-off RTO (default 60 s)
	MaxRetries        int           // retransmissions of one segment before ETIMEDOUT (default 15)
	SynRetries        int           // SYN or SYN-ACK retransmissions before giving up (default 6)
	OrphanRetries     int           // retransmissions or unanswered window probes before a closed socket gives up (default 8, Linux's tcp_orphan_retries)
	DelayedACK        time.Duration // longest an ACK is delayed (default 40 ms; at most 200 ms)
	SendBuffer        int           // default per-connection send buffer (default 1 MiB)
	ReceiveBuffer     int           // default per-connection receive buffer (default 1 MiB)
	MaxSynBacklog     int           // half-open connections per listener (default 1024)
	FinWait2Timeout   time.Duration // how long a closed socket waits in FIN-WAIT-2 (default 60 s)
	DisableSACK       bool          // do not offer or accept selective acknowledgements
	DisableTimestamps bool          // do not offer or accept timestamps (RFC 7323; Linux's tcp_timestamps=0)
	MaxTimeWait       int           // connections kept in TIME-WAIT at once (default 32768)
	DisableSynCookies bool          // drop SYNs when the SYN queue is full instead of sending cookies
	// InvalidRateLimit is the least time between two ACKs one connection
	// sends for unacceptable segments or as RFC 5961 challenges (Linux's
	// tcp_invalid_ratelimit, default 500 ms), so that no peer can start an
	// ACK war or count our challenge ACKs.
	InvalidRateLimit time.Duration
	// ChallengeACKLimit bounds the challenge ACKs of all connections
	// together per second, randomised per second as Linux does
	// (tcp_challenge_ack_limit). Zero means no host-wide bound, Linux's
	// default since 6.0: a shared counter is the side channel of
	// CVE-2016-5696, and the per-connection limit already applies.
	ChallengeACKLimit int
	// Mem is Linux's tcp_mem, in pages (PageSize): below Mem[0] buffer
	// memory is not regulated, past Mem[1] TCP is under memory pressure
	// until usage falls back to Mem[0], and Mem[2] is the hard limit
	// (memPool). Zero takes 6144, 8192, 12288 pages (24, 32, 48 MiB).
	Mem [3]int
}

func (o *Options) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defInt := func(d *int, v int) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.MSL, 30*time.Second)
	def(&o.InitialRTO, time.Second)
	def(&o.MinRTO, 200*time.Millisecond)
	def(&o.MaxRTO, 60*time.Second)
	def(&o.DelayedACK, 40*time.Millisecond)
	if o.DelayedACK > 200*time.Millisecond {
		o.DelayedACK = 200 * time.Millisecond // RFC 5681 section 4.2 caps it at 500 ms; we keep it tighter
	}
	def(&o.FinWait2Timeout, 60*time.Second)
	def(&o.InvalidRateLimit, 500*time.Millisecond)
	defInt(&o.MaxRetries, 15)
	defInt(&o.SynRetries, 6)
	defInt(&o.OrphanRetries, 8)
	defInt(&o.SendBuffer, 1<<20)
	defInt(&o.ReceiveBuffer, 1<<20)
	o.SendBuffer = min(max(o.SendBuffer, ringMinCap), maxBuffer)
	o.ReceiveBuffer = min(max(o.ReceiveBuffer, ringMinCap), maxBuffer)
	defInt(&o.MaxSynBacklog, 1024)
	defInt(&o.MaxTimeWait, 32768)
	if o.Mem == [3]int{} {
		o.Mem = [3]int{defaultMemMin, defaultMemPressure, defaultMemMax}
	}
	o.Mem[1] = max(o.Mem[1], o.Mem[0])
	o.Mem[2] = max(o.Mem[2], o.Mem[1])
}

// Ephemeral ports, as Linux's default ip_local_port_range.
const (
	ephemeralFirst = 32768
	ephemeralLast  = 60999
	somaxconn      = 4096    // largest listen backlog
	maxBuffer      = 1 << 30 // largest buffer: the most a scaled window can describe
)

// connID names a connection by its four-tuple.
type connID struct {
	local, remote tcpip.FullAddr
}

// Protocol is TCP for one network stack. It implements
// tcpip.TransportHandler; create endpoints with NewEndpoint.
type Protocol struct {
	net        tcpip.NetworkLayer
	clk        clock.Clock
	opts       Options
	seed       maphash.Seed // keys initial sequence numbers (RFC 6528)
	cookieSeed maphash.Seed // keys SYN cookies
	tsSeed     maphash.Seed // keys the timestamp offsets
	cookieSent atomic.Int64 // when the last SYN cookie went out (UnixNano of clk), 0 for never
	epoch      time.Time    // the ISN clock counts 4 µs ticks from here

	mu        sync.RWMutex
	conns     map[connID]*Endpoint         // synchronised and half-open connections
	listeners map[tcpip.FullAddr]*Endpoint // listening endpoints by bound address
	bound     map[uint16][]*Endpoint       // bound, not yet connected or listening
	connPorts map[uint16]int               // local ports in use by conns
	portSeed  maphash.Seed                 // keys the ephemeral port offset (RFC 6056 algorithm 4's F)
	portSeed2 maphash.Seed                 // keys the choice of counter (algorithm 4's G)
	portTable [256]uint32                  // algorithm 4's counters

	ctlMu  sync.Mutex // guards ctlHdr
	ctlHdr [maxHeaderLen]byte

	challengeMu     sync.Mutex
	challengeSecond time.Time // start of the second challengeLeft counts down in
	challengeLeft   int       // challenge ACKs still allowed this second

	timeWait atomic.Int64      // connections in TIME-WAIT
	mem      memPool           // every connection's buffers draw on it (tcp_mem)
	mtuOf    func(nic int) int // the interface's current MTU, if the network layer tells

	stats counters
}

// NewProtocol returns TCP sending through nl and timing with clk.
func NewProtocol(nl tcpip.NetworkLayer, clk clock.Clock, opts Options) *Protocol {
	opts.setDefaults()
	p := &Protocol{
		net:        nl,
		clk:        clk,
		opts:       opts,
		seed:       maphash.MakeSeed(),
		cookieSeed: maphash.MakeSeed(),
		tsSeed:     maphash.MakeSeed(),
		epoch:      clk.Now(),
		conns:      make(map[connID]*Endpoint),
		listeners:  make(map[tcpip.FullAddr]*Endpoint),
		bound:      make(map[uint16][]*Endpoint),
		connPorts:  make(map[uint16]int),
	}
	p.mem.setLimits(opts.Mem)
	if m, ok := nl.(interface{ MTU(nic int) int }); ok {
		p.mtuOf = m.MTU
	}
	p.portSeed, p.portSeed2 = maphash.MakeSeed(), maphash.MakeSeed()
	for i := range p.portTable {
		p.portTable[i] = rand.Uint32() // as Linux perturbs its table: no counter starts known
	}
	return p
}

// Options returns the protocol's options, defaults filled in.
func (p *Protocol) Options() Options { return p.opts }

// isn picks an initial sequence number per RFC 6528: a 4 µs clock plus a
// keyed hash of the four-tuple, so that numbers are unpredictable to an
// off-path attacker yet increase for successive incarnations of a tuple.
func (p *Protocol) isn(id connID) seqnum {
	h := maphash.Comparable(p.seed, id)
	ticks := uint64(p.clk.Now().Sub(p.epoch) / (4 * time.Microsecond))
	return seqnum(uint32(h) + uint32(ticks))
}

// lookup finds the connection for a segment, or else a listener.
func (p *Protocol) lookup(id connID) *Endpoint {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if e := p.conns[id]; e != nil {
		return e
	}
	if e := p.listeners[id.local]; e != nil {
		return e
	}
	return p.listeners[tcpip.FullAddr{Port: id.local.Port}]
}

// HandlePacket processes one received segment. b is borrowed for the call.
// It reports whether a connection or listener took the segment; TCP answers
// unmatched segments with a reset itself, so the network layer must not
// send ICMP port-unreachable for TCP.
func (p *Protocol) HandlePacket(info tcpip.PacketInfo, b []byte) bool {
	p.stats.inSegs.Add(1)
	var seg segment
	if err := seg.parse(b); err != nil {
		p.stats.inErrs.Add(1)
		return false
	}
	if !info.ChecksumOK && !checksumOK(info.Src, info.Dst, b) {
		p.stats.inErrs.Add(1)
		p.stats.inCsumErrors.Add(1)
		return false
	}
	// RFC 9293 section 3.9 and RFC 1122 4.2.3.10: segments to or from
	// broadcast and multicast addresses are not TCP's business.
	if info.Broadcast || info.Dst.IsMulticast() || info.Src.IsMulticast() ||
		info.Src == tcpip.BroadcastAddr || info.Src.IsUnspecified() {
		return false
	}
	id := connID{
		local:  tcpip.FullAddr{Addr: info.Dst, Port: seg.dstPort},
		remote: tcpip.FullAddr{Addr: info.Src, Port: seg.srcPort},
	}
	for range 2 {
		e := p.lookup(id)
		if e == nil {
			break
		}
		switch e.deliver(id, &seg) {
		case delivered:
			return true
		case refused:
			p.replyReset(id, &seg)
			return false
		}
		// retry: a TIME-WAIT connection stepped aside for a new SYN.
	}
	p.replyReset(id, &seg)
	return false
}

// replyReset answers a segment that reached no connection (RFC 9293
// section 3.10.7.1): never a reset for a reset; for an ACK, a reset at the
// acknowledged number; otherwise a reset acknowledging the segment.
func (p *Protocol) replyReset(id connID, seg *segment) {
	if seg.flags&flagRST != 0 {
		return
	}
	o := outSegment{srcPort: id.local.Port, dstPort: id.remote.Port, wndScale: -1}
	if seg.flags&flagACK != 0 {
		o.seq, o.flags = seg.ack, flagRST
	} else {
		o.ack, o.flags = seg.seq.add(seg.seqLen()), flagRST|flagACK
	}
	p.sendControl(id, &o)
}

// sendControl sends a segment owned by no endpoint: a reset, or a SYN-ACK
// carrying a SYN cookie.
func (p *Protocol) sendControl(id connID, o *outSegment) {
	r, err := p.net.Route(id.local.Addr, id.remote.Addr)
	if err != nil {
		return
	}
	p.ctlMu.Lock()
	h := o.build(p.ctlHdr[:], r.Src, r.Dst, nil)
	err = p.net.WritePacket(r, tcpip.ProtoTCP, h, nil)
	p.ctlMu.Unlock()
	if err == nil {
		p.stats.outSegs.Add(1)
		if o.flags&flagRST != 0 {
			p.stats.outRsts.Add(1)
		}
	}
}

// allowChallenge applies the host-wide challenge-ACK limit, if one is set.
// As Linux, each second allows a random number of challenges between half
// and one and a half times the limit, so an attacker cannot tell from the
// ACKs it sees how many went to other connections.
func (p *Protocol) allowChallenge() bool {
	limit := p.opts.ChallengeACKLimit
	if limit <= 0 {
		return true
	}
	now := p.clk.Now()
	p.challengeMu.Lock()
	defer p.challengeMu.Unlock()
	if now.Sub(p.challengeSecond) >= time.Second {
		half := (limit + 1) / 2
		p.challengeSecond = now
		p.challengeLeft = half + rand.IntN(limit)
	}
	if p.challengeLeft == 0 {
		return false
	}
	p.challengeLeft--
	return true
}

// HandleControl delivers an ICMP error about a segment this host sent.
// orig starts with that segment's TCP header.
func (p *Protocol) HandleControl(msg tcpip.ControlMessage, src, dst tcpip.Addr, orig []byte) {
	if len(orig) < 8 {
		return
	}
	id := connID{
		local:  tcpip.FullAddr{Addr: src, Port: uint16(orig[0])<<8 | uint16(orig[1])},
		remote: tcpip.FullAddr{Addr: dst, Port: uint16(orig[2])<<8 | uint16(orig[3])},
	}
	p.mu.RLock()
	e := p.conns[id]
	p.mu.RUnlock()
	if e == nil {
		return
	}
	seq := seqnum(uint32(orig[4])<<24 | uint32(orig[5])<<16 | uint32(orig[6])<<8 | uint32(orig[7]))
	e.handleControl(msg, seq)
}

// register puts a connection into the demultiplexing table. It fails with
// EADDRINUSE when the four-tuple is taken.
func (p *Protocol) register(e *Endpoint) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.registerLocked(e)
}

func (p *Protocol) registerLocked(e *Endpoint) error {
	if _, ok := p.conns[e.id]; ok {
		return syscall.EADDRINUSE
	}
	p.conns[e.id] = e
	p.connPorts[e.id.local.Port]++
	return nil
}

// unregister removes a connection from the table, if it is there.
func (p *Protocol) unregister(e *Endpoint) {
	p.mu.Lock()
	if p.conns[e.id] == e {
		delete(p.conns, e.id)
		if p.connPorts[e.id.local.Port]--; p.connPorts[e.id.local.Port] <= 0 {
			delete(p.connPorts, e.id.local.Port)
		}
	}
	p.mu.Unlock()
}

// ConnCount returns how many connections (of any state but LISTEN and
// CLOSED) the protocol holds; the SYN-flood test watches it.
func (p *Protocol) ConnCount() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.conns)
}
