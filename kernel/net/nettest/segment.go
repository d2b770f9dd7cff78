package nettest

import (
	"encoding/binary"

	"scone/kernel/net/ethernet"
	"scone/kernel/net/tcpip"
)

// SegmentTCP does what a device with TCP segmentation offload does with
// f, an Ethernet frame holding one IPv4 TCP packet: it cuts the data
// after hdrLen bytes of headers into pieces of mss bytes and returns one
// frame per piece, each with the headers copied, its IP total length,
// IP ID (counting up from f's) and header checksum, its sequence number,
// FIN and PSH on the last only, and a complete TCP checksum (whatever f's
// checksum field held). Devices and test models share it, and pcap checks
// use it to see what reached the wire.
func SegmentTCP(f []byte, hdrLen, mss int) [][]byte {
	const eth = ethernet.HeaderLen
	ihl := int(f[eth]&0xf) * 4
	start := eth + ihl
	var src, dst tcpip.Addr
	copy(src[:], f[eth+12:])
	copy(dst[:], f[eth+16:])
	id := binary.BigEndian.Uint16(f[eth+4:])
	seq := binary.BigEndian.Uint32(f[start+4:])
	flags := f[start+13]
	data := f[hdrLen:]
	var out [][]byte
	for off, k := 0, 0; off < len(data); off, k = off+mss, k+1 {
		n := min(mss, len(data)-off)
		s := append(append([]byte(nil), f[:hdrLen]...), data[off:off+n]...)
		ip, tcp := s[eth:], s[start:]
		binary.BigEndian.PutUint16(ip[2:], uint16(len(ip)))
		binary.BigEndian.PutUint16(ip[4:], id+uint16(k))
		binary.BigEndian.PutUint16(ip[10:], 0)
		binary.BigEndian.PutUint16(ip[10:], ^tcpip.Checksum(ip[:ihl], 0))
		binary.BigEndian.PutUint32(tcp[4:], seq+uint32(off))
		if off+n < len(data) {
			tcp[13] = flags &^ 0x09 // FIN, PSH
		}
		binary.BigEndian.PutUint16(tcp[16:], 0)
		binary.BigEndian.PutUint16(tcp[16:], ^tcpip.Checksum(tcp, tcpip.PseudoHeaderSum(src, dst, tcpip.ProtoTCP, len(tcp))))
		out = append(out, s)
	}
	return out
}
