package ipv4

// FragmentSize returns how many payload bytes go in each fragment when a
// datagram with payloadLen bytes of payload leaves through a link of the
// given MTU: every fragment but the last carries a multiple of 8 bytes
// (RFC 791). It returns payloadLen itself when no fragmentation is needed
// and 0 when the MTU is too small to carry any fragment.
func FragmentSize(mtu, payloadLen int) int {
	room := mtu - HeaderLen
	if payloadLen <= room {
		return payloadLen
	}
	return room &^ 7
}

// CopyRange copies n bytes starting at offset off of the concatenation
// a||b into dst. Fragmentation uses it to cut a transport header and its
// payload, passed separately, into fragments without joining them first.
func CopyRange(dst, a, b []byte, off, n int) {
	if off < len(a) {
		k := copy(dst[:n], a[off:])
		dst, n, off = dst[k:], n-k, 0
	} else {
		off -= len(a)
	}
	copy(dst[:n], b[off:])
}
