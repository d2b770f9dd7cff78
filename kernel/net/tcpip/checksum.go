package tcpip

import (
	"encoding/binary"
	"math/bits"
)

// Checksum returns the Internet checksum (RFC 1071) of b folded together with
// an initial partial sum, not yet complemented. Complement the result before
// writing it into a header; a received header whose checksum is correct
// yields 0xffff when summed over in full. To checksum data in pieces, pass
// each result as the next call's initial value; every piece but the last
// must have even length, or the later bytes land in the wrong half of
// their 16-bit words.
//
// It is on every packet's path, so it adds 32-bit little-endian words into
// four independent 64-bit accumulators (no carry chain between them, so
// the additions run in parallel; 2^32 words would be needed to overflow)
// and folds and swaps bytes at the end: the one's-complement sum does not
// depend on byte order (RFC 1071 section 2(B)), so this equals the
// big-endian sum of 16-bit words.
func Checksum(b []byte, initial uint32) uint16 {
	var s0, s1, s2, s3 uint64
	for len(b) >= 32 {
		s0 += uint64(binary.LittleEndian.Uint32(b[0:4])) + uint64(binary.LittleEndian.Uint32(b[16:20]))
		s1 += uint64(binary.LittleEndian.Uint32(b[4:8])) + uint64(binary.LittleEndian.Uint32(b[20:24]))
		s2 += uint64(binary.LittleEndian.Uint32(b[8:12])) + uint64(binary.LittleEndian.Uint32(b[24:28]))
		s3 += uint64(binary.LittleEndian.Uint32(b[12:16])) + uint64(binary.LittleEndian.Uint32(b[28:32]))
		b = b[32:]
	}
	for len(b) >= 4 {
		s0 += uint64(binary.LittleEndian.Uint32(b))
		b = b[4:]
	}
	if len(b) > 0 {
		// The tail starts at an even offset, so zero padding keeps every
		// byte in its place within its 16-bit word.
		var tail [4]byte
		copy(tail[:], b)
		s1 += uint64(binary.LittleEndian.Uint32(tail[:]))
	}
	sum := s0 + s1 + s2 + s3
	// Fold 64 bits to 16.
	sum = sum&0xffffffff + sum>>32
	sum = sum&0xffff + sum>>16
	sum = sum&0xffff + sum>>16
	sum = sum&0xffff + sum>>16
	// Back to network byte order, then add the caller's big-endian sum.
	sum = uint64(bits.ReverseBytes16(uint16(sum))) + uint64(initial)
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
