// Package layout defines Scone's on-disk file-system format: the
// superblock, inodes, directory entries and the journal header, with
// encoders and validating decoders. Every decoder treats its input as
// untrusted: a corrupt block yields an error, never a panic.
//
// The disk is an array of 4 KiB blocks:
//
//	block 0                    superblock (never rewritten after mkfs)
//	OrphanStart (1)            orphan block: the head of the orphan list
//	LogStart                   journal half 0: a header, then LogBlocks blocks
//	LogStart+LogBlocks+1       journal half 1: a header, then LogBlocks blocks
//	InodeBitmapStart           one bit per inode (1 = in use)
//	BlockBitmapStart           one bit per block of the whole disk (1 = in use)
//	InodeStart                 the inode table, InodesPerBlock inodes a block
//	DataStart ... NBlocks-1    data: file contents, directories, indirect blocks
package layout

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"syscall"
)

// Geometry of the format.
const (
	BlockSize      = 4096
	Magic          = 0x53434653 // "SCFS" read as a little-endian word
	Version        = 1
	InodeSize      = 128
	InodesPerBlock = BlockSize / InodeSize
	BitsPerBlock   = BlockSize * 8
	NDirect        = 12            // direct block pointers in an inode
	NIndirect      = BlockSize / 4 // pointers in an indirect block
	RootInum       = 1             // inode number of "/"; 0 means "none"
	MaxNameLen     = 255           // bytes in one path component
	MaxFileBlocks  = NDirect + NIndirect + NIndirect*NIndirect
	MaxFileSize    = uint64(MaxFileBlocks) * BlockSize // a little over 4 GiB
	MaxLogBlocks   = (BlockSize - logHeaderFixed) / 4  // limited by the header
)

// ErrCorrupt is wrapped by every decoding error. It is EUCLEAN, Linux's
// "structure needs cleaning", so errors.Is(err, syscall.EUCLEAN) holds.
var ErrCorrupt = syscall.EUCLEAN

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum is the CRC-32C used by the superblock and the journal.
func Checksum(crc uint32, b []byte) uint32 { return crc32.Update(crc, castagnoli, b) }

// Superblock describes where everything is. It lives in block 0 and is
// written once, by mkfs.
type Superblock struct {
	NBlocks           uint64 // total blocks, including the metadata
	NInodes           uint32 // inode numbers run from 0 (reserved) to NInodes-1
	OrphanStart       uint32 // the orphan table block
	LogStart          uint32 // header of the first journal half
	LogBlocks         uint32 // journal blocks in each half, after its header
	InodeBitmapStart  uint32
	InodeBitmapBlocks uint32
	BlockBitmapStart  uint32
	BlockBitmapBlocks uint32
	InodeStart        uint32
	InodeBlocks       uint32
	DataStart         uint32
	MkfsTime          int64 // nanoseconds since the Unix epoch
}

const sbCRCOffset = 124

// Encode writes sb into the first bytes of a block, with its checksum.
func (sb *Superblock) Encode(b []byte) {
	clear(b[:BlockSize])
	le := binary.LittleEndian
	le.PutUint32(b[0:], Magic)
	le.PutUint32(b[4:], Version)
	le.PutUint32(b[8:], BlockSize)
	le.PutUint64(b[16:], sb.NBlocks)
	le.PutUint32(b[24:], sb.NInodes)
	le.PutUint32(b[28:], sb.LogStart)
	le.PutUint32(b[32:], sb.LogBlocks)
	le.PutUint32(b[36:], sb.InodeBitmapStart)
	le.PutUint32(b[40:], sb.InodeBitmapBlocks)
	le.PutUint32(b[44:], sb.BlockBitmapStart)
	le.PutUint32(b[48:], sb.BlockBitmapBlocks)
	le.PutUint32(b[52:], sb.InodeStart)
	le.PutUint32(b[56:], sb.InodeBlocks)
	le.PutUint32(b[60:], sb.DataStart)
	le.PutUint32(b[64:], sb.OrphanStart)
	le.PutUint64(b[72:], uint64(sb.MkfsTime))
	le.PutUint32(b[sbCRCOffset:], Checksum(0, b[:sbCRCOffset]))
}

// DecodeSuperblock parses and validates block 0.
func DecodeSuperblock(b []byte) (*Superblock, error) {
	if len(b) < BlockSize {
		return nil, corrupt("superblock: short block (%d bytes)", len(b))
	}
	le := binary.LittleEndian
	if m := le.Uint32(b[0:]); m != Magic {
		return nil, corrupt("superblock: bad magic %#x (not a Scone file system)", m)
	}
	if v := le.Uint32(b[4:]); v != Version {
		return nil, corrupt("superblock: unsupported version %d (want %d)", v, Version)
	}
	if bs := le.Uint32(b[8:]); bs != BlockSize {
		return nil, corrupt("superblock: block size %d (want %d)", bs, BlockSize)
	}
	if got, want := le.Uint32(b[sbCRCOffset:]), Checksum(0, b[:sbCRCOffset]); got != want {
		return nil, corrupt("superblock: checksum %#x, computed %#x", got, want)
	}
	sb := &Superblock{
		NBlocks:           le.Uint64(b[16:]),
		NInodes:           le.Uint32(b[24:]),
		LogStart:          le.Uint32(b[28:]),
		LogBlocks:         le.Uint32(b[32:]),
		InodeBitmapStart:  le.Uint32(b[36:]),
		InodeBitmapBlocks: le.Uint32(b[40:]),
		BlockBitmapStart:  le.Uint32(b[44:]),
		BlockBitmapBlocks: le.Uint32(b[48:]),
		InodeStart:        le.Uint32(b[52:]),
		InodeBlocks:       le.Uint32(b[56:]),
		DataStart:         le.Uint32(b[60:]),
		OrphanStart:       le.Uint32(b[64:]),
		MkfsTime:          int64(le.Uint64(b[72:])),
	}
	if err := sb.Validate(); err != nil {
		return nil, err
	}
	return sb, nil
}

