package file

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
	S_IFMT   = 0o170000
	S_IFSOCK = 0o140000
	S_IFLNK  = 0o120000
	S_IFREG  = 0o100000
	S_IFBLK  = 0o060000
	S_IFDIR  = 0o040000
	S_IFCHR  = 0o020000
	S_IFIFO  = 0o010000
)

// Directory entry types (Linux's DT_ values).
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

// DirType returns the DT_ code for a mode's file type.
func DirType(mode uint32) uint8 { return uint8(mode & S_IFMT >> 12) }

// Mkdev packs a device number as Linux's new_encode_dev does, so that
// glibc's and musl's major() and minor() decode it.
func Mkdev(major, minor uint32) uint64 {
	return uint64(minor&0xff) | uint64(major&0xfff)<<8 | uint64(minor&^0xff)<<12 | uint64(major&^0xfff)<<32
}
