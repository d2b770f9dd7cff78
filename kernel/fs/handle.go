package fs

import (
	"fmt"
	"math"
	"sync"
	"syscall"

	"scone/kernel/fs/layout"
)

// A Handle is one open reference to a file, what an open file description
// holds. Many handles may share one in-memory inode. Close happens once;
// an operation that races with Close either runs to its end on a file that
// is still there or fails with EBADF, because each operation holds the
// inode for its own duration: the inode is let go (and, unlinked, freed)
// when both Close and the last operation in flight are done.
type Handle struct {
	fs *FS
	ip *inode

	mu     sync.Mutex
	ops    int  // operations in flight
	closed bool // Close has been called
}

// newHandle wraps a reference to ip that the handle takes over.
func (fs *FS) newHandle(ip *inode) *Handle { return &Handle{fs: fs, ip: ip} }

// hold starts an operation on h. A nil h is the root, for the path calls
// (which then start from the root), and holds nothing.
func (h *Handle) hold() (*inode, error) {
	if h == nil {
		return nil, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, syscall.EBADF
	}
	h.ops++
	return h.ip, nil
}

// drop ends an operation started by hold, merging into *err the error of
// freeing the file if this was the last thing holding it.
func (h *Handle) drop(err *error) {
	if h == nil {
		return
	}
	h.mu.Lock()
	h.ops--
	last := h.closed && h.ops == 0
	h.mu.Unlock()
	if last {
		if perr := h.fs.put(h.ip); *err == nil {
			*err = perr
		}
	}
}

// holdBoth holds two handles (for link and rename).
func holdBoth(a, b *Handle) (*inode, *inode, error) {
	ai, err := a.hold()
	if err != nil {
		return nil, nil, err
	}
	bi, err := b.hold()
	if err != nil {
		a.drop(&err)
		return nil, nil, err
	}
	return ai, bi, nil
}

// dropBoth ends holdBoth.
func dropBoth(a, b *Handle, err *error) {
	b.drop(err)
	a.drop(err)
}

// Close lets go of the file; a second Close gives EBADF. Closing the last
// reference to a file with no names frees it (at once, or when the last
// operation in flight on it ends).
func (h *Handle) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return syscall.EBADF
	}
	h.closed = true
	last := h.ops == 0
	h.mu.Unlock()
	if last {
		return h.fs.put(h.ip)
	}
	return nil
}

// Dup returns a second, independent handle on the same file (for a new
// open file description on it, such as a child's working directory).
func (h *Handle) Dup() (*Handle, error) {
	ip, err := h.hold()
	if err != nil {
		return nil, err
	}
	nh := h.fs.newHandle(ip.dup())
	h.drop(&err)
	return nh, err
}

// Ino returns the inode number (valid even after Close).
func (h *Handle) Ino() uint64 { return uint64(h.ip.inum) }

// String names the handle for debugging.
func (h *Handle) String() string { return fmt.Sprintf("inode %d", h.ip.inum) }

// Stat describes the file.
func (h *Handle) Stat() (st Stat, err error) {
	ip, err := h.hold()
	if err != nil {
		return Stat{}, err
	}
	defer h.drop(&err)
	return ip.stat()
}

// Access returns nil if c may access the file for want (access(2),
// chdir's search permission), else EACCES.
func (h *Handle) Access(c Cred, want Access) (err error) {
	ip, err := h.hold()
	if err != nil {
		return err
	}
	defer h.drop(&err)
	return ip.permit(c, want)
}

// ReadAt reads up to len(p) bytes at off; 0 bytes at or past the end.
func (h *Handle) ReadAt(p []byte, off int64) (n int, err error) {
	ip, err := h.hold()
	if err != nil {
		return 0, err
	}
	defer h.drop(&err)
	if off < 0 {
		return 0, syscall.EINVAL
	}
	return ip.read(p, uint64(off))
}

// WriteAt writes p at off, extending the file (a gap reads as zeros). A
// write of more than a transaction's worth (maxWriteBlocks blocks) is
// split into several atomic transactions, as in xv6: a crash may leave a
// prefix of it, never a torn block of file-system metadata.
func (h *Handle) WriteAt(p []byte, off int64) (n int, err error) {
	ip, err := h.hold()
	if err != nil {
		return 0, err
	}
	defer h.drop(&err)
	if off < 0 {
		return 0, syscall.EINVAL
	}
	n, _, err = ip.write(p, uint64(off), false)
	return n, err
}

// Append writes p at the end of the file, atomically with respect to other
// writers, and returns the offset it was written at.
func (h *Handle) Append(p []byte) (n int, off int64, err error) {
	ip, err := h.hold()
	if err != nil {
		return 0, 0, err
	}
	defer h.drop(&err)
	n, uoff, err := ip.write(p, 0, true)
	return n, int64(uoff), err
}

// Truncate sets the size; growing leaves a hole that reads as zeros.
func (h *Handle) Truncate(size int64) (err error) {
	ip, err := h.hold()
	if err != nil {
		return err
	}
	defer h.drop(&err)
	if size < 0 {
		return syscall.EINVAL
	}
	return h.fs.truncate(ip, uint64(size), false, nil)
}

