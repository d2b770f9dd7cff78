package tcp

import (
	"encoding/binary"
	"errors"

	"scone/kernel/net/tcpip"
)

// Header flags (RFC 9293 section 3.1).
const (
	flagFIN = 1 << 0
	flagSYN = 1 << 1
	flagRST = 1 << 2
	flagPSH = 1 << 3
	flagACK = 1 << 4
	flagURG = 1 << 5
)

// Option kinds understood by Scone. Every other kind is skipped by its length.
const (
	optEOL      = 0
	optNOP      = 1
	optMSS      = 2
	optWndScale = 3
	optSACKOK   = 4 // SACK permitted (RFC 2018)
	optSACK     = 5
	optTS       = 8 // timestamps (RFC 7323 section 3)
)

// Sizes and limits.
const (
	headerLen    = 20  // fixed part of the header
	maxHeaderLen = 60  // data offset is a 4-bit count of 32-bit words
	maxSACK      = 4   // SACK blocks that fit in 40 bytes of options without timestamps
	maxSACKTS    = 3   // and beside the timestamps option
	tsOptLen     = 12  // the timestamps option with the two NOPs that align it
	maxWndScale  = 14  // RFC 7323 section 2.3
	defaultMSS   = 536 // assumed when a SYN carries no MSS option (RFC 9293 section 3.7.1)
)

// errShort is parse's only error; it is counted, never returned to a socket.
var errShort = errors.New("tcp: segment shorter than its header")

// segment is a parsed incoming segment. data aliases the caller's buffer,
// which HandlePacket borrows only for the duration of the call.
type segment struct {
	srcPort, dstPort uint16
	seq, ack         seqnum
	flags            uint8
	wnd              uint16 // raw window field, not yet scaled
	up               uint16 // urgent pointer, meaningful with URG
	data             []byte

	// Options. MSS, window scale and SACK-permitted count on SYNs only.
	mss      uint16 // 0 when absent
	wndScale int    // -1 when absent
	sackOK   bool
	sack     [maxSACK]seqRange // SACK blocks, as sent (not yet validated)
	nsack    int
	ts       bool   // a timestamps option is present
	tsVal    uint32 // its TSval
	tsEcr    uint32 // and TSecr
}

// seqLen is the sequence space the segment occupies: its data plus one for
// each of SYN and FIN.
func (s *segment) seqLen() int {
	n := len(s.data)
	if s.flags&flagSYN != 0 {
		n++
	}
	if s.flags&flagFIN != 0 {
		n++
	}
	return n
}

// parse decodes b into s. It checks lengths but not the checksum.
// A malformed option ends option parsing, as Linux does: the rest of the
// header is ignored but the segment itself is still valid.
func (s *segment) parse(b []byte) error {
	if len(b) < headerLen {
		return errShort
	}
	off := int(b[12]>>4) * 4
	if off < headerLen || off > len(b) {
		return errShort
	}
	s.srcPort = binary.BigEndian.Uint16(b[0:])
	s.dstPort = binary.BigEndian.Uint16(b[2:])
	s.seq = seqnum(binary.BigEndian.Uint32(b[4:]))
	s.ack = seqnum(binary.BigEndian.Uint32(b[8:]))
	s.flags = b[13] & 0x3f
	s.wnd = binary.BigEndian.Uint16(b[14:])
	s.up = binary.BigEndian.Uint16(b[18:])
	s.data = b[off:]
	s.mss = 0
	s.wndScale = -1
	s.sackOK = false
	s.nsack = 0
	s.ts = false
	s.parseOptions(b[headerLen:off])
	return nil
}

func (s *segment) parseOptions(o []byte) {
	for len(o) > 0 {
		kind := o[0]
		if kind == optEOL {
			return
		}
		if kind == optNOP {
			o = o[1:]
			continue
		}
		if len(o) < 2 || int(o[1]) < 2 || int(o[1]) > len(o) {
			return // illegal length: ignore the rest
		}
		n := int(o[1])
		switch {
		case kind == optMSS && n == 4:
			s.mss = binary.BigEndian.Uint16(o[2:])
		case kind == optWndScale && n == 3:
			s.wndScale = int(o[2])
			if s.wndScale > maxWndScale {
				s.wndScale = maxWndScale // RFC 7323: log and use 14
			}
		case kind == optSACKOK && n == 2:
			s.sackOK = true
		case kind == optTS && n == 10:
			s.ts, s.tsVal, s.tsEcr = true, binary.BigEndian.Uint32(o[2:]), binary.BigEndian.Uint32(o[6:])
		case kind == optSACK && n >= 10 && (n-2)%8 == 0:
			for b := o[2:n]; len(b) >= 8 && s.nsack < maxSACK; b = b[8:] {
				s.sack[s.nsack] = seqRange{
					seqnum(binary.BigEndian.Uint32(b)),
					seqnum(binary.BigEndian.Uint32(b[4:])),
				}
				s.nsack++
			}
		}
		o = o[n:]
	}
}

