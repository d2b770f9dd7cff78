package tcp

// seqnum is a TCP sequence number. Sequence space wraps at 2^32, so
// comparisons are made on the signed difference (RFC 9293 section 3.4):
// a is before b when b-a, read as a signed 32-bit number, is positive.
type seqnum uint32

// lt reports whether a comes before b.
func (a seqnum) lt(b seqnum) bool { return int32(a-b) < 0 }

// le reports whether a comes before b or equals it.
func (a seqnum) le(b seqnum) bool { return int32(a-b) <= 0 }

// gt reports whether a comes after b.
func (a seqnum) gt(b seqnum) bool { return int32(a-b) > 0 }

// ge reports whether a comes after b or equals it.
func (a seqnum) ge(b seqnum) bool { return int32(a-b) >= 0 }

// add returns a advanced by n.
func (a seqnum) add(n int) seqnum { return a + seqnum(uint32(n)) }

// inWindow reports whether a lies in [start, start+size).
func (a seqnum) inWindow(start seqnum, size int) bool {
	return uint32(a-start) < uint32(size)
}

// seqMax returns whichever of a and b comes later.
func seqMax(a, b seqnum) seqnum {
	if a.gt(b) {
		return a
	}
	return b
}
