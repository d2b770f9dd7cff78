package sys

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"scone/kernel/file"
	"scone/kernel/proc"
)

// statfs and fstatfs describe the file system holding a file (df).
func init() {
	Register(unix.SYS_STATFS, "statfs", func(t *proc.Thread, a Args) (uintptr, error) {
		path, err := pathArg(t, a[0])
		if err != nil {
			return 0, err
		}
		info, err := t.Proc().FS.StatFS(file.Location{}, path)
		if err != nil {
			return 0, err
		}
		return 0, t.Mem().CopyOut(a[1], encodeStatfs(info))
	})
	Register(unix.SYS_FSTATFS, "fstatfs", func(t *proc.Thread, a Args) (uintptr, error) {
		d, err := getFD(t, a[0])
		if err != nil {
			return 0, err
		}
		defer d.DecRef()
		var info file.FSInfo
		if m := d.Location().Mount; m != nil {
			info, err = m.Info()
		} else {
			info, err = anonInfo(d)
		}
		if err != nil {
			return 0, err
		}
		return 0, t.Mem().CopyOut(a[1], encodeStatfs(info))
	})
}

// Linux's statfs f_flags.
const (
	stRdonly = 0x1
	stValid  = 0x20 // f_flags is meaningful
)

// encodeStatfs lays info out as x86-64's struct statfs (120 bytes):
// type, bsize, blocks, bfree, bavail, files, ffree, fsid[2] (int32),
// namelen, frsize, flags, spare[4].
func encodeStatfs(info file.FSInfo) []byte {
	b := make([]byte, 120)
	flags := uint64(stValid)
	if info.ReadOnly {
		flags |= stRdonly
	}
	le := binary.LittleEndian
	for i, v := range []uint64{uint64(info.Magic), uint64(info.BlockSize), info.Blocks, info.FreeBlocks,
		info.AvailBlocks, info.Files, info.FreeFiles} {
		le.PutUint64(b[8*i:], v)
	}
	// fsid (56..63) stays zero, as on Linux for file systems without one.
	le.PutUint64(b[64:], uint64(info.NameMax))
	le.PutUint64(b[72:], uint64(info.BlockSize))
	le.PutUint64(b[80:], flags)
	return b
}

// anonInfo describes the file systems Linux keeps pipes, sockets and
// anonymous files (eventfd, epoll) on, which are mounted nowhere.
func anonInfo(d *file.Description) (file.FSInfo, error) {
	st, err := d.Stat()
	if err != nil {
		return file.FSInfo{}, err
	}
	info := file.FSInfo{Source: "none", BlockSize: 4096, NameMax: 255}
	switch st.Mode & file.S_IFMT {
	case file.S_IFIFO:
		info.Type, info.Magic = "pipefs", 0x50495045 // PIPEFS_MAGIC
	case file.S_IFSOCK:
		info.Type, info.Magic = "sockfs", 0x534f434b // SOCKFS_MAGIC
	default:
		info.Type, info.Magic = "anon_inodefs", 0x09041934 // ANON_INODE_FS_MAGIC
	}
	return info, nil
}