// checksumOK verifies the TCP checksum of b, received from src to dst.
func checksumOK(src, dst tcpip.Addr, b []byte) bool {
	return tcpip.Checksum(b, tcpip.PseudoHeaderSum(src, dst, tcpip.ProtoTCP, len(b))) == 0xffff
}

// outSegment describes a segment to build.
type outSegment struct {
	srcPort, dstPort uint16
	seq, ack         seqnum
	flags            uint8
	wnd              uint16
	mss              uint16     // emit an MSS option when non-zero (SYN only)
	wndScale         int        // emit a window-scale option when >= 0 (SYN only)
	sackOK           bool       // emit SACK-permitted (SYN only)
	sack             []seqRange // SACK blocks to report, at most maxSACK (maxSACKTS with ts)
	ts               bool       // emit a timestamps option: tsVal, tsEcr
	tsVal, tsEcr     uint32
	up               uint16 // urgent pointer, with URG (Scone sends none; tests do)
	partial          bool   // the device completes the checksum: write the pseudo-header's sum only
}

// build writes the header for o into buf (at least maxHeaderLen bytes),
// checksummed over the header and payload, and returns the header slice.
func (o *outSegment) build(buf []byte, src, dst tcpip.Addr, payload []byte) []byte {
	n := headerLen
	if o.mss != 0 {
		buf[n], buf[n+1] = optMSS, 4
		binary.BigEndian.PutUint16(buf[n+2:], o.mss)
		n += 4
	}
	if o.wndScale >= 0 {
		buf[n], buf[n+1], buf[n+2], buf[n+3] = optNOP, optWndScale, 3, byte(o.wndScale)
		n += 4
	}
	if o.sackOK {
		buf[n], buf[n+1], buf[n+2], buf[n+3] = optNOP, optNOP, optSACKOK, 2
		n += 4
	}
	if o.ts {
		buf[n], buf[n+1], buf[n+2], buf[n+3] = optNOP, optNOP, optTS, 10
		binary.BigEndian.PutUint32(buf[n+4:], o.tsVal)
		binary.BigEndian.PutUint32(buf[n+8:], o.tsEcr)
		n += tsOptLen
	}
	lim := maxSACK
	if o.ts {
		lim = maxSACKTS
	}
	if k := min(len(o.sack), lim); k > 0 {
		buf[n], buf[n+1], buf[n+2], buf[n+3] = optNOP, optNOP, optSACK, byte(2+8*k)
		n += 4
		for _, r := range o.sack[:k] {
			binary.BigEndian.PutUint32(buf[n:], uint32(r.start))
			binary.BigEndian.PutUint32(buf[n+4:], uint32(r.end))
			n += 8
		}
	}
	h := buf[:n]
	binary.BigEndian.PutUint16(h[0:], o.srcPort)
	binary.BigEndian.PutUint16(h[2:], o.dstPort)
	binary.BigEndian.PutUint32(h[4:], uint32(o.seq))
	binary.BigEndian.PutUint32(h[8:], uint32(o.ack))
	h[12] = byte(n/4) << 4
	h[13] = o.flags
	binary.BigEndian.PutUint16(h[14:], o.wnd)
	h[16], h[17] = 0, 0 // checksum, computed below
	binary.BigEndian.PutUint16(h[18:], o.up)
	if o.partial {
		binary.BigEndian.PutUint16(h[16:], tcpip.PartialChecksum(src, dst, tcpip.ProtoTCP, n+len(payload)))
		return h
	}
	sum := tcpip.PseudoHeaderSum(src, dst, tcpip.ProtoTCP, n+len(payload))
	sum = uint32(tcpip.Checksum(h, sum))
	binary.BigEndian.PutUint16(h[16:], ^tcpip.Checksum(payload, sum))
	return h
}