// Validate checks that the regions are in order, do not overlap, fit on
// the disk and are large enough for the counts they serve.
func (sb *Superblock) Validate() error {
	if sb.NBlocks > 1<<32-1 {
		return corrupt("superblock: %d blocks exceeds 32-bit block numbers", sb.NBlocks)
	}
	if sb.NInodes < 2 {
		return corrupt("superblock: %d inodes", sb.NInodes)
	}
	type region struct {
		name       string
		start, len uint32
	}
	regions := []region{
		{"orphan block", sb.OrphanStart, 1},
		{"journal", sb.LogStart, 2 * (sb.LogBlocks + 1)},
		{"inode bitmap", sb.InodeBitmapStart, sb.InodeBitmapBlocks},
		{"block bitmap", sb.BlockBitmapStart, sb.BlockBitmapBlocks},
		{"inode table", sb.InodeStart, sb.InodeBlocks},
	}
	next := uint64(1)
	for _, r := range regions {
		if r.len == 0 || uint64(r.start) != next {
			return corrupt("superblock: %s at %d+%d, expected to start at %d", r.name, r.start, r.len, next)
		}
		next += uint64(r.len)
	}
	if uint64(sb.DataStart) != next || next >= sb.NBlocks {
		return corrupt("superblock: data starts at %d, expected %d (of %d blocks)", sb.DataStart, next, sb.NBlocks)
	}
	if sb.LogBlocks < MaxOpBlocks || sb.LogBlocks > MaxLogBlocks {
		return corrupt("superblock: %d journal blocks (want %d..%d)", sb.LogBlocks, MaxOpBlocks, MaxLogBlocks)
	}
	if uint64(sb.InodeBitmapBlocks)*BitsPerBlock < uint64(sb.NInodes) ||
		uint64(sb.InodeBlocks)*InodesPerBlock < uint64(sb.NInodes) ||
		uint64(sb.BlockBitmapBlocks)*BitsPerBlock < sb.NBlocks {
		return corrupt("superblock: bitmaps or inode table too small for %d inodes, %d blocks", sb.NInodes, sb.NBlocks)
	}
	return nil
}

// LogHeader returns the header block of journal half h (0 or 1); the
// half's blocks follow it.
func (sb *Superblock) LogHeader(h int) uint64 {
	return uint64(sb.LogStart) + uint64(h)*(uint64(sb.LogBlocks)+1)
}

// LogEnd returns the first block after the journal.
func (sb *Superblock) LogEnd() uint64 { return sb.LogHeader(2) }

// InodeBlock returns the block holding inode inum and its byte offset there.
func (sb *Superblock) InodeBlock(inum uint32) (uint64, int) {
	return uint64(sb.InodeStart) + uint64(inum/InodesPerBlock), int(inum%InodesPerBlock) * InodeSize
}

// MaxOpBlocks bounds the distinct blocks one file-system operation may log.
// It is part of the format because the journal must hold at least one
// operation; every operation is written to stay inside it.
const MaxOpBlocks = 128

// The orphan list holds the inodes whose blocks must still be freed:
// files unlinked while open and files mid-way through a truncation of
// several transactions. As in ext4 it is chained through the inodes
// themselves (Dinode.NextOrphan), so it has no limit of its own; the
// orphan block holds only the number of the first inode, and the rest of
// the block is zero.

// DecodeOrphanHead parses the orphan block and returns the first inode of
// the orphan list (0 for none).
func DecodeOrphanHead(b []byte, ninodes uint32) (uint32, error) {
	if len(b) < BlockSize {
		return 0, corrupt("orphan block: %v", errShort)
	}
	head := binary.LittleEndian.Uint32(b)
	if head >= ninodes || head == RootInum {
		return 0, corrupt("orphan block: list head is inode %d", head)
	}
	for i, c := range b[4:BlockSize] {
		if c != 0 {
			return 0, corrupt("orphan block: byte %d is %#x, not 0 (a table of an older format?)", 4+i, c)
		}
	}
	return head, nil
}

// PutOrphanHead sets the first inode of the orphan list in the orphan block.
func PutOrphanHead(b []byte, inum uint32) { binary.LittleEndian.PutUint32(b, inum) }

// errShort is returned by decoders given fewer bytes than a record needs.
var errShort = errors.New("short buffer")
