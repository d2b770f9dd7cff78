package stack

import (
	"sync"
	"syscall"

	"scone/kernel/net/ethernet"
	"scone/kernel/net/ipv4"
	"scone/kernel/net/loopback"
	"scone/kernel/net/tcpip"
)

// Route implements tcpip.NetworkLayer. As on Linux, the destination
// 0.0.0.0 means this host (the source address, or 127.0.0.1); the returned
// Route's Dst is the address actually used.
func (s *Stack) Route(src, dst tcpip.Addr) (tcpip.Route, error) {
	if !src.IsUnspecified() && !s.IsLocal(src) {
		return tcpip.Route{}, syscall.EADDRNOTAVAIL
	}
	if dst.IsUnspecified() {
		dst = src
		if dst.IsUnspecified() {
			dst = tcpip.LoopbackAddr
		}
	}
	if dst.IsMulticast() {
		return tcpip.Route{}, syscall.ENETUNREACH // no multicast routing (IGMP)
	}
	if dst.IsLoopback() && !s.IsLocal(dst) {
		return tcpip.Route{}, syscall.ENETUNREACH // a stack without loopback
	}
	if src.IsLoopback() && !s.IsLocal(dst) {
		return tcpip.Route{}, syscall.EINVAL // 127/8 never leaves the host (Linux says EINVAL too)
	}
	if s.IsLocal(dst) {
		// Our own addresses go through loopback, as Linux's local table.
		lo := s.nic(LoopbackNIC)
		if lo == nil || !lo.loopback || lo.down.Load() {
			return tcpip.Route{}, syscall.ENETUNREACH
		}
		if src.IsUnspecified() {
			src = dst
		}
		return tcpip.Route{Src: src, Dst: dst, NextHop: dst, NIC: LoopbackNIC, MTU: lo.MTU() - ipv4.HeaderLen}, nil
	}
	if dst == tcpip.BroadcastAddr {
		// The limited broadcast leaves by the first real interface.
		for _, n := range *s.nics.Load() {
			if !n.loopback && !n.down.Load() {
				return s.routeVia(n, src, dst, dst)
			}
		}
		return tcpip.Route{}, syscall.ENETUNREACH
	}
	e, ok := s.routes.Lookup(dst)
	n := s.nic(e.NIC)
	if !ok || n == nil {
		return tcpip.Route{}, syscall.ENETUNREACH
	}
	return s.routeVia(n, src, dst, e.NextHop(dst))
}

// RouteNIC implements tcpip.NICRouter: like Route, but always through
// nic. With no route through nic the destination is taken to be on its
// link, as Linux's ip_route_output does for an output interface
// ("routing tables are wrong").
func (s *Stack) RouteNIC(id int, src, dst tcpip.Addr) (tcpip.Route, error) {
	n := s.nic(id)
	if n == nil {
		return tcpip.Route{}, syscall.ENODEV
	}
	if n.down.Load() {
		return tcpip.Route{}, syscall.ENETUNREACH
	}
	if dst == tcpip.BroadcastAddr {
		return s.routeVia(n, src, dst, dst)
	}
	if dst.IsUnspecified() || dst.IsMulticast() {
		return tcpip.Route{}, syscall.ENETUNREACH
	}
	e, ok := s.routes.LookupNIC(id, dst)
	if !ok {
		return s.routeVia(n, src, dst, dst)
	}
	return s.routeVia(n, src, dst, e.NextHop(dst))
}

func (s *Stack) routeVia(n *nic, src, dst, next tcpip.Addr) (tcpip.Route, error) {
	if src.IsUnspecified() {
		if ia := n.addr.Load(); ia != nil {
			src = ia.addr
		} else if dst != tcpip.BroadcastAddr {
			return tcpip.Route{}, syscall.EADDRNOTAVAIL
		}
	}
	return tcpip.Route{Src: src, Dst: dst, NextHop: next, NIC: n.id, MTU: n.MTU() - ipv4.HeaderLen, ChecksumOffload: n.offload, GSO: tcpip.GSO{MaxSize: n.gso}}, nil
}

// Frame buffers, pooled so the send path does not allocate: one pool for
// Ethernet-sized frames and one for loopback's 64 KiB frames.
const smallFrame = 2048

var (
	smallPool = sync.Pool{New: func() any { b := make([]byte, smallFrame); return &b }}
	largePool = sync.Pool{New: func() any {
		b := make([]byte, ethernet.HeaderLen+loopback.MTU)
		return &b
	}}
)

func getFrame(n int) *[]byte {
	if n <= smallFrame {
		return smallPool.Get().(*[]byte)
	}
	return largePool.Get().(*[]byte)
}

func putFrame(b *[]byte) {
	if cap(*b) == smallFrame {
		smallPool.Put(b)
	} else {
		largePool.Put(b)
	}
}

