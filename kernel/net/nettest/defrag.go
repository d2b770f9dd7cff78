package nettest

import (
	"github.com/google/gopacket/layers"
)

// The Checker's own reassembly, deliberately simple and separate from
// package ipv4's: it keeps every fragment (tests are bounded) and puts the
// datagram together once the bytes are all there. gopacket's ip4defrag is
// not used because it rejects legal final fragments shorter than 8 bytes.

type fragKey struct {
	src, dst [4]byte
	id       uint16
	proto    layers.IPProtocol
}

type fragments struct {
	parts map[int][]byte // offset -> data (an exact duplicate overwrites)
	total int            // -1 until the last fragment is seen
}

// maxPendingFrags bounds the fragment sets a Checker keeps, since lost
// fragments leave sets that never complete.
const maxPendingFrags = 4096

func (c *Checker) reassemble(ip *layers.IPv4) *layers.IPv4 {
	var k fragKey
	copy(k.src[:], ip.SrcIP.To4())
	copy(k.dst[:], ip.DstIP.To4())
	k.id, k.proto = ip.Id, ip.Protocol
	f := c.frags[k]
	if f == nil {
		if len(c.frags) >= maxPendingFrags {
			clear(c.frags)
		}
		f = &fragments{parts: make(map[int][]byte), total: -1}
		c.frags[k] = f
	}
	off := int(ip.FragOffset) * 8
	if ip.Flags&layers.IPv4MoreFragments != 0 && len(ip.Payload)%8 != 0 {
		c.fail("fragment at %d has %d bytes, not a multiple of 8", off, len(ip.Payload))
	}
	f.parts[off] = append([]byte(nil), ip.Payload...)
	if ip.Flags&layers.IPv4MoreFragments == 0 {
		f.total = off + len(ip.Payload)
	}
	if f.total < 0 {
		return nil
	}
	whole := make([]byte, f.total)
	for have := 0; have < f.total; {
		p, ok := f.parts[have]
		if !ok || len(p) == 0 {
			return nil
		}
		copy(whole[have:], p)
		have += len(p)
	}
	delete(c.frags, k)
	out := *ip
	out.Payload = whole
	out.Flags &^= layers.IPv4MoreFragments
	out.FragOffset = 0
	return &out
}
