package link

import (
	"encoding/binary"

	"scone/kernel/net/tcpip"
)

// ChecksumOffloader is a device that computes the TCP and UDP checksums
// of the frames it sends (finding them with FindTxChecksum). The stack
// then writes only the pseudo-header's sum into unfragmented TCP and UDP
// packets it routes through the device and leaves the rest to it.
type ChecksumOffloader interface {
	TxChecksumOffload() bool
}

// TxChecksum says where, in an outgoing frame, the transport checksum a
// device can compute lies: the sum covers frame[Start:End] (the TCP or
// UDP header and payload) and goes into the two bytes at Field.
type TxChecksum struct {
	Proto      uint8 // tcpip.ProtoTCP or tcpip.ProtoUDP
	Start, End int   // the transport header's offset; the datagram's end
	Field      int   // the checksum's offset
}

// FindTxChecksum reports whether an Ethernet frame holds what a device's
// checksum offload (e1000's context descriptors, virtio-net's NEEDS_CSUM)
// can take, an unfragmented IPv4 TCP or UDP datagram with a checksum, and
// where its parts are. Anything else (ARP, ICMP, a fragment, a truncated
// frame, UDP sent without a checksum) is not ok. The frame is only read.
// It may carry Ethernet padding after End: a device that sums to the end
// of the frame must be given none, or zeros.
func FindTxChecksum(f []byte) (TxChecksum, bool) {
	const eth = EthernetHeaderLen
	if len(f) < eth+20 || binary.BigEndian.Uint16(f[12:]) != 0x0800 || f[eth]>>4 != 4 {
		return TxChecksum{}, false
	}
	ihl := int(f[eth]&0xf) * 4
	total := int(binary.BigEndian.Uint16(f[eth+2:]))
	if ihl < 20 || total < ihl || total > len(f)-eth || binary.BigEndian.Uint16(f[eth+6:])&0x3fff != 0 {
		return TxChecksum{}, false
	}
	c := TxChecksum{Proto: f[eth+9], Start: eth + ihl, End: eth + total}
	switch c.Proto {
	case tcpip.ProtoTCP:
		c.Field = c.Start + 16
	case tcpip.ProtoUDP:
		c.Field = c.Start + 6
	default:
		return TxChecksum{}, false
	}
	if c.End < c.Field+2 || c.Proto == tcpip.ProtoUDP && binary.BigEndian.Uint16(f[c.Field:]) == 0 {
		return TxChecksum{}, false
	}
	return c, true
}

// Seed replaces the checksum in f, a frame FindTxChecksum accepted, with
// the folded, uncomplemented sum of the pseudo-header alone (Linux's
// CHECKSUM_PARTIAL convention): the device adds the transport header
// and payload to it and stores the complement.
func (c TxChecksum) Seed(f []byte) {
	const eth = EthernetHeaderLen
	var src, dst tcpip.Addr
	copy(src[:], f[eth+12:])
	copy(dst[:], f[eth+16:])
	sum := tcpip.PseudoHeaderSum(src, dst, c.Proto, c.End-c.Start)
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(f[c.Field:], uint16(sum))
}