// Chmod sets the permission bits (permission checks are the caller's:
// Stat gives the owner).
func (h *Handle) Chmod(perm uint32) (err error) {
	return h.setAttr(func(ip *inode) bool {
		ip.d.Mode = ip.d.Mode&^layout.PermMask | perm&layout.PermMask
		return true
	})
}

// Chown sets the owner and group (permission checks are the caller's);
// a negative ID keeps the old one, as chown(2)'s -1.
func (h *Handle) Chown(uid, gid int64) error {
	return h.setAttr(func(ip *inode) bool { return setOwner(ip, uid, gid) })
}

// Lchown is Chown of the file at path, not following a final symbolic
// link (lchown(2) changes the link itself).
func (fs *FS) Lchown(c Cred, dir *Handle, path string, uid, gid int64) error {
	return fs.onPath(c, dir, path, false, func(ip *inode) error {
		return fs.changeAttr(ip, func(ip *inode) bool { return setOwner(ip, uid, gid) })
	})
}

// setOwner sets ip's IDs that are not negative. Like Linux's
// chown_common, every chown of a non-directory clears set-user-ID, and
// set-group-ID when group execute is on (without it the bit marks
// mandatory locking), so a chown cannot hand a privileged program over.
func setOwner(ip *inode, uid, gid int64) bool {
	if uid >= 0 {
		ip.d.UID = uint32(uid)
	}
	if gid >= 0 {
		ip.d.GID = uint32(gid)
	}
	if ip.d.Mode&layout.S_IFMT != layout.S_IFDIR {
		ip.d.Mode &^= layout.S_ISUID
		if ip.d.Mode&0o010 != 0 {
			ip.d.Mode &^= layout.S_ISGID
		}
	}
	return true
}

// Special times for Utimens, as utimensat's UTIME_NOW and UTIME_OMIT
// (no real time in nanoseconds is this far before 1970).
const (
	UtimeOmit int64 = math.MinInt64
	UtimeNow  int64 = math.MinInt64 + 1
)

// Utimens sets the times as utimensat does: each is nanoseconds since the
// epoch, UtimeNow or UtimeOmit. atime is not kept, but a change of it
// still changes ctime; with both omitted nothing changes. Permission
// checks are the caller's (any writer may set both to now; other times
// need the owner).
func (h *Handle) Utimens(atime, mtime int64) error {
	if atime == UtimeOmit && mtime == UtimeOmit {
		_, err := h.Stat() // EBADF still
		return err
	}
	return h.setAttr(func(ip *inode) bool {
		switch mtime {
		case UtimeOmit:
		case UtimeNow:
			ip.d.Mtime = h.fs.now()
		default:
			ip.d.Mtime = mtime
		}
		return true
	})
}

// setAttr runs fn on the locked inode in a transaction and stamps ctime.
func (h *Handle) setAttr(fn func(*inode) bool) (err error) {
	ip, err := h.hold()
	if err != nil {
		return err
	}
	defer h.drop(&err)
	return h.fs.changeAttr(ip, fn)
}

// changeAttr runs fn on the locked inode ip in a transaction and, if fn
// changed it, sets ctime and writes the inode.
func (fs *FS) changeAttr(ip *inode, fn func(*inode) bool) error {
	t, err := fs.j.begin()
	if err != nil {
		return err
	}
	if err = ip.lock(); err == nil {
		if fn(ip) {
			ip.d.Ctime = fs.now()
			err = ip.update(t)
		}
		ip.unlock()
	}
	return t.finish(err)
}

// ReadDir calls fn for each entry from offset off (0 for the start; a
// DirEntry's Next to resume) until fn returns false. The directory is
// not locked while fn runs (it may fault copying to user memory, or call
// back into the file system); entries are read a block at a time. The
// offsets are cookies that stay valid while the directory changes: an
// entry present throughout a series of calls is reported exactly once.
func (h *Handle) ReadDir(off uint64, fn func(DirEntry) bool) (err error) {
	ip, err := h.hold()
	if err != nil {
		return err
	}
	defer h.drop(&err)
	return ip.readDir(off, fn)
}

// Lookup finds one name in the directory, without following a symbolic
// link: the step of a path walk the caller does itself (to cross into
// another file system). It checks c's search permission on the directory.
func (h *Handle) Lookup(c Cred, name string) (_ *Handle, err error) {
	dp, err := h.hold()
	if err != nil {
		return nil, err
	}
	defer h.drop(&err)
	switch {
	case name == "":
		return nil, syscall.ENOENT
	case len(name) > layout.MaxNameLen:
		return nil, syscall.ENAMETOOLONG
	}
	for i := range len(name) {
		if name[i] == '/' || name[i] == 0 {
			return nil, syscall.EINVAL
		}
	}
	h.fs.nsMu.RLock()
	inum, _, err := dp.child(c, name)
	h.fs.nsMu.RUnlock()
	if err != nil {
		return nil, err
	}
	return h.fs.newHandle(h.fs.iget(inum)), nil
}
