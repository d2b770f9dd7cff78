package layout

import (
	"bytes"
	"encoding/binary"
)

// A directory is a file of whole blocks, each block a chain of records:
//
//	inum u32 | recLen u16 | nameLen u8 | ftype u8 | name, padded to 8 bytes
//
// The records of a block exactly cover it. A record with inum 0 is free
// space; a live record whose recLen exceeds its need lends the rest to the
// next insertion. Records never cross a block boundary.
const (
	DirentHeader = 8
	direntAlign  = 8
)

// File type codes stored in a directory record (Linux's DT_ values).
const (
	DT_UNKNOWN = 0
	DT_FIFO    = 1
	DT_CHR     = 2
	DT_DIR     = 4
	DT_BLK     = 6
	DT_REG     = 8
	DT_LNK     = 10
	DT_SOCK    = 12
)

// DTType maps an inode mode to the directory-record type code.
func DTType(mode uint32) uint8 {
	switch mode & S_IFMT {
	case S_IFIFO:
		return DT_FIFO
	case S_IFCHR:
		return DT_CHR
	case S_IFDIR:
		return DT_DIR
	case S_IFBLK:
		return DT_BLK
	case S_IFREG:
		return DT_REG
	case S_IFLNK:
		return DT_LNK
	case S_IFSOCK:
		return DT_SOCK
	}
	return DT_UNKNOWN
}

// Dirent is one decoded directory record. Off is its offset in the block.
type Dirent struct {
	Inum   uint32
	RecLen int
	Type   uint8
	Name   []byte // aliases the block; copy before keeping it
	Off    int
}

// DirentSize is the space a record with an n-byte name needs.
func DirentSize(n int) int { return (DirentHeader + n + direntAlign - 1) &^ (direntAlign - 1) }

// ParseDirBlock decodes every record of a directory block, calling fn for
// each (free ones too) until fn returns false. ninodes bounds inode numbers.
// It fails, without calling fn further, on the first malformed record.
func ParseDirBlock(b []byte, ninodes uint32, fn func(Dirent) bool) error {
	if len(b) < BlockSize {
		return corrupt("directory block: %v", errShort)
	}
	le := binary.LittleEndian
	for off := 0; off < BlockSize; {
		inum := le.Uint32(b[off:])
		recLen := int(le.Uint16(b[off+4:]))
		nameLen := int(b[off+6])
		if recLen < DirentHeader || recLen%direntAlign != 0 || off+recLen > BlockSize {
			return corrupt("directory record at %d: length %d", off, recLen)
		}
		if inum != 0 {
			if inum >= ninodes {
				return corrupt("directory record at %d: inode %d out of range", off, inum)
			}
			if nameLen == 0 || DirentSize(nameLen) > recLen {
				return corrupt("directory record at %d: name length %d in record of %d", off, nameLen, recLen)
			}
			name := b[off+DirentHeader : off+DirentHeader+nameLen]
			if bytes.IndexByte(name, '/') >= 0 || bytes.IndexByte(name, 0) >= 0 {
				return corrupt("directory record at %d: name %q contains '/' or NUL", off, name)
			}
		}
		d := Dirent{Inum: inum, RecLen: recLen, Type: b[off+7], Off: off}
		if inum != 0 {
			d.Name = b[off+DirentHeader : off+DirentHeader+nameLen]
		}
		if !fn(d) {
			return nil
		}
		off += recLen
	}
	return nil
}

// PutDirent writes a record at off. name may be empty only for free space.
func PutDirent(b []byte, off int, inum uint32, recLen int, typ uint8, name string) {
	le := binary.LittleEndian
	le.PutUint32(b[off:], inum)
	le.PutUint16(b[off+4:], uint16(recLen))
	b[off+6] = uint8(len(name))
	b[off+7] = typ
	copy(b[off+DirentHeader:], name)
	// Zero the padding and any stale tail so old names never leak.
	clear(b[off+DirentHeader+len(name) : off+max(recLen, DirentSize(len(name)))])
}

// InitDirBlock makes b one empty directory block: a single free record.
func InitDirBlock(b []byte) {
	clear(b[:BlockSize])
	PutDirent(b, 0, 0, BlockSize, 0, "")
}
