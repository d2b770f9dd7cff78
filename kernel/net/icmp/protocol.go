package icmp

import (
	"context"
	"encoding/binary"
	"sync"
	"syscall"
	"time"

	"scone/kernel/net/clock"
	"scone/kernel/net/tcpip"
)

// Stats are the Icmp lines of `netstat -s`.
type Stats struct {
	InMsgs, InErrors, InCsumErrors                   tcpip.Counter
	InDestUnreachs, InTimeExcds, InEchos, InEchoReps tcpip.Counter
	OutMsgs, OutErrors, OutRateLimited               tcpip.Counter
	OutDestUnreachs, OutEchos, OutEchoReps           tcpip.Counter
}

// maxErrorLen caps an error message so the whole datagram stays within
// the 576 bytes every host accepts (RFC 1812 4.3.2.3).
const maxErrorLen = 576 - 20

// Rate limit for error messages: a token bucket, as Linux's
// icmp_ratelimit/icmp_msgs_burst.
const (
	errorBurst    = 50
	errorInterval = time.Millisecond // one token per interval
)

// Protocol is ICMP for one stack. It is a tcpip.TransportHandler for
// protocol 1.
type Protocol struct {
	net       tcpip.NetworkLayer
	clock     clock.Clock
	transport func(proto uint8) tcpip.TransportHandler
	Stats     Stats

	mu      sync.Mutex
	tokens  int
	refill  time.Time
	nextID  uint16                     // last echo identifier handed out
	waiters map[uint32]chan echoResult // Ping calls, by id<<16 | seq
	sockets map[uint16]*Endpoint       // echo sockets, by identifier
}

type echoResult struct {
	at  time.Time
	err error
}

// New returns ICMP over net. transport finds the handler of a protocol
// number (nil if none), to deliver errors about the packets it sent.
func New(net tcpip.NetworkLayer, c clock.Clock, transport func(uint8) tcpip.TransportHandler) *Protocol {
	return &Protocol{
		net: net, clock: c, transport: transport,
		tokens: errorBurst, refill: c.Now(),
		waiters: make(map[uint32]chan echoResult),
		sockets: make(map[uint16]*Endpoint),
	}
}

// HandlePacket handles one received ICMP message.
func (p *Protocol) HandlePacket(info tcpip.PacketInfo, b []byte) bool {
	p.Stats.InMsgs.Inc()
	h, body, err := Parse(b)
	if err != nil {
		p.Stats.InErrors.Inc()
		if err == ErrChecksum {
			p.Stats.InCsumErrors.Inc()
		}
		return true
	}
	switch h.Type {
	case TypeEchoRequest:
		p.Stats.InEchos.Inc()
		if !info.Broadcast { // Linux ignores broadcast pings by default
			p.reply(info, h, body)
		}
	case TypeEchoReply:
		p.Stats.InEchoReps.Inc()
		if !p.complete(uint32(h.ID())<<16|uint32(h.Seq()), echoResult{at: p.clock.Now()}) {
			p.deliverReply(info.Src, info.TTL, h.ID(), b)
		}
	case TypeDestUnreach, TypeTimeExceeded, TypeParamProblem:
		if h.Type == TypeDestUnreach {
			p.Stats.InDestUnreachs.Inc()
		} else if h.Type == TypeTimeExceeded {
			p.Stats.InTimeExcds.Inc()
		}
		p.deliverError(h, body)
	}
	return true
}

// HandleControl receives errors about ICMP messages this host sent: an
// unreachable ping target fails its waiter.
func (p *Protocol) HandleControl(msg tcpip.ControlMessage, src, dst tcpip.Addr, orig []byte) {
	if len(orig) < HeaderLen || orig[0] != TypeEchoRequest {
		return
	}
	key := uint32(binary.BigEndian.Uint16(orig[4:6]))<<16 | uint32(binary.BigEndian.Uint16(orig[6:8]))
	p.complete(key, echoResult{err: msg.Err})
}

// reply answers an echo request with the same identifier, sequence and data.
func (p *Protocol) reply(info tcpip.PacketInfo, req Header, data []byte) {
	r, err := p.net.Route(info.Dst, info.Src)
	if err != nil {
		p.Stats.OutErrors.Inc()
		return
	}
	var hdr [HeaderLen]byte
	Encode(hdr[:], Header{Type: TypeEchoReply, Rest: req.Rest}, data)
	p.Stats.OutMsgs.Inc()
	p.Stats.OutEchoReps.Inc()
	if p.net.WritePacket(r, tcpip.ProtoICMP, hdr[:], data) != nil {
		p.Stats.OutErrors.Inc()
	}
}

