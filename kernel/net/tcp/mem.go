package tcp

import "sync/atomic"

// PageSize is the unit of Options.Mem and of /proc/net/sockstat's TCP
// mem, as Linux's tcp_mem counts pages.
const PageSize = 4096

// Default memory limits in pages: what Linux's tcp_init_mem sets on a
// machine of 512 MiB, Scone's guest (about a sixteenth of its memory for
// pressure, three quarters of that for the low mark, twice that for the
// hard limit): 24, 32 and 48 MiB.
const (
	defaultMemMin      = 6144
	defaultMemPressure = 8192
	defaultMemMax      = 12288
)

// memPool is the protocol-wide budget of socket buffer memory, Linux's
// tcp_mem: every connection's send and receive rings are charged for the
// capacity they hold. Below min nothing is regulated. Past pressure the
// protocol is under memory pressure until usage falls back to min: rings
// stop growing (windows are confined to the buffers connections already
// have, as Linux clamps rcv_ssthresh and moderates sndbuf) and rings that
// empty give their buffers back. Past max growth is refused: a sender
// blocks on a full ring, and a segment that would need more memory is
// dropped unacknowledged (the peer sends it again; nothing acknowledged is
// ever lost). A ring's first ringMinCap bytes are always granted, as
// Linux guarantees tcp_rmem[0] and tcp_wmem[0] and forces the charge of a
// segment for an empty queue, so every connection can make progress; the
// heap therefore stays within max plus ringMinCap per direction per
// connection.
type memPool struct {
	used              atomic.Int64 // bytes of ring capacity charged
	min, press, limit int64        // thresholds in bytes
	pressure          atomic.Bool
	pressures         atomic.Uint64 // times pressure began (TCPMemoryPressures)
	refused           atomic.Uint64 // growths refused at the hard limit
}

func (m *memPool) setLimits(pages [3]int) {
	m.min, m.press, m.limit = int64(pages[0])*PageSize, int64(pages[1])*PageSize, int64(pages[2])*PageSize
}

// charge takes n bytes for a ring growing to capacity c, and reports
// whether they were granted.
func (m *memPool) charge(n, c int) bool {
	u := m.used.Add(int64(n))
	switch {
	case u <= m.min:
		m.pressure.Store(false)
		return true
	case u > m.limit && c > ringMinCap:
		m.used.Add(-int64(n))
		m.refused.Add(1)
		m.enterPressure()
		return false
	case u > m.press:
		m.enterPressure()
	}
	return true
}

func (m *memPool) enterPressure() {
	if !m.pressure.Swap(true) {
		m.pressures.Add(1)
	}
}

// release gives n bytes back; pressure ends at the low mark.
func (m *memPool) release(n int) {
	if n == 0 {
		return
	}
	if m.used.Add(-int64(n)) <= m.min {
		m.pressure.Store(false)
	}
}

// underPressure reports whether buffers should stop growing.
func (m *memPool) underPressure() bool { return m.pressure.Load() }

// Memory reports the buffer memory TCP holds now (bytes of send and
// receive ring capacity, /proc/net/sockstat's TCP mem), its limits in
// bytes (Options.Mem), and whether it is under memory pressure.
func (p *Protocol) Memory() (used int64, limits [3]int64, pressure bool) {
	m := &p.mem
	return m.used.Load(), [3]int64{m.min, m.press, m.limit}, m.underPressure()
}
