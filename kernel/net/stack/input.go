package stack

import (
	"scone/kernel/net/icmp"
	"scone/kernel/net/ipv4"
	"scone/kernel/net/tcpip"
)

// receiveIPv4 checks a datagram, reassembles it if it is a fragment, and
// hands it to its transport protocol. checksumOK is the device's word that
// the transport checksum needs no check; it cannot hold for a reassembled
// datagram, whose fragments the device saw one by one.
func (s *Stack) receiveIPv4(n *nic, b []byte, linkBroadcast, checksumOK bool) {
	st := &s.Stats.IP
	st.InReceives.Inc()
	h, payload, err := ipv4.Parse(b)
	if err != nil {
		st.InHdrErrors.Inc()
		return
	}
	orig := b[:h.TotalLen]
	if h.Src.IsMulticast() || h.Src == tcpip.BroadcastAddr {
		st.InAddrErrors.Inc() // a martian source: never answer it
		return
	}
	broadcast, ok := s.accept(n, &h, linkBroadcast)
	if !ok {
		st.InAddrErrors.Inc()
		return
	}
	if h.IsFragment() {
		st.ReasmReqds.Inc()
		whole, done, err := s.reasm.Add(&h, payload)
		if err != nil {
			st.ReasmFails.Inc()
			return
		}
		if !done {
			return
		}
		st.ReasmOKs.Inc()
		payload = whole
		checksumOK = false
		// An ICMP error quotes the header and the start of the datagram.
		orig = make([]byte, h.HeaderLen+min(len(whole), 8))
		copy(orig, b[:h.HeaderLen])
		copy(orig[h.HeaderLen:], whole)
		orig[6], orig[7] = 0, 0
	}
	info := tcpip.PacketInfo{Src: h.Src, Dst: h.Dst, TTL: h.TTL, Broadcast: broadcast, NIC: n.id, ChecksumOK: checksumOK}
	t := s.Transport(h.Protocol)
	if t == nil {
		st.InUnknownProtos.Inc()
		s.icmp.SendError(icmp.TypeDestUnreach, icmp.CodeProtoUnreach, info, orig)
		return
	}
	st.InDelivers.Inc()
	if !t.HandlePacket(info, payload) && h.Protocol == tcpip.ProtoUDP {
		s.icmp.SendError(icmp.TypeDestUnreach, icmp.CodePortUnreach, info, orig)
	}
}

// accept decides whether a datagram that arrived on n is for this host, and
// whether it was a broadcast. Addresses of other interfaces count (the weak
// host model, as Linux). An interface with no address yet accepts UDP
// unicast sent to its MAC, so a DHCP client can receive its offer.
func (s *Stack) accept(n *nic, h *ipv4.Header, linkBroadcast bool) (broadcast, ok bool) {
	dst := h.Dst
	if dst == tcpip.BroadcastAddr {
		return true, true
	}
	ia := n.addr.Load()
	if ia != nil && ia.subnet.Bits < 31 && dst == ia.subnet.Broadcast() {
		return true, true
	}
	if n.loopback {
		return false, s.IsLocal(dst)
	}
	if linkBroadcast || dst.IsMulticast() {
		return false, false // unicast IP in a broadcast frame, or a group we never joined
	}
	if ia != nil && ia.addr == dst {
		return false, true
	}
	if ia == nil && h.Protocol == tcpip.ProtoUDP {
		return false, true
	}
	if dst.IsLoopback() {
		return false, false // 127/8 arriving from a wire is a martian
	}
	return false, s.IsLocal(dst)
}

// reassemblyTimeout answers a datagram that never completed with ICMP time
// exceeded, code 1 (RFC 792; RFC 1122 3.3.2: only when its first fragment
// arrived, which is when the reassembler calls this).
func (s *Stack) reassemblyTimeout(first ipv4.Header, start []byte) {
	if !s.IsLocal(first.Dst) {
		return // a broadcast or someone else's: no error
	}
	orig := make([]byte, ipv4.HeaderLen+len(start))
	first.TotalLen = max(first.TotalLen, len(orig))
	ipv4.Encode(orig, &first)
	copy(orig[ipv4.HeaderLen:], start)
	info := tcpip.PacketInfo{Src: first.Src, Dst: first.Dst, TTL: first.TTL}
	s.icmp.SendError(icmp.TypeTimeExceeded, icmp.CodeReassemblyTimeout, info, orig)
}
