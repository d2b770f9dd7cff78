package udp

import (
	"encoding/binary"
	"io"
	"math/rand/v2"
	"sync"
	"syscall"

	"scone/kernel/net/dgram"
	"scone/kernel/net/tcpip"
)

// Ephemeral ports, as Linux's default ip_local_port_range.
const (
	firstEphemeral = 32768
	lastEphemeral  = 60999
)

// Stats are the Udp lines of `netstat -s`.
type Stats struct {
	InDatagrams  tcpip.Counter // delivered to a socket
	NoPorts      tcpip.Counter // no socket on the destination port
	InErrors     tcpip.Counter // malformed, bad checksum or no room
	InCsumErrors tcpip.Counter
	RcvbufErrors tcpip.Counter // dropped because the socket held 16 already
	OutDatagrams tcpip.Counter
}

// Protocol is UDP for one stack: the table of endpoints by port. It is a
// tcpip.TransportHandler for protocol 17.
type Protocol struct {
	net   tcpip.NetworkLayer
	Stats Stats

	mu    sync.RWMutex
	ports map[uint16][]*Endpoint
	next  uint16 // where the next ephemeral port search starts
}

// New returns UDP over net.
func New(net tcpip.NetworkLayer) *Protocol {
	return &Protocol{
		net:   net,
		ports: make(map[uint16][]*Endpoint),
		next:  uint16(firstEphemeral + rand.IntN(lastEphemeral-firstEphemeral+1)),
	}
}

// NewEndpoint returns an unbound endpoint.
func (p *Protocol) NewEndpoint() *Endpoint {
	return &Endpoint{Base: dgram.NewBase(), proto: p, nic: -1}
}

// HandlePacket delivers a received datagram to the endpoint it is for.
func (p *Protocol) HandlePacket(info tcpip.PacketInfo, b []byte) bool {
	h, payload, err := parse(info.Src, info.Dst, b, !info.ChecksumOK)
	if err != nil {
		p.Stats.InErrors.Inc()
		if err == ErrChecksum {
			p.Stats.InCsumErrors.Inc()
		}
		return true // malformed: dropped, but no port-unreachable
	}
	from := tcpip.FullAddr{Addr: info.Src, Port: h.SrcPort}
	p.mu.RLock()
	e := p.lookup(info.Dst, h.DstPort, from)
	p.mu.RUnlock()
	if e == nil {
		p.Stats.NoPorts.Inc()
		return false
	}
	if e.Deliver(from, info.Dst, info.TTL, payload) {
		p.Stats.InDatagrams.Inc()
	} else {
		p.Stats.RcvbufErrors.Inc()
		p.Stats.InErrors.Inc()
	}
	return true
}

// HandleControl reports an ICMP error to the connected endpoint that sent
// the offending datagram. Like Linux without IP_RECVERR, unconnected
// endpoints are not told: the error could concern any of their peers.
func (p *Protocol) HandleControl(msg tcpip.ControlMessage, src, dst tcpip.Addr, orig []byte) {
	if len(orig) < HeaderLen {
		return
	}
	local := tcpip.FullAddr{Addr: src, Port: binary.BigEndian.Uint16(orig[0:2])}
	remote := tcpip.FullAddr{Addr: dst, Port: binary.BigEndian.Uint16(orig[2:4])}
	p.mu.RLock()
	e := p.lookup(local.Addr, local.Port, remote)
	p.mu.RUnlock()
	if e != nil {
		e.SetError(msg.Err, remote)
	}
}

// lookup finds the endpoint that should receive a datagram for dst:port
// from the given peer: a connected endpoint beats an unconnected one, an
// endpoint bound to the address beats a wildcard one. As on Linux, a
// broadcast reaches wildcard endpoints (and any bound to that broadcast
// address), not those bound to a unicast address. p.mu is held.
func (p *Protocol) lookup(dst tcpip.Addr, port uint16, from tcpip.FullAddr) *Endpoint {
	var best *Endpoint
	bestScore := -1
	for _, e := range p.ports[port] {
		score := 0
		if !e.Local.Addr.IsUnspecified() {
			if e.Local.Addr != dst {
				continue
			}
			score++
		}
		if e.Connected {
			if e.Remote != from {
				continue
			}
			score += 2
		}
		if score > bestScore {
			best, bestScore = e, score
		}
	}
	return best
}

// bind registers e at addr, picking an ephemeral port if addr.Port is 0.
func (p *Protocol) bind(e *Endpoint, addr tcpip.FullAddr) (tcpip.FullAddr, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if addr.Port == 0 {
		n := lastEphemeral - firstEphemeral + 1
		for i := 0; i < n; i++ {
			port := p.next
			p.next++
			if p.next > lastEphemeral || p.next < firstEphemeral {
				p.next = firstEphemeral
			}
			if p.free(addr.Addr, port) {
				addr.Port = port
				break
			}
		}
		if addr.Port == 0 {
			return addr, syscall.EADDRINUSE
		}
	} else if !p.free(addr.Addr, addr.Port) {
		return addr, syscall.EADDRINUSE
	}
	e.Local = addr // under p.mu: lookup reads it
	p.ports[addr.Port] = append(p.ports[addr.Port], e)
	return addr, nil
}

// free reports whether addr:port can be bound: no endpoint holds the port on
// the same address or on the wildcard, and a wildcard bind needs the port
// entirely free. p.mu is held.
func (p *Protocol) free(addr tcpip.Addr, port uint16) bool {
	for _, e := range p.ports[port] {
		if e.Local.Addr == addr || e.Local.Addr.IsUnspecified() || addr.IsUnspecified() {
			return false
		}
	}
	return true
}

func (p *Protocol) unbind(e *Endpoint) {
	p.mu.Lock()
	defer p.mu.Unlock()
	list := p.ports[e.Local.Port]
	for i, x := range list {
		if x == e {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(p.ports, e.Local.Port)
	} else {
		p.ports[e.Local.Port] = list
	}
}

// EndpointInfo describes a bound endpoint, for netstat-like tools.
type EndpointInfo struct {
	Local, Remote tcpip.FullAddr // Remote is zero unless connected
	Queued        int            // payload bytes waiting to be read
}

// Endpoints returns every bound endpoint, in no particular order.
func (p *Protocol) Endpoints() []EndpointInfo {
	p.mu.RLock()
	var eps []*Endpoint
	for _, list := range p.ports {
		eps = append(eps, list...)
	}
	p.mu.RUnlock()
	out := make([]EndpointInfo, 0, len(eps))
	for _, e := range eps {
		_, bytes := e.Queued()
		remote, _ := e.RemoteAddr()
		out = append(out, EndpointInfo{Local: e.LocalAddr(), Remote: remote, Queued: bytes})
	}
	return out
}

// WriteProcNet writes /proc/net/udp in Linux's format: every bound
// endpoint, in state 07 (TCP_CLOSE) unless connected (01), with its
// queued bytes (netstat -u reads it).
func (p *Protocol) WriteProcNet(w io.Writer) error {
	if err := tcpip.WriteProcSocketsHeader(w); err != nil {
		return err
	}
	for i, e := range p.Endpoints() {
		state := 7
		if e.Remote != (tcpip.FullAddr{}) {
			state = 1
		}
		if err := tcpip.WriteProcSocket(w, i, e.Local, e.Remote, state, 0, e.Queued); err != nil {
			return err
		}
	}
	return nil
}

// Netstat names UDP's section of `netstat -s` and returns its counters
// (tcpip.Reporter).
func (p *Protocol) Netstat() (string, any) { return "Udp", &p.Stats }
