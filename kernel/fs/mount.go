package fs

import (
	"fmt"
	"strings"
	"syscall"

	"scone/kernel/fs/layout"
)

// Mount points let other file systems (devfs, procfs) join the tree. The
// process layer marks a directory of this file system with SetMountpoint;
// a path walk that steps onto it stops there and reports the rest of the
// path in a *MountError, for the caller to resolve in the file system
// mounted on it. Going back up out of a mounted file system is the
// caller's business too: ".." of its root is the mount point's "..",
// which Lookup(c, mountpoint, "../rest") resolves here.

// A MountError reports that a path walk reached a mount point.
type MountError struct {
	Ino  uint64 // the directory mounted on
	Rest string // what remains of the path ("" if it ended there; "/" if it ended in "/")
}

func (e *MountError) Error() string {
	return fmt.Sprintf("fs: path crosses the mount point on inode %d (rest %q)", e.Ino, e.Rest)
}

// SetMountpoint marks (on) or unmarks the directory h as a mount point.
// The mark lives in memory only. The root cannot be a mount point of
// this file system (EBUSY), and only a directory can (ENOTDIR).
func (fs *FS) SetMountpoint(h *Handle, on bool) (err error) {
	ip, err := h.hold()
	if err != nil {
		return err
	}
	defer h.drop(&err)
	st, err := ip.stat()
	if err != nil {
		return err
	}
	switch {
	case st.Mode&layout.S_IFMT != layout.S_IFDIR:
		return syscall.ENOTDIR
	case ip.inum == layout.RootInum:
		return syscall.EBUSY
	}
	fs.nsMu.Lock() // walks read the marks under nsMu
	defer fs.nsMu.Unlock()
	switch {
	case on && fs.mounts[ip.inum] != nil:
		return syscall.EBUSY
	case on:
		fs.mounts[ip.inum] = ip.dup() // a mount point stays in memory
	case fs.mounts[ip.inum] == nil:
		return syscall.EINVAL
	default:
		mp := fs.mounts[ip.inum]
		delete(fs.mounts, ip.inum)
		defer fs.put(mp) // linked, or freed after nsMu
	}
	return nil
}

// mounted reports whether inum is a mount point. Called under nsMu.
func (fs *FS) mounted(inum uint32) bool { return fs.mounts[inum] != nil }

// crossing is the error for a walk that reached mount point inum with
// comps left.
func crossing(inum uint32, comps []string, mustDir bool) error {
	rest := strings.Join(comps, "/")
	if mustDir {
		rest += "/"
	}
	return &MountError{Ino: uint64(inum), Rest: rest}
}
