package dhcp

import (
	"time"

	"scone/kernel/net/tcpip"
)

// Deliver hands the client a datagram that arrived on UDP port 68. The
// client keeps no reference to b.
func (c *Client) Deliver(src tcpip.FullAddr, b []byte) {
	m, err := Parse(b)
	c.mu.Lock()
	defer c.unlock()
	c.stats.Received++
	if err != nil {
		c.stats.Malformed++
		return
	}
	if m.Op != opReply || m.XID != c.xid || m.CHAddr != c.cfg.MAC || src.Port != ServerPort {
		c.stats.Ignored++
		return
	}
	switch {
	case m.Type == Offer && c.state == Selecting:
		c.handleOffer(m)
	case m.Type == Ack && (c.state == Requesting || c.state == Renewing || c.state == Rebinding):
		c.handleAck(m)
	case m.Type == Nak && (c.state == Requesting || c.state == Renewing || c.state == Rebinding):
		c.handleNak(m)
	default:
		c.stats.Ignored++
	}
}

// handleOffer takes the first acceptable offer (RFC 2131 lets a client
// choose; waiting to compare offers only slows booting) and requests it.
func (c *Client) handleOffer(m *Message) {
	if !usableAddr(m.YIAddr) || m.ServerID.IsUnspecified() {
		c.stats.Ignored++
		return
	}
	c.stats.Offers++
	c.offer = m
	c.state = Requesting
	c.tries = 0
	c.transmit()
}

// handleAck binds the lease the ACK grants.
func (c *Client) handleAck(m *Message) {
	if !usableAddr(m.YIAddr) || m.LeaseTime == 0 {
		// RFC 2131 table 3: an ACK to a REQUEST must carry the lease
		// time; without it there is no safe time to renew.
		c.stats.Ignored++
		return
	}
	if c.state == Requesting && m.ServerID != c.offer.ServerID && !m.ServerID.IsUnspecified() {
		c.stats.Ignored++ // another server's ACK to another client's broadcast
		return
	}
	if c.hasLease() && m.YIAddr != c.lease.Addr {
		// A renewal that moves the address: treat as losing the old
		// lease and binding a new one, so the stack reconfigures.
		c.lose()
	}
	c.stats.Acks++
	l := Lease{
		Addr:       m.YIAddr,
		Router:     firstAddr(m.Routers),
		DNS:        m.DNS,
		DomainName: m.DomainName,
		Server:     m.ServerID,
		Duration:   m.LeaseTime,
		Acquired:   c.sentAt,
	}
	if l.Server.IsUnspecified() {
		l.Server = c.lease.Server // some servers omit it when renewing
	}
	bits, err := tcpip.MaskLen(m.SubnetMask)
	if m.SubnetMask.IsUnspecified() || err != nil {
		bits = classfulBits(l.Addr)
	}
	l.Subnet = tcpip.SubnetOf(l.Addr, bits)
	l.T1, l.T2 = leaseTimes(m.LeaseTime, m.T1, m.T2)

	c.lease = l
	c.state = Bound
	c.stats.Leases++
	if l.Duration == Infinite {
		c.setTimer(-1)
	} else {
		c.setTimer(l.Acquired.Add(l.T1).Sub(c.cfg.Clock.Now()))
	}
	if f := c.cfg.OnBound; f != nil {
		c.pending = append(c.pending, func() { f(l) })
	}
}

// handleNak abandons the request (and the lease, if renewing) and starts
// over. A NAK while requesting must come from the server we asked.
func (c *Client) handleNak(m *Message) {
	want := c.lease.Server
	if c.state == Requesting {
		want = c.offer.ServerID
	}
	if !m.ServerID.IsUnspecified() && m.ServerID != want && c.state != Rebinding {
		c.stats.Ignored++
		return
	}
	c.stats.Naks++
	if c.hasLease() {
		c.lose()
	}
	c.discover()
}

// leaseTimes returns T1 and T2, defaulting to 0.5 and 0.875 of the lease
// (RFC 2131 4.4.5) when absent or inconsistent (T1 < T2 < lease must hold).
func leaseTimes(lease, t1, t2 time.Duration) (time.Duration, time.Duration) {
	if lease == Infinite {
		return Infinite, Infinite
	}
	if t2 <= 0 || t2 >= lease {
		t2 = lease / 8 * 7
	}
	if t1 <= 0 || t1 >= t2 {
		t1 = min(lease/2, t2)
	}
	return t1, t2
}

// usableAddr reports whether a can be a host's unicast address.
func usableAddr(a tcpip.Addr) bool {
	return !a.IsUnspecified() && a != tcpip.BroadcastAddr && !a.IsMulticast() && !a.IsLoopback()
}

// classfulBits is the pre-CIDR mask length of a, used only when a server
// sends no subnet mask (RFC 1122 3.3.1.1 fallback).
func classfulBits(a tcpip.Addr) int {
	switch {
	case a[0] < 128:
		return 8
	case a[0] < 192:
		return 16
	default:
		return 24
	}
}

func firstAddr(as []tcpip.Addr) tcpip.Addr {
	if len(as) == 0 {
		return tcpip.AnyAddr
	}
	return as[0]
}
