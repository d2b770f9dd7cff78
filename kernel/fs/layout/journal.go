package layout

import "encoding/binary"

// The journal has two halves, each a header block and LogBlocks blocks;
// transactions alternate between them. A half's header:
//
//	magic u32 | count u32 | seq u64 | crc u32 | hcrc u32 | home block u32 x count
//
// crc is the CRC-32C of the count journal blocks that follow the header,
// hcrc that of the header itself (its first 20 bytes and the home blocks).
// A header whose crc does not match its blocks, or whose hcrc does not
// match itself, is ignored at recovery: the transaction either never
// committed (the crash tore the log, or tore the header: a 4096-byte
// header is eight 512-byte sectors, and a stale list of home blocks with
// a fresh count and crc would send the new blocks to the wrong places) or
// was already installed and a later transaction has begun to reuse the
// log.
const (
	LogMagic       = 0x4a4c4353 // "SCLJ"
	logHeaderFixed = 24
)

// LogHeader is the decoded journal header.
type LogHeader struct {
	Seq    uint64
	CRC    uint32
	Blocks []uint32 // home locations of journal blocks 0..len-1
	Torn   bool     // decoded: hcrc did not match, so Blocks is not to be trusted
}

// headerCRC is the checksum of an encoded header of n home blocks.
func headerCRC(b []byte, n int) uint32 {
	return Checksum(Checksum(0, b[:20]), b[logHeaderFixed:logHeaderFixed+4*n])
}

// Encode writes h into a block.
func (h *LogHeader) Encode(b []byte) {
	le := binary.LittleEndian
	clear(b[:BlockSize])
	le.PutUint32(b[0:], LogMagic)
	le.PutUint32(b[4:], uint32(len(h.Blocks)))
	le.PutUint64(b[8:], h.Seq)
	le.PutUint32(b[16:], h.CRC)
	for i, a := range h.Blocks {
		le.PutUint32(b[logHeaderFixed+4*i:], a)
	}
	le.PutUint32(b[20:], headerCRC(b, len(h.Blocks)))
}

// DecodeLogHeader parses a header. An all-zero block (a fresh file system)
// decodes as an empty header; a header that fails its own checksum as Torn. Home blocks must lie on the disk outside the
// superblock (which nothing rewrites) and the journal, and the count must
// fit the journal.
func DecodeLogHeader(b []byte, sb *Superblock) (*LogHeader, error) {
	if len(b) < BlockSize {
		return nil, corrupt("journal header: %v", errShort)
	}
	le := binary.LittleEndian
	magic := le.Uint32(b[0:])
	if magic == 0 {
		return &LogHeader{}, nil
	}
	if magic != LogMagic {
		return nil, corrupt("journal header: bad magic %#x", magic)
	}
	n := le.Uint32(b[4:])
	if n > sb.LogBlocks || n > MaxLogBlocks {
		return nil, corrupt("journal header: %d blocks, journal holds %d", n, sb.LogBlocks)
	}
	h := &LogHeader{Seq: le.Uint64(b[8:]), CRC: le.Uint32(b[16:]), Blocks: make([]uint32, n)}
	if n > 0 && le.Uint32(b[20:]) != headerCRC(b, int(n)) {
		// Torn: what the home blocks say cannot be trusted, but the
		// transaction never committed, so this is no corruption.
		h.Torn, h.Blocks = true, nil
		return h, nil
	}
	for i := range h.Blocks {
		a := le.Uint32(b[logHeaderFixed+4*i:])
		if a == 0 || uint64(a) >= sb.NBlocks || (a >= sb.LogStart && uint64(a) < sb.LogEnd()) {
			return nil, corrupt("journal header: home block %d out of range", a)
		}
		h.Blocks[i] = a
	}
	return h, nil
}
