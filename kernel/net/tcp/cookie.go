package tcp

import (
	"hash/maphash"
	"time"
)

// SYN cookies (RFC 4987 section 3.6). When a listener's SYN queue is full,
// the SYN-ACK's sequence number encodes everything the connection needs
// and no state is kept; an ACK that returns a valid cookie creates the
// connection directly. The 32-bit cookie is
//
//	bits 31-27  a 64-second clock, modulo 32
//	bits 26-25  the peer's MSS, as an index into cookieMSS
//	bit  24     the peer offered SACK
//	bits 23-20  the peer's window scale, 15 for none
//	bits 19-0   a keyed hash of the above, the four-tuple and the peer's ISN
//
// Cookies are accepted for up to three clock ticks, and only while the
// listener has sent some recently, which keeps the 20-bit hash's guessing
// odds to those moments.

var cookieMSS = [4]int{536, 1220, 1440, 1460}

const (
	cookieTick  = 64 * time.Second
	cookieTicks = 3 // a cookie is good for this many ticks
)

// cookieTime is the cookie clock.
func (p *Protocol) cookieTime() uint32 { return uint32(p.clk.Now().Sub(p.epoch) / cookieTick) }

func (p *Protocol) cookieHash(id connID, peerISN seqnum, t, info uint32) uint32 {
	type key struct {
		id      connID
		isn     seqnum
		t, info uint32
	}
	return uint32(maphash.Comparable(p.cookieSeed, key{id, peerISN, t, info})) & 0xfffff
}

// makeCookie encodes the SYN seg's options into our initial sequence number.
func (p *Protocol) makeCookie(id connID, seg *segment) seqnum {
	t := p.cookieTime()
	mi := 0
	for i, m := range cookieMSS {
		if seg.mss == 0 && m == defaultMSS || int(seg.mss) >= m {
			mi = i
		}
	}
	ws := uint32(15)
	if seg.wndScale >= 0 {
		ws = uint32(seg.wndScale)
	}
	sack := uint32(0)
	if seg.sackOK {
		sack = 1
	}
	info := uint32(mi)<<5 | sack<<4 | ws
	return seqnum((t&31)<<27 | info<<20 | p.cookieHash(id, seg.seq, t, info))
}

// checkCookie validates the cookie an ACK returns and decodes the options
// it carries: the peer's MSS and window scale (-1 for none) and SACK.
func (p *Protocol) checkCookie(id connID, seg *segment) (mss, ws int, sack, ok bool) {
	c := uint32(seg.ack - 1)
	info := c >> 20 & 0x7f
	now := p.cookieTime()
	for age := uint32(0); age < cookieTicks; age++ {
		t := now - age
		if t&31 == c>>27 && p.cookieHash(id, seg.seq-1, t, info) == c&0xfffff {
			ws = int(info & 15)
			if ws == 15 {
				ws = -1
			}
			return cookieMSS[info>>5], ws, info>>4&1 == 1, true
		}
	}
	return 0, 0, false, false
}

// sendCookie answers a SYN with a cookie SYN-ACK on behalf of listener l.
func (l *Endpoint) sendCookie(id connID, seg *segment) {
	p := l.p
	r, err := p.net.Route(id.local.Addr, id.remote.Addr)
	if err != nil {
		return
	}
	shift := 0
	for shift < maxWndScale && l.rcv.limit>>shift > 0xffff {
		shift++
	}
	o := outSegment{
		srcPort: id.local.Port, dstPort: id.remote.Port,
		seq: p.makeCookie(id, seg), ack: seg.seq + 1, flags: flagSYN | flagACK,
		wnd: uint16(min(l.rcv.limit, 0xffff)), mss: uint16(min(max(r.MTU-headerLen, 64), 0xffff)),
		wndScale: -1, sackOK: seg.sackOK && !p.opts.DisableSACK,
	}
	if seg.wndScale >= 0 {
		o.wndScale = shift
	}
	p.cookieSent.Store(p.clk.Now().UnixNano())
	p.stats.synCookiesSent.Add(1)
	p.sendControl(id, &o)
}

// acceptCookie turns an ACK carrying a valid cookie into an established
// connection on listener l's accept queue. It reports whether it did.
func (l *Endpoint) acceptCookie(id connID, seg *segment) bool {
	p := l.p
	sent := p.cookieSent.Load()
	if sent == 0 || p.clk.Now().UnixNano()-sent > int64(cookieTicks*cookieTick) {
		return false
	}
	mss, ws, sack, ok := p.checkCookie(id, seg)
	if !ok {
		p.stats.synCookiesFailed.Add(1)
		return false
	}
	c := l.newChild(id)
	if c == nil {
		return true
	}
	defer c.unlock()
	// Rebuild the state a SYN-RECEIVED connection would have had.
	syn := segment{seq: seg.seq - 1, wnd: seg.wnd, mss: uint16(mss), wndScale: ws, sackOK: sack}
	c.iss = seg.ack - 1
	c.sndUna, c.sndNxt, c.sndMax, c.recover = c.iss, c.iss+1, c.iss+1, c.iss
	c.acceptSyn(&syn)
	c.rcvAdv = c.rcvNxt.add(min(c.rcv.limit, 0xffff))
	c.state = StateSynReceived
	if p.register(c) != nil {
		c.state = StateClosed
		return true
	}
	p.stats.passiveOpens.Add(1)
	p.stats.synCookiesRecv.Add(1)
	c.input(seg) // the ACK completes the handshake, and may carry data
	if c.state == StateSynReceived {
		// The accept queue was full. Keep nothing: the peer's next segment
		// brings the cookie back.
		c.closeLocked()
	}
	return true
}

// newChild makes a connection endpoint for listener l, locked, with the
// listener's settings; nil when there is no route back.
func (l *Endpoint) newChild(id connID) *Endpoint {
	p := l.p
	r, err := p.net.Route(id.local.Addr, id.remote.Addr)
	if err != nil {
		return nil
	}
	c := p.NewEndpoint()
	c.mu.Lock()
	c.id, c.bound, c.route, c.parent = id, true, r, l
	c.noDelay = l.noDelay
	c.ttl, c.route.TTL = l.ttl, l.ttl
	c.snd.limit, c.rcv.limit = l.snd.limit, l.rcv.limit
	c.initConn()
	return c
}
