package stack

import (
	"sync/atomic"
	"syscall"

	"scone/kernel/net/arp"
	"scone/kernel/net/ethernet"
	"scone/kernel/net/icmp"
	"scone/kernel/net/ipv4"
	"scone/kernel/net/link"
	"scone/kernel/net/tcpip"
)

// nic is one interface: a device, its address and its ARP cache.
type nic struct {
	s        *Stack
	id       int
	name     string
	ep       link.Endpoint
	mac      tcpip.MAC
	mtu      atomic.Int32 // SIOCSIFMTU changes it: read without a lock
	down     atomic.Bool  // taken down (SIOCSIFFLAGS without IFF_UP): sends and receives nothing
	loopback bool
	offload  bool       // the device completes TCP and UDP checksums
	gso      int        // largest TCP packet the device segments (0: none)
	arp      *arp.Cache // nil on loopback
	addr     atomic.Pointer[ifaddr]
	stats    NICStats
}

// NICStats are one interface's counters (what ifconfig prints).
type NICStats struct {
	RxPackets, RxBytes, TxPackets, TxBytes, TxErrors tcpip.Counter
}

// ifaddr is an interface's address, replaced whole when it changes.
type ifaddr struct {
	addr   tcpip.Addr
	subnet tcpip.Subnet
}

// MTU returns the interface's MTU (the largest IP datagram it sends).
func (n *nic) MTU() int { return int(n.mtu.Load()) }

// DeliverFrame is the entry point of every received frame.
func (n *nic) DeliverFrame(frame []byte) { n.deliver(frame, false) }

// DeliverCheckedFrame takes a frame whose TCP or UDP checksum the device
// vouched for (link.CheckedDispatcher).
func (n *nic) DeliverCheckedFrame(frame []byte) { n.deliver(frame, true) }

func (n *nic) deliver(frame []byte, checksumOK bool) {
	if n.down.Load() {
		return // a device that is down hears nothing (Linux closes it)
	}
	st := &n.s.Stats.Link
	st.InFrames.Inc()
	n.stats.RxPackets.Inc()
	n.stats.RxBytes.Add(uint64(len(frame)))
	h, payload, err := ethernet.Parse(frame)
	if err != nil {
		st.InErrors.Inc()
		return
	}
	linkBroadcast := false
	if !n.loopback && h.Dst != n.mac {
		if h.Dst != tcpip.BroadcastMAC {
			st.InNotForUs.Inc() // another host's frame or a multicast group we are not in
			return
		}
		linkBroadcast = true
	}
	switch h.Type {
	case ethernet.TypeIPv4:
		n.s.receiveIPv4(n, payload, linkBroadcast, checksumOK)
	case ethernet.TypeARP:
		if n.arp != nil {
			n.receiveARP(payload)
		}
	default:
		st.InUnknownTypes.Inc()
	}
}

// receiveARP updates the cache from a packet and answers requests for our
// address (RFC 826's packet reception algorithm).
func (n *nic) receiveARP(b []byte) {
	st := &n.s.Stats.ARP
	p, err := arp.Parse(b)
	if err != nil {
		st.InErrors.Inc()
		return
	}
	st.InPackets.Inc()
	ia := n.addr.Load()
	if ia == nil {
		return
	}
	if p.SenderIP == ia.addr && p.SenderMAC != n.mac {
		st.Conflicts.Inc() // someone else claims our address
		return
	}
	forUs := p.TargetIP == ia.addr
	if !p.SenderIP.IsUnspecified() { // an RFC 5227 probe has no sender address
		n.arp.Update(p.SenderIP, p.SenderMAC, forUs)
	}
	if p.Op == arp.OpRequest && forUs {
		st.OutReplies.Inc()
		n.sendARP(arp.OpReply, p.SenderMAC, p.SenderMAC, p.SenderIP)
	}
}

// sendARP sends an ARP packet from our address to target.
func (n *nic) sendARP(op uint16, dst, targetMAC tcpip.MAC, target tcpip.Addr) {
	var sender tcpip.Addr
	if ia := n.addr.Load(); ia != nil {
		sender = ia.addr
	}
	var frame [ethernet.HeaderLen + 46]byte // padded to the 60-byte minimum
	ethernet.Encode(frame[:], ethernet.Header{Dst: dst, Src: n.mac, Type: ethernet.TypeARP})
	arp.Encode(frame[ethernet.HeaderLen:], arp.Packet{
		Op: op, SenderMAC: n.mac, SenderIP: sender, TargetMAC: targetMAC, TargetIP: target,
	})
	n.s.Stats.ARP.OutPackets.Inc()
	n.write(frame[:])
}

// SendRequest implements arp.Sender.
func (n *nic) SendRequest(target tcpip.Addr) {
	n.sendARP(arp.OpRequest, tcpip.BroadcastMAC, tcpip.MAC{}, target)
}

// SendQueued implements arp.Sender.
func (n *nic) SendQueued(frame []byte) { n.write(frame) }

// Unreachable implements arp.Sender: the next hop of a frame we sent never
// answered ARP. Like Linux, which sends itself an ICMP host unreachable,
// tell the transport that sent the datagram, so a connected socket reports
// EHOSTUNREACH.
func (n *nic) Unreachable(frame []byte) {
	_, ip, err := ethernet.Parse(frame)
	if err != nil {
		return
	}
	h, payload, err := ipv4.Parse(ip)
	if err != nil || h.FragOffset != 0 {
		return // only the first fragment carries the transport header
	}
	if t := n.s.Transport(h.Protocol); t != nil {
		msg := tcpip.ControlMessage{Type: icmp.TypeDestUnreach, Code: icmp.CodeHostUnreach, Err: syscall.EHOSTUNREACH}
		t.HandleControl(msg, h.Src, h.Dst, payload)
	}
}

func (n *nic) write(frame []byte) error { return n.writeGSO(frame, 0) }

// writeGSO sends frame, cut by the device into segments of mss payload
// bytes if mss is not 0.
func (n *nic) writeGSO(frame []byte, mss int) error {
	if n.down.Load() {
		return syscall.ENETDOWN
	}
	var err error
	if mss > 0 {
		err = n.ep.(link.GSOEndpoint).WriteGSOFrame(frame, mss)
	} else {
		err = n.ep.WriteFrame(frame)
	}
	if err != nil {
		n.s.Stats.Link.OutErrors.Inc()
		n.stats.TxErrors.Inc()
		return err
	}
	n.s.Stats.Link.OutFrames.Inc()
	n.stats.TxPackets.Inc()
	n.stats.TxBytes.Add(uint64(len(frame)))
	return nil
}
