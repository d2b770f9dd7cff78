package tcpip

import (
	"encoding/binary"
	"math/bits"
)

// Checksum returns the Internet checksum (RFC 1071) of b folded together with
// an initial partial sum, not yet complemented. Complement the result before
// writing it into a header; a received header whose checksum is correct
// yields 0xffff when summed over in full.
//
// It is on every packet's path, so it sums 64-bit little-endian words with
// carries and swaps bytes at the end: the one's-complement sum does not
// depend on byte order (RFC 1071 section 2(B)), so this equals the
// big-endian sum of 16-bit words.
func Checksum(b []byte, initial uint32) uint16 {
	var sum, carry uint64
	for len(b) >= 32 {
		sum, carry = bits.Add64(sum, binary.LittleEndian.Uint64(b[0:8]), carry)
		sum, carry = bits.Add64(sum, binary.LittleEndian.Uint64(b[8:16]), carry)
		sum, carry = bits.Add64(sum, binary.LittleEndian.Uint64(b[16:24]), carry)
		sum, carry = bits.Add64(sum, binary.LittleEndian.Uint64(b[24:32]), carry)
		b = b[32:]
	}
	for len(b) >= 8 {
		sum, carry = bits.Add64(sum, binary.LittleEndian.Uint64(b), carry)
		b = b[8:]
	}
	if len(b) > 0 {
		// The tail starts at an even offset, so zero padding keeps every
		// byte in its place within its 16-bit word.
		var tail [8]byte
		copy(tail[:], b)
		sum, carry = bits.Add64(sum, binary.LittleEndian.Uint64(tail[:]), carry)
	}
	sum, carry = bits.Add64(sum, carry, 0)
	sum += carry
	// Fold 64 bits to 16.
	s := sum&0xffffffff + sum>>32
	s = s&0xffff + s>>16
	s = s&0xffff + s>>16
	s = s&0xffff + s>>16
	// Back to network byte order, then add the caller's big-endian sum.
	s = uint64(bits.ReverseBytes16(uint16(s))) + uint64(initial)
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
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
