package tcpip

import "encoding/binary"

// Checksum returns the Internet checksum (RFC 1071) of b folded together with
// an initial partial sum, not yet complemented. Complement the result before
// writing it into a header; a received header whose checksum is correct
// yields 0xffff when summed over in full.
func Checksum(b []byte, initial uint32) uint16 {
	sum := uint64(initial)
	for len(b) >= 8 {
		sum += uint64(binary.BigEndian.Uint32(b)) + uint64(binary.BigEndian.Uint32(b[4:]))
		b = b[8:]
	}
	for len(b) >= 2 {
		sum += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint64(b[0]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return uint16(sum)
}

// PseudoHeaderSum is the partial checksum of the IPv4 pseudo-header that UDP
// and TCP checksums cover (RFC 768, RFC 9293 section 3.1). Pass it as the
// initial value to Checksum over the transport header and payload.
func PseudoHeaderSum(src, dst Addr, proto uint8, length int) uint32 {
	return uint32(src[0])<<8 + uint32(src[1]) +
		uint32(src[2])<<8 + uint32(src[3]) +
		uint32(dst[0])<<8 + uint32(dst[1]) +
		uint32(dst[2])<<8 + uint32(dst[3]) +
		uint32(proto) + uint32(length)
}
