package sys

import (
	"encoding/binary"

	"scone/kernel/file"
)

// Encodings of struct stat, struct statx and struct linux_dirent64 for
// x86-64, as Linux's headers lay them out.

const (
	statSize  = 144
	statxSize = 256
)

// encodeStat fills struct stat (asm/stat.h, x86-64).
func encodeStat(st file.Stat) []byte {
	b := make([]byte, statSize)
	le := binary.LittleEndian
	le.PutUint64(b[0:], st.Dev)
	le.PutUint64(b[8:], st.Ino)
	le.PutUint64(b[16:], uint64(st.Nlink))
	le.PutUint32(b[24:], st.Mode)
	le.PutUint32(b[28:], st.UID)
	le.PutUint32(b[32:], st.GID)
	le.PutUint64(b[40:], st.Rdev)
	le.PutUint64(b[48:], uint64(st.Size))
	le.PutUint64(b[56:], uint64(st.BlkSize))
	le.PutUint64(b[64:], uint64(st.Blocks))
	for i, ns := range []int64{st.Atime, st.Mtime, st.Ctime} {
		le.PutUint64(b[72+16*i:], uint64(ns/1e9))
		le.PutUint64(b[80+16*i:], uint64(ns%1e9))
	}
	return b
}

// statx mask bits.
const (
	statxBasicStats = 0x7ff // type, mode, nlink, uid, gid, times but btime, ino, size, blocks
	statxMntID      = 0x1000
)

// devMajor and devMinor split a Mkdev number as glibc's major and minor do.
func devMajor(d uint64) uint32 { return uint32(d>>8&0xfff | d>>32&^0xfff) }
func devMinor(d uint64) uint32 { return uint32(d&0xff | d>>12&^0xff) }

// encodeStatx fills struct statx (linux/stat.h). Birth time is not kept,
// so STATX_BTIME is never in the mask.
func encodeStatx(st file.Stat) []byte {
	b := make([]byte, statxSize)
	le := binary.LittleEndian
	le.PutUint32(b[0:], statxBasicStats)
	le.PutUint32(b[4:], uint32(st.BlkSize))
	le.PutUint32(b[16:], st.Nlink)
	le.PutUint32(b[20:], st.UID)
	le.PutUint32(b[24:], st.GID)
	le.PutUint16(b[28:], uint16(st.Mode))
	le.PutUint64(b[32:], st.Ino)
	le.PutUint64(b[40:], uint64(st.Size))
	le.PutUint64(b[48:], uint64(st.Blocks))
	// stx_atime 64, stx_btime 80, stx_ctime 96, stx_mtime 112.
	for _, f := range []struct {
		at int
		ns int64
	}{{64, st.Atime}, {96, st.Ctime}, {112, st.Mtime}} {
		le.PutUint64(b[f.at:], uint64(f.ns/1e9))
		le.PutUint32(b[f.at+8:], uint32(f.ns%1e9))
	}
	le.PutUint32(b[128:], devMajor(st.Rdev))
	le.PutUint32(b[132:], devMinor(st.Rdev))
	le.PutUint32(b[136:], devMajor(st.Dev))
	le.PutUint32(b[140:], devMinor(st.Dev))
	return b
}

// direntHeader is the fixed part of struct linux_dirent64: d_ino, d_off,
// d_reclen, d_type.
const direntHeader = 19

// appendDirent adds one struct linux_dirent64, its record padded to 8
// bytes, to b if it fits in max; it reports whether it did.
func appendDirent(b []byte, max int, e file.Dirent) ([]byte, bool) {
	reclen := (direntHeader + len(e.Name) + 1 + 7) &^ 7
	if len(b)+reclen > max {
		return b, false
	}
	rec := make([]byte, reclen)
	le := binary.LittleEndian
	le.PutUint64(rec[0:], e.Ino)
	le.PutUint64(rec[8:], uint64(e.Next))
	le.PutUint16(rec[16:], uint16(reclen))
	rec[18] = e.Type
	copy(rec[19:], e.Name)
	return append(b, rec...), true
}
