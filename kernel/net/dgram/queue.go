// Package dgram holds the bounded receive queue that datagram endpoints
// (UDP sockets, ICMP echo sockets) share: at most Len datagrams wait, the
// oldest is read first, and buffers up to keepCap bytes are reused so a
// steady stream of ordinary datagrams costs no allocation, while a burst of
// 64 KiB datagrams does not leave a socket holding a megabyte for good.
package dgram

import "scone/kernel/net/tcpip"

// Len is how many undelivered datagrams a queue keeps (the MIT lab's 16).
const Len = 16

// keepCap is the largest slot buffer kept for reuse once read.
const keepCap = 4096

// Queue is a ring of datagrams. It is not synchronised: its owner's lock
// guards it.
type Queue struct {
	slots   [Len]slot
	head, n int
}

type slot struct {
	from tcpip.FullAddr
	to   tcpip.Addr
	ttl  uint8 // the IP header's, for IP_RECVTTL
	buf  []byte
}

// Len returns the number of queued datagrams.
func (q *Queue) Len() int { return q.n }

// Bytes returns the payload bytes queued.
func (q *Queue) Bytes() int {
	n := 0
	for i := 0; i < q.n; i++ {
		n += len(q.slots[(q.head+i)%Len].buf)
	}
	return n
}

// Next returns the size of the oldest datagram, 0 if none.
func (q *Queue) Next() int {
	if q.n == 0 {
		return 0
	}
	return len(q.slots[q.head].buf)
}

// Push copies payload in, with the TTL it arrived with, reporting false
// (and keeping nothing) if the queue is full.
func (q *Queue) Push(from tcpip.FullAddr, to tcpip.Addr, ttl uint8, payload []byte) bool {
	if q.n == Len {
		return false
	}
	s := &q.slots[(q.head+q.n)%Len]
	if cap(s.buf) < len(payload) {
		s.buf = make([]byte, len(payload))
	}
	s.buf = s.buf[:len(payload)]
	copy(s.buf, payload)
	s.from, s.to, s.ttl = from, to, ttl
	q.n++
	return true
}

// Pop copies the oldest datagram into b (truncating it, as recvfrom does
// without MSG_TRUNC) and removes it. It reports false if the queue is
// empty.
func (q *Queue) Pop(b []byte) (n int, from tcpip.FullAddr, ok bool) {
	bufs := [1][]byte{b}
	n, _, from, _, ok = q.Read(bufs[:], false)
	return n, from, ok
}

// Read copies the oldest datagram into bufs in order (scatter), cutting
// what does not fit, and returns the bytes copied and the datagram's full
// size, sender and TTL. Unless peek is set (MSG_PEEK) the datagram is removed. It reports
// false if the queue is empty.
func (q *Queue) Read(bufs [][]byte, peek bool) (n, size int, from tcpip.FullAddr, ttl uint8, ok bool) {
	if q.n == 0 {
		return 0, 0, tcpip.FullAddr{}, 0, false
	}
	s := &q.slots[q.head]
	for _, b := range bufs {
		n += copy(b, s.buf[n:])
	}
	size, from, ttl = len(s.buf), s.from, s.ttl
	if peek {
		return n, size, from, ttl, true
	}
	if cap(s.buf) > keepCap {
		s.buf = nil
	}
	q.head = (q.head + 1) % Len
	q.n--
	return n, size, from, ttl, true
}

// Clear drops every queued datagram.
func (q *Queue) Clear() { q.head, q.n = 0, 0 }