// WritePacket implements tcpip.NetworkLayer: it wraps hdr and payload in an
// IPv4 header (fragmenting to the interface's MTU) and an Ethernet header,
// and sends the frames.
func (s *Stack) WritePacket(r tcpip.Route, proto uint8, hdr, payload []byte) error {
	st := &s.Stats.IP
	st.OutRequests.Inc()
	n := s.nic(r.NIC)
	if n == nil {
		st.OutNoRoutes.Inc()
		return syscall.ENETUNREACH
	}
	total := len(hdr) + len(payload)
	if total > ipv4.MaxTotalLen-ipv4.HeaderLen {
		st.OutDiscards.Inc()
		return syscall.EMSGSIZE
	}
	ttl := s.opts.TTL
	if r.TTL != 0 {
		ttl = r.TTL // the socket's IP_TTL
	}
	h := ipv4.Header{
		ID:       uint16(s.ipID.Add(1)),
		TOS:      r.TOS,
		TTL:      ttl,
		Protocol: proto,
		Src:      r.Src,
		Dst:      r.Dst,
	}
	mtu := n.MTU()
	if r.GSO.MSS > 0 && total > mtu-ipv4.HeaderLen {
		if proto != tcpip.ProtoTCP || total > n.gso {
			st.OutDiscards.Inc()
			return syscall.EMSGSIZE
		}
		// The device cuts it into segments, each with its own IP ID:
		// reserve them, as Linux does.
		segs := (total - len(hdr) + r.GSO.MSS - 1) / r.GSO.MSS
		h.ID = uint16(s.ipID.Add(uint32(segs)) - uint32(segs) + 1)
		h.TotalLen = ipv4.HeaderLen + total
		if err := s.sendGSO(n, r.NextHop, &h, hdr, payload, r.GSO.MSS); err != nil {
			st.OutDiscards.Inc()
			return err
		}
		return nil
	}
	size := ipv4.FragmentSize(mtu, total)
	if size <= 0 {
		st.FragFails.Inc()
		return syscall.EMSGSIZE
	}
	if size < total {
		st.FragOKs.Inc()
	}
	for off := 0; off < total; off += size {
		k := min(size, total-off)
		h.FragOffset = off
		h.Flags = 0
		if off+k < total {
			h.Flags = ipv4.FlagMF
		}
		h.TotalLen = ipv4.HeaderLen + k
		if size < total {
			st.FragCreates.Inc()
		}
		if err := s.sendFragment(n, r.NextHop, &h, hdr, payload, off, k); err != nil {
			st.OutDiscards.Inc()
			return err
		}
	}
	return nil
}

// sendFragment builds one frame carrying bytes [off, off+k) of hdr||payload
// and sends it to next, resolving its hardware address.
func (s *Stack) sendFragment(n *nic, next tcpip.Addr, h *ipv4.Header, hdr, payload []byte, off, k int) error {
	flen := ethernet.HeaderLen + h.TotalLen
	bp := getFrame(flen)
	defer putFrame(bp)
	frame := (*bp)[:flen]
	eh := ethernet.Header{Src: n.mac, Type: ethernet.TypeIPv4}
	ip := frame[ethernet.HeaderLen:]
	ipv4.Encode(ip, h)
	ipv4.CopyRange(ip[ipv4.HeaderLen:], hdr, payload, off, k)
	switch {
	case n.loopback:
		ethernet.Encode(frame, eh)
	case s.isBroadcastOn(n, h.Dst):
		eh.Dst = tcpip.BroadcastMAC
		ethernet.Encode(frame, eh)
	default:
		ethernet.Encode(frame, eh)
		mac, ok := n.arp.Resolve(next, frame)
		if !ok {
			return nil // queued until ARP answers (or dropped and counted)
		}
		copy(frame[0:6], mac[:])
	}
	return n.write(frame)
}

// sendGSO sends one IPv4 TCP packet larger than the MTU for n's device
// to segment. A next hop whose hardware address is not known yet costs
// the packet (TCP retransmits it): ARP's queue holds only frames the
// device can send as they are.
func (s *Stack) sendGSO(n *nic, next tcpip.Addr, h *ipv4.Header, hdr, payload []byte, mss int) error {
	mac, ok := n.arp.Resolve(next, nil)
	if !ok {
		return nil // as a queue drop: TCP resends
	}
	flen := ethernet.HeaderLen + h.TotalLen
	bp := getFrame(flen)
	defer putFrame(bp)
	frame := (*bp)[:flen]
	ethernet.Encode(frame, ethernet.Header{Dst: mac, Src: n.mac, Type: ethernet.TypeIPv4})
	ip := frame[ethernet.HeaderLen:]
	ipv4.Encode(ip, h)
	ipv4.CopyRange(ip[ipv4.HeaderLen:], hdr, payload, 0, len(hdr)+len(payload))
	return n.writeGSO(frame, mss)
}

func (s *Stack) isBroadcastOn(n *nic, dst tcpip.Addr) bool {
	if dst == tcpip.BroadcastAddr {
		return true
	}
	ia := n.addr.Load()
	return ia != nil && ia.subnet.Bits < 31 && dst == ia.subnet.Broadcast()
}