// deliverError hands an error to the transport whose packet caused it. The
// body holds the offending datagram's IP header and at least 8 bytes of it.
func (p *Protocol) deliverError(h Header, body []byte) {
	errno, ok := ErrnoFor(h.Type, h.Code)
	if !ok || len(body) < 20 || body[0]>>4 != 4 {
		p.Stats.InErrors.Inc()
		return
	}
	ihl := int(body[0]&0xf) * 4
	if ihl < 20 || len(body) < ihl+8 {
		p.Stats.InErrors.Inc()
		return
	}
	var src, dst tcpip.Addr
	copy(src[:], body[12:16])
	copy(dst[:], body[16:20])
	msg := tcpip.ControlMessage{Type: h.Type, Code: h.Code, Err: errno}
	if h.Type == TypeDestUnreach && h.Code == CodeFragNeeded {
		msg.MTU = int(binary.BigEndian.Uint16(h.Rest[2:4]))
	}
	if t := p.transport(body[9]); t != nil {
		t.HandleControl(msg, src, dst, body[ihl:])
	}
}

// SendError reports a problem with a received datagram to its sender.
// orig is the datagram from its IP header on; info describes it. It obeys
// RFC 1122 3.2.2: never about an ICMP error, a broadcast, a non-initial
// fragment, or a source that is not a single host; and it is rate limited.
func (p *Protocol) SendError(typ, code uint8, info tcpip.PacketInfo, orig []byte) {
	if info.Broadcast || info.Dst.IsMulticast() || info.Src.IsUnspecified() ||
		info.Src == tcpip.BroadcastAddr || info.Src.IsMulticast() || len(orig) < 20 {
		return
	}
	ihl := int(orig[0]&0xf) * 4
	if binary.BigEndian.Uint16(orig[6:8])&0x1fff != 0 {
		return // not the first fragment
	}
	if orig[9] == tcpip.ProtoICMP && len(orig) > ihl {
		if h := (Header{Type: orig[ihl]}); len(orig) < ihl+1 || h.IsError() || h.Type > TypeTimestampReply {
			return
		}
	}
	if !p.takeToken() {
		p.Stats.OutRateLimited.Inc()
		return
	}
	r, err := p.net.Route(tcpip.AnyAddr, info.Src)
	if err != nil {
		p.Stats.OutErrors.Inc()
		return
	}
	if len(orig) > maxErrorLen-HeaderLen {
		orig = orig[:maxErrorLen-HeaderLen]
	}
	var hdr [HeaderLen]byte
	Encode(hdr[:], Header{Type: typ, Code: code}, orig)
	p.Stats.OutMsgs.Inc()
	if typ == TypeDestUnreach {
		p.Stats.OutDestUnreachs.Inc()
	}
	if p.net.WritePacket(r, tcpip.ProtoICMP, hdr[:], orig) != nil {
		p.Stats.OutErrors.Inc()
	}
}

func (p *Protocol) takeToken() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock.Now()
	if n := int(now.Sub(p.refill) / errorInterval); n > 0 {
		p.tokens = min(errorBurst, p.tokens+n)
		p.refill = p.refill.Add(time.Duration(n) * errorInterval)
	}
	if p.tokens == 0 {
		return false
	}
	p.tokens--
	return true
}

// Ping sends one echo request carrying data to dst and waits for the reply.
// It returns the round-trip time, the errno of an ICMP error that answered
// instead, or the context's error (a cancelled context gives EINTR, a
// deadline ETIMEDOUT).
func (p *Protocol) Ping(ctx context.Context, dst tcpip.Addr, seq uint16, data []byte) (time.Duration, error) {
	r, err := p.net.Route(tcpip.AnyAddr, dst)
	if err != nil {
		return 0, err
	}
	ch := make(chan echoResult, 1)
	p.mu.Lock()
	p.nextID++
	for i := 0; i < 1<<16 && p.sockets[p.nextID] != nil; i++ { // an echo socket's: skip it
		p.nextID++
	}
	id := p.nextID
	key := uint32(id)<<16 | uint32(seq)
	p.waiters[key] = ch
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.waiters, key)
		p.mu.Unlock()
	}()
	var hdr [HeaderLen]byte
	h := Header{Type: TypeEchoRequest}
	binary.BigEndian.PutUint16(h.Rest[0:2], id)
	binary.BigEndian.PutUint16(h.Rest[2:4], seq)
	Encode(hdr[:], h, data)
	start := p.clock.Now()
	p.Stats.OutMsgs.Inc()
	p.Stats.OutEchos.Inc()
	if err := p.net.WritePacket(r, tcpip.ProtoICMP, hdr[:], data); err != nil {
		return 0, err
	}
	select {
	case res := <-ch:
		if res.err != nil {
			return 0, res.err
		}
		return res.at.Sub(start), nil
	case <-ctx.Done():
		if ctx.Err() == context.DeadlineExceeded {
			return 0, syscall.ETIMEDOUT
		}
		return 0, syscall.EINTR
	}
}

// complete hands res to the Ping waiting for key, reporting whether one was.
func (p *Protocol) complete(key uint32, res echoResult) bool {
	p.mu.Lock()
	ch := p.waiters[key]
	delete(p.waiters, key)
	p.mu.Unlock()
	if ch != nil {
		ch <- res
	}
	return ch != nil
}

// Netstat names ICMP's section of `netstat -s` and returns its counters
// (tcpip.Reporter).
func (p *Protocol) Netstat() (string, any) { return "Icmp", &p.Stats }
