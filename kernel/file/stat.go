package file

import "syscall"

// Stat is what fstat and statx report about a file, in Linux's units.
type Stat struct {
	Dev     uint64 // the file system (major<<8 | minor, Linux's old encoding)
	Ino     uint64
	Mode    uint32 // S_IFMT type | permission bits
	Nlink   uint32
	UID     uint32
	GID     uint32
	Rdev    uint64 // of a device node
	Size    int64
	Blocks  int64 // 512-byte units
	BlkSize int64
	Atime   int64 // nanoseconds since the epoch
	Mtime   int64
	Ctime   int64
}

// File type bits of Stat.Mode (Linux's values).
const (
	S_IFMT   = syscall.S_IFMT
	S_IFSOCK = syscall.S_IFSOCK
	S_IFLNK  = syscall.S_IFLNK
	S_IFREG  = syscall.S_IFREG
	S_IFBLK  = syscall.S_IFBLK
	S_IFDIR  = syscall.S_IFDIR
	S_IFCHR  = syscall.S_IFCHR
	S_IFIFO  = syscall.S_IFIFO
)

// Directory entry types (Linux's DT_ values): a mode's type bits >> 12.
const (
	DT_UNKNOWN = 0
	DT_FIFO    = S_IFIFO >> 12
	DT_CHR     = S_IFCHR >> 12
	DT_DIR     = S_IFDIR >> 12
	DT_BLK     = S_IFBLK >> 12
	DT_REG     = S_IFREG >> 12
	DT_LNK     = S_IFLNK >> 12
	DT_SOCK    = S_IFSOCK >> 12
)

// DirType returns the DT_ code for a mode's file type.
func DirType(mode uint32) uint8 { return uint8(mode & S_IFMT >> 12) }

// Mkdev packs a device number as Linux's new_encode_dev does, so that
// glibc's and musl's major() and minor() decode it.
func Mkdev(major, minor uint32) uint64 {
	return uint64(minor&0xff) | uint64(major&0xfff)<<8 | uint64(minor&^0xff)<<12 | uint64(major&^0xfff)<<32
}
