package tcp

// ring is a byte ring buffer that grows on demand up to a limit. Both
// directions of a connection keep their bytes in one: the send side holds
// everything from SND.UNA on (sent but unacknowledged, then unsent); the
// receive side holds bytes not yet read by the application, followed by a
// gap and any out-of-order bytes written at their offset (see rangeSet).
//
// The buffer starts small and doubles, so an idle or short-lived connection
// costs little memory while a bulk transfer settles at its limit and then
// never allocates again.
//
// A ring with a memPool is charged for its capacity: it grows only as far
// as the pool grants, stops growing under memory pressure, and gives its
// buffer back with drop.
type ring struct {
	buf   []byte
	head  int      // index of the first byte
	n     int      // bytes stored from head
	limit int      // capacity never grows past this
	mem   *memPool // charged for len(buf); nil for none
}

const ringMinCap = 4096

// len returns the number of bytes stored.
func (r *ring) len() int { return r.n }

// free returns how many more bytes may be stored: up to the limit, or
// under memory pressure up to the capacity the ring already has (at
// least the ringMinCap always granted).
func (r *ring) free() int { return max(r.room()-r.n, 0) }

func (r *ring) room() int {
	if r.mem != nil && len(r.buf) < r.limit && r.mem.underPressure() {
		return min(max(len(r.buf), ringMinCap), r.limit)
	}
	return r.limit
}

// drop empties the ring and gives its buffer (and the memory charged for
// it) back; the limit stays.
func (r *ring) drop() {
	if r.mem != nil {
		r.mem.release(len(r.buf))
	}
	r.buf, r.head, r.n = nil, 0, 0
}

// rewind moves an empty ring's start to the beginning of the buffer, so that
// later segments are contiguous more often; under memory pressure it gives
// the empty ring's buffer back instead, as Linux reclaims a socket's
// memory when its queue drains. The owner calls it only when no bytes are
// parked beyond len (the receive side's out-of-order data).
func (r *ring) rewind() {
	if r.n == 0 {
		r.head = 0
		if r.mem != nil && r.mem.underPressure() {
			r.drop()
		}
	}
}

// reserve makes the capacity at least want bytes, keeping the contents,
// including bytes written beyond n by writeAt, and reports whether it
// could: the memory pool may refuse. Growth stops at the limit unless
// want itself passes it: a receive window rounded up to its scaling unit
// may promise a few bytes more than the limit.
func (r *ring) reserve(want int) bool {
	if want <= len(r.buf) {
		return true
	}
	c := len(r.buf)
	if c < ringMinCap {
		c = ringMinCap
	}
	for c < want {
		c *= 2
	}
	if c > r.limit {
		c = max(r.limit, want)
	}
	if r.mem != nil && !r.mem.charge(c-len(r.buf), c) {
		// Doubling was refused; exactly what is wanted may still fit.
		if c = want; c == len(r.buf) || !r.mem.charge(c-len(r.buf), c) {
			return false
		}
	}
	nb := make([]byte, c)
	// Copy the whole old buffer in logical order from head so bytes past n
	// (out-of-order data) keep their offsets.
	if len(r.buf) > 0 {
		k := copy(nb, r.buf[r.head:])
		copy(nb[k:], r.buf[:r.head])
	}
	r.buf = nb
	r.head = 0
	return true
}

// writeAt copies p to logical offset off (relative to the first stored byte)
// without changing the stored length, and reports false, copying nothing,
// when the memory pool refuses the room; the caller keeps off+len(p)
// within the window it advertised.
func (r *ring) writeAt(off int, p []byte) bool {
	if !r.reserve(off + len(p)) {
		return false
	}
	i := r.head + off
	if i >= len(r.buf) {
		i -= len(r.buf)
	}
	k := copy(r.buf[i:], p)
	copy(r.buf, p[k:])
	return true
}

// append stores as much of p as the limit and the memory pool allow and
// returns how much.
func (r *ring) append(p []byte) int {
	if f := r.free(); len(p) > f {
		p = p[:f]
	}
	if !r.reserve(r.n + len(p)) {
		p = p[:len(r.buf)-r.n] // what the capacity the ring has takes
	}
	r.writeAt(r.n, p)
	r.n += len(p)
	return len(p)
}

// extend marks k more bytes, already written with writeAt, as stored.
func (r *ring) extend(k int) { r.n += k }

// read copies up to len(p) bytes out, consuming them.
func (r *ring) read(p []byte) int {
	k := r.peek(0, p)
	r.discard(k)
	return k
}

// peek copies up to len(p) bytes starting at logical offset off, without
// consuming them.
func (r *ring) peek(off int, p []byte) int {
	if off >= r.n {
		return 0
	}
	if len(p) > r.n-off {
		p = p[:r.n-off]
	}
	i := r.head + off
	if i >= len(r.buf) {
		i -= len(r.buf)
	}
	k := copy(p, r.buf[i:])
	copy(p[k:], r.buf)
	return len(p)
}

// slice returns the k bytes at logical offset off as one slice when they are
// contiguous in the buffer, or nil when they wrap (the caller then copies
// with peek). off+k must not exceed len.
func (r *ring) slice(off, k int) []byte {
	i := r.head + off
	if i >= len(r.buf) {
		i -= len(r.buf)
	}
	if i+k > len(r.buf) {
		return nil
	}
	return r.buf[i : i+k]
}

// discard drops the first k bytes.
func (r *ring) discard(k int) {
	if k <= 0 {
		return
	}
	r.n -= k
	r.head += k
	if r.head >= len(r.buf) {
		r.head -= len(r.buf)
	}
}
