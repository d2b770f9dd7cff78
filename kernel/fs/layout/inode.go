package layout

import "encoding/binary"

// File types and permission bits, with Linux's values so the system-call
// layer can hand Mode to user space unchanged.
const (
	S_IFMT   = 0o170000
	S_IFSOCK = 0o140000
	S_IFLNK  = 0o120000
	S_IFREG  = 0o100000
	S_IFBLK  = 0o060000
	S_IFDIR  = 0o040000
	S_IFCHR  = 0o020000
	S_IFIFO  = 0o010000
	S_ISUID  = 0o4000
	S_ISGID  = 0o2000
	S_ISVTX  = 0o1000
	PermMask = 0o7777
)

// Dinode is an inode as stored on disk (InodeSize bytes), little-endian:
//
//	0 mode  4 nlink  8 uid  12 gid  16 size (u64)  24 mtime (i64)
//	32 ctime (i64)  40 major  44 minor  48 next orphan  52 flags
//	56 direct[12]  104 indirect  108 double-indirect  112 blocks
//	116..127 reserved
//
// Reserved bytes are written as zero and ignored when read.
type Dinode struct {
	Mode     uint32 // S_IFMT type | permissions; 0 means free
	Nlink    uint32
	UID, GID uint32
	Size     uint64
	Mtime    int64  // nanoseconds since the epoch: contents changed
	Ctime    int64  // nanoseconds since the epoch: inode changed
	Major    uint32 // device nodes only
	Minor    uint32
	// NextOrphan chains the orphan list (0 at its end, and for an inode
	// not on it); only the orphan-list code changes it (NextOrphanOff).
	NextOrphan uint32
	Flags      uint32 // none defined yet; must be 0
	Direct     [NDirect]uint32
	Indirect   uint32 // block of NIndirect pointers
	DIndirect  uint32 // block of pointers to indirect blocks
	Blocks     uint32 // blocks allocated to the file, indirect ones included
}

// NextOrphanOff is the offset of NextOrphan in an encoded inode.
const NextOrphanOff = 48

// Type returns the S_IFMT bits of the mode.
func (d *Dinode) Type() uint32 { return d.Mode & S_IFMT }

// Encode writes d into b[:InodeSize].
func (d *Dinode) Encode(b []byte) {
	le := binary.LittleEndian
	clear(b[:InodeSize])
	le.PutUint32(b[0:], d.Mode)
	le.PutUint32(b[4:], d.Nlink)
	le.PutUint32(b[8:], d.UID)
	le.PutUint32(b[12:], d.GID)
	le.PutUint64(b[16:], d.Size)
	le.PutUint64(b[24:], uint64(d.Mtime))
	le.PutUint64(b[32:], uint64(d.Ctime))
	le.PutUint32(b[40:], d.Major)
	le.PutUint32(b[44:], d.Minor)
	le.PutUint32(b[NextOrphanOff:], d.NextOrphan)
	le.PutUint32(b[52:], d.Flags)
	for i, a := range d.Direct {
		le.PutUint32(b[56+4*i:], a)
	}
	le.PutUint32(b[104:], d.Indirect)
	le.PutUint32(b[108:], d.DIndirect)
	le.PutUint32(b[112:], d.Blocks)
}

// DecodeDinode parses b[:InodeSize]. It checks only what needs no context:
// Check (with the superblock) validates pointers and counts.
func DecodeDinode(b []byte) (Dinode, error) {
	var d Dinode
	if len(b) < InodeSize {
		return d, corrupt("inode: %v", errShort)
	}
	le := binary.LittleEndian
	d.Mode = le.Uint32(b[0:])
	d.Nlink = le.Uint32(b[4:])
	d.UID = le.Uint32(b[8:])
	d.GID = le.Uint32(b[12:])
	d.Size = le.Uint64(b[16:])
	d.Mtime = int64(le.Uint64(b[24:]))
	d.Ctime = int64(le.Uint64(b[32:]))
	d.Major = le.Uint32(b[40:])
	d.Minor = le.Uint32(b[44:])
	d.NextOrphan = le.Uint32(b[NextOrphanOff:])
	d.Flags = le.Uint32(b[52:])
	for i := range d.Direct {
		d.Direct[i] = le.Uint32(b[56+4*i:])
	}
	d.Indirect = le.Uint32(b[104:])
	d.DIndirect = le.Uint32(b[108:])
	d.Blocks = le.Uint32(b[112:])
	return d, nil
}

// Check validates a decoded in-use inode against the superblock: a known
// type, a size the block map can hold, no unknown flags, and block
// pointers inside the data region.
func (d *Dinode) Check(sb *Superblock) error {
	switch d.Type() {
	case S_IFREG, S_IFDIR, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK, S_IFLNK:
	default:
		return corrupt("inode: unknown type %#o", d.Mode)
	}
	if d.Size > MaxFileSize {
		return corrupt("inode: size %d exceeds the maximum %d", d.Size, MaxFileSize)
	}
	if d.Type() == S_IFDIR && d.Size%BlockSize != 0 {
		return corrupt("inode: directory size %d not a whole number of blocks", d.Size)
	}
	if d.NextOrphan >= sb.NInodes || d.NextOrphan == RootInum {
		return corrupt("inode: next orphan %d out of range", d.NextOrphan)
	}
	if d.Flags != 0 {
		return corrupt("inode: unknown flags %#x", d.Flags)
	}
	ptrs := append(d.Direct[:], d.Indirect, d.DIndirect)
	for _, a := range ptrs {
		if !sb.ValidData(a) {
			return corrupt("inode: block pointer %d outside the data region", a)
		}
	}
	return nil
}

// ValidData reports whether a is 0 (no block) or a block of the data region.
func (sb *Superblock) ValidData(a uint32) bool {
	return a == 0 || (a >= sb.DataStart && uint64(a) < sb.NBlocks)
}
