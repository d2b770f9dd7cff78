package layout

import "encoding/binary"

// The journal has two halves, each a header block and LogBlocks blocks;
// transactions alternate between them. A half's header:
//
//	magic u32 | count u32 | seq u64 | crc u32 | pad u32 | home block u32 x count
//
// crc is the CRC-32C of the count journal blocks that follow the header.
// A header whose crc does not match its blocks is ignored at recovery: the
// transaction either never committed (the crash tore the log) or was already
// installed and a later transaction has begun to reuse the log.
const (
	LogMagic       = 0x4a4c4353 // "SCLJ"
	logHeaderFixed = 24
)

// LogHeader is the decoded journal header.
type LogHeader struct {
	Seq    uint64
	CRC    uint32
	Blocks []uint32 // home locations of journal blocks 0..len-1
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
}

// DecodeLogHeader parses a header. An all-zero block (a fresh file system)
// decodes as an empty header. Home blocks must lie on the disk outside the
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
	for i := range h.Blocks {
		a := le.Uint32(b[logHeaderFixed+4*i:])
		if a == 0 || uint64(a) >= sb.NBlocks || (a >= sb.LogStart && uint64(a) < sb.LogEnd()) {
			return nil, corrupt("journal header: home block %d out of range", a)
		}
		h.Blocks[i] = a
	}
	return h, nil
}
