package tcp

// rangeSet is a bounded, sorted set of disjoint sequence ranges. The
// receive side uses one to remember which out-of-order ranges have arrived
// beyond RCV.NXT: the bytes themselves are written straight into the
// receive ring at their offset, so reassembly copies each byte once and
// allocates nothing, and memory is bounded twice over: bytes only land
// inside the window (free ring space), and at most maxRanges separate
// ranges are tracked (a segment that would need more is dropped and the
// sender retransmits it). The send side uses another as its SACK
// scoreboard: what the peer has reported holding above SND.UNA.
type rangeSet struct {
	ranges [maxRanges]seqRange
	n      int
}

const maxRanges = 32

// seqRange is the half-open sequence range [start, end).
type seqRange struct{ start, end seqnum }

// empty reports whether the set is empty.
func (q *rangeSet) empty() bool { return q.n == 0 }

// add records [start, end), merging it with ranges it touches. It reports
// false, recording nothing, when the range would need a new slot and none
// is free.
func (q *rangeSet) add(start, end seqnum) bool {
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
func (q *rangeSet) advance(nxt seqnum) seqnum {
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
func (q *rangeSet) reset() { q.n = 0 }

// trimBelow removes everything before s.
func (q *rangeSet) trimBelow(s seqnum) {
	k := 0
	for k < q.n && q.ranges[k].end.le(s) {
		k++
	}
	if k > 0 {
		copy(q.ranges[:], q.ranges[k:q.n])
		q.n -= k
	}
	if q.n > 0 && q.ranges[0].start.lt(s) {
		q.ranges[0].start = s
	}
}

// high returns the end of the highest range; the set must not be empty.
func (q *rangeSet) high() seqnum { return q.ranges[q.n-1].end }

// covered returns how many bytes of [a, b) the set holds.
func (q *rangeSet) covered(a, b seqnum) int {
	n := 0
	for i := 0; i < q.n; i++ {
		r := q.ranges[i]
		if r.start.ge(b) {
			break
		}
		lo, hi := seqMax(r.start, a), r.end
		if hi.gt(b) {
			hi = b
		}
		if hi.gt(lo) {
			n += int(hi - lo)
		}
	}
	return n
}

// nextHole returns the first range of sequence space at or after from and
// before limit that the set does not hold.
func (q *rangeSet) nextHole(from, limit seqnum) (start, end seqnum, ok bool) {
	for i := 0; i < q.n && from.lt(limit); i++ {
		r := q.ranges[i]
		if r.end.le(from) {
			continue
		}
		if r.start.gt(from) {
			return from, minSeq(r.start, limit), true
		}
		from = r.end
	}
	if from.lt(limit) {
		return from, limit, true
	}
	return 0, 0, false
}

func minSeq(a, b seqnum) seqnum {
	if a.lt(b) {
		return a
	}
	return b
}
