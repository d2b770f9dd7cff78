package tcp

// reasm remembers which out-of-order byte ranges have arrived beyond
// RCV.NXT. The bytes themselves are written straight into the receive ring
// at their offset, so reassembly copies each byte once and allocates
// nothing. Memory is bounded twice over: bytes only land inside the
// advertised window (which is free ring space), and at most maxRanges
// separate holes are tracked; a segment that would need more is dropped
// and the sender retransmits it.
type reasm struct {
	ranges [maxRanges]seqRange
	n      int
}

const maxRanges = 32

// seqRange is the half-open sequence range [start, end).
type seqRange struct{ start, end seqnum }

// empty reports whether no out-of-order data is held.
func (q *reasm) empty() bool { return q.n == 0 }

// add records [start, end), merging it with ranges it touches. It reports
// false, recording nothing, when the range would need a new slot and none
// is free.
func (q *reasm) add(start, end seqnum) bool {
	// Find the first range that ends at or after start.
	i := 0
	for i < q.n && q.ranges[i].end.lt(start) {
		i++
	}
	// Merge every range that overlaps or abuts [start, end).
	j := i
	for j < q.n && q.ranges[j].start.le(end) {
		if q.ranges[j].start.lt(start) {
			start = q.ranges[j].start
		}
		if q.ranges[j].end.gt(end) {
			end = q.ranges[j].end
		}
		j++
	}
	merged := j - i
	if merged == 0 {
		if q.n == maxRanges {
			return false
		}
		copy(q.ranges[i+1:q.n+1], q.ranges[i:q.n])
		q.n++
	} else if merged > 1 {
		copy(q.ranges[i+1:], q.ranges[j:q.n])
		q.n -= merged - 1
	}
	q.ranges[i] = seqRange{start, end}
	return true
}

// advance is called when RCV.NXT has moved to nxt. It drops ranges now
// wholly received and returns the new RCV.NXT after absorbing any range
// that starts at or before nxt.
func (q *reasm) advance(nxt seqnum) seqnum {
	k := 0
	for k < q.n && q.ranges[k].start.le(nxt) {
		nxt = seqMax(nxt, q.ranges[k].end)
		k++
	}
	if k > 0 {
		copy(q.ranges[:], q.ranges[k:q.n])
		q.n -= k
	}
	return nxt
}

// reset forgets everything.
func (q *reasm) reset() { q.n = 0 }
