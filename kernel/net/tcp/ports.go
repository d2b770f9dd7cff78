package tcp

import (
	"hash/maphash"
	"math/rand/v2"
	"syscall"

	"scone/kernel/net/tcpip"
)

// Port bookkeeping. A bound or listening endpoint owns its address: a
// second Bind to the same port fails with EADDRINUSE when the addresses
// are equal or either is the wildcard. Connections do not own ports in that
// sense; they only need a unique four-tuple. That is Linux's behaviour
// with SO_REUSEADDR set, which Scone applies to every socket by default so
// that a server can restart while its old connections sit in TIME-WAIT.
// An endpoint with SO_REUSEADDR off may not bind an address any
// connection uses.

// portFreeLocked reports whether addr may be bound. p.mu must be held.
func (p *Protocol) portFreeLocked(addr tcpip.FullAddr) bool {
	for _, o := range p.bound[addr.Port] {
		if o.id.local.Addr == addr.Addr || o.id.local.Addr.IsUnspecified() || addr.Addr.IsUnspecified() {
			return false
		}
	}
	for la := range p.listenersOn(addr.Port) {
		if la == addr.Addr || la.IsUnspecified() || addr.Addr.IsUnspecified() {
			return false
		}
	}
	return true
}

// connUsesLocked reports whether a connection, in any state, has a
// local address that addr overlaps. p.mu must be held.
func (p *Protocol) connUsesLocked(addr tcpip.FullAddr) bool {
	if p.connPorts[addr.Port] == 0 {
		return false
	}
	for id := range p.conns {
		if id.local.Port == addr.Port && (id.local.Addr == addr.Addr || addr.Addr.IsUnspecified()) {
			return true
		}
	}
	return false
}

// listenersOn yields the local addresses listening on port. There are few
// listeners, so a scan is cheaper than another index.
func (p *Protocol) listenersOn(port uint16) func(func(tcpip.Addr) bool) {
	return func(yield func(tcpip.Addr) bool) {
		for fa := range p.listeners {
			if fa.Port == port && !yield(fa.Addr) {
				return
			}
		}
	}
}

// bind records e as the owner of addr, choosing an ephemeral port for port 0.
func (p *Protocol) bind(e *Endpoint, addr tcpip.FullAddr) (tcpip.FullAddr, error) {
	if !addr.Addr.IsUnspecified() && !p.net.IsLocal(addr.Addr) {
		return addr, syscall.EADDRNOTAVAIL
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if addr.Port == 0 {
		// No peer yet: a random start, as Linux's bind.
		var tried uint32
		ok := searchEphemeral(rand.Uint32(), &tried, func(port uint16) bool {
			a := tcpip.FullAddr{Addr: addr.Addr, Port: port}
			if p.connPorts[port] == 0 && p.portFreeLocked(a) {
				addr = a
				return true
			}
			return false
		})
		if !ok {
			return addr, syscall.EADDRINUSE
		}
	} else if !p.portFreeLocked(addr) || (e.noReuse && p.connUsesLocked(addr)) {
		return addr, syscall.EADDRINUSE
	}
	p.bound[addr.Port] = append(p.bound[addr.Port], e)
	return addr, nil
}

// unbindLocked drops e's claim on its port. p.mu must be held.
func (p *Protocol) unbindLocked(e *Endpoint) {
	list := p.bound[e.id.local.Port]
	for i, o := range list {
		if o == e {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(p.bound, e.id.local.Port)
	} else {
		p.bound[e.id.local.Port] = list
	}
}

func (p *Protocol) unbind(e *Endpoint) {
	p.mu.Lock()
	p.unbindLocked(e)
	p.mu.Unlock()
}

// searchEphemeral tries every ephemeral port once, from offset+*ctr on,
// until try accepts one; *ctr counts the ports tried. p.mu must be held.
func searchEphemeral(offset uint32, ctr *uint32, try func(uint16) bool) bool {
	const n = ephemeralLast - ephemeralFirst + 1
	for range n {
		port := uint16(ephemeralFirst + (offset+*ctr)%n)
		*ctr++
		if try(port) {
			return true
		}
	}
	return false
}

// connectPorts returns where the ephemeral port search for a connection
// from src to remote starts. It is RFC 6056 section 3.3.4's algorithm 4
// (double-hash port selection): a keyed hash of the addresses plus a
// counter chosen by a second keyed hash. Ports are hard to guess off path;
// successive connections to one destination move on from recently used
// ports; and the ports one destination sees reveal nothing about those
// used toward another.
func (p *Protocol) connectPorts(src tcpip.Addr, remote tcpip.FullAddr) (offset uint32, ctr *uint32) {
	key := connID{local: tcpip.FullAddr{Addr: src}, remote: remote}
	offset = uint32(maphash.Comparable(p.portSeed, key))
	ctr = &p.portTable[maphash.Comparable(p.portSeed2, key)%uint64(len(p.portTable))]
	return offset, ctr
}

// connectRegister gives a connecting endpoint its four-tuple and puts it in
// the connection table. An endpoint bound to port 0 earlier already has its
// port; an unbound one gets an ephemeral port unique for this peer.
func (p *Protocol) connectRegister(e *Endpoint, src tcpip.Addr, remote tcpip.FullAddr) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.bound {
		old := e.id
		e.id = connID{local: tcpip.FullAddr{Addr: src, Port: old.local.Port}, remote: remote}
		if err := p.registerLocked(e); err != nil {
			e.id = old
			return err
		}
		e.id, old = old, e.id
		p.unbindLocked(e)
		e.id = old
		return nil
	}
	offset, ctr := p.connectPorts(src, remote)
	ok := searchEphemeral(offset, ctr, func(port uint16) bool {
		id := connID{local: tcpip.FullAddr{Addr: src, Port: port}, remote: remote}
		if _, used := p.conns[id]; used || !p.portFreeLocked(id.local) {
			return false
		}
		e.id = id
		return p.registerLocked(e) == nil
	})
	if !ok {
		return syscall.EADDRNOTAVAIL
	}
	e.bound = true
	return nil
}
