package fs

import (
	"fmt"
	"strings"
	"syscall"

	"scone/kernel/fs/layout"
)

// This file is the interface the process layer builds system calls on.
// Paths are resolved from dir, a directory handle (a cwd or an openat
// dirfd); nil or an absolute path starts at the root. Errors match
// syscall.Errno values with errors.Is (most are bare Errnos).

// Stat is what stat(2) reports, in Linux's units.
type Stat struct {
	Ino          uint64
	Mode         uint32 // S_IFMT type bits | permissions
	Nlink        uint32
	UID, GID     uint32
	Major, Minor uint32 // of a device node (st_rdev)
	Size         int64
	Blocks       int64 // 512-byte units allocated, indirect blocks included
	BlkSize      int64
	Mtime, Ctime int64 // nanoseconds since the epoch; atime is not kept
}

// DirEntry is one directory record, as getdents64 reports it.
type DirEntry struct {
	Name string
	Ino  uint64
	Type uint8  // layout.DT_* code
	Next uint64 // offset to resume reading after this entry
}

// Root returns a handle on the root directory.
func (fs *FS) Root() *Inode { return fs.iget(layout.RootInum) }

// Lookup returns a handle on the file at path.
// A symbolic link as the last component is followed.
func (fs *FS) Lookup(dir *Inode, path string) (*Inode, error) { return fs.resolve(dir, path, true) }

// Open flags understood by Open (Linux values).
const (
	O_ACCMODE   = syscall.O_ACCMODE
	O_RDONLY    = syscall.O_RDONLY
	O_CREAT     = syscall.O_CREAT
	O_EXCL      = syscall.O_EXCL
	O_TRUNC     = syscall.O_TRUNC
	O_DIRECTORY = syscall.O_DIRECTORY
	O_NOFOLLOW  = syscall.O_NOFOLLOW
)

// Open returns a handle on path, creating a regular file with permissions
// perm under O_CREAT and emptying it under O_TRUNC. Access-mode checks that
// need credentials are the caller's; Open refuses to open a directory for
// writing (EISDIR) and a non-directory under O_DIRECTORY (ENOTDIR).
func (fs *FS) Open(dir *Inode, path string, flags int, perm uint32) (*Inode, error) {
	if flags&O_CREAT != 0 && strings.HasSuffix(path, "/") {
		return nil, syscall.EISDIR // O_CREAT makes regular files only
	}
	var ip *Inode
	var err error
	excl := flags&O_CREAT != 0 && flags&O_EXCL != 0
	if !excl {
		ip, err = fs.resolve(dir, path, flags&O_NOFOLLOW == 0)
	}
	if excl || err == syscall.ENOENT && flags&O_CREAT != 0 {
		ip, _, err = fs.create(dir, path, layout.S_IFREG|perm&layout.PermMask, 0, 0, excl, "")
	}
	if err != nil {
		return nil, err
	}
	st, err := ip.Stat()
	if err == nil {
		isDir := st.Mode&layout.S_IFMT == layout.S_IFDIR
		switch {
		case st.Mode&layout.S_IFMT == layout.S_IFLNK:
			err = syscall.ELOOP // O_NOFOLLOW on a symbolic link
		case isDir && flags&O_ACCMODE != O_RDONLY:
			err = syscall.EISDIR
		case isDir && flags&O_CREAT != 0:
			err = syscall.EISDIR
		case !isDir && flags&O_DIRECTORY != 0:
			err = syscall.ENOTDIR
		case flags&O_TRUNC != 0 && st.Mode&layout.S_IFMT == layout.S_IFREG && st.Size > 0:
			err = fs.truncate(ip, 0, false, nil)
		}
	}
	if err != nil {
		ip.Close()
		return nil, err
	}
	return ip, nil
}

// Mkdir makes a directory.
func (fs *FS) Mkdir(dir *Inode, path string, perm uint32) error {
	ip, _, err := fs.create(dir, path, layout.S_IFDIR|perm&layout.PermMask, 0, 0, true, "")
	if err != nil {
		return err
	}
	return ip.Close()
}

// Mknod makes a device node, FIFO or socket; mode carries the type.
func (fs *FS) Mknod(dir *Inode, path string, mode, major, minor uint32) error {
	switch mode & layout.S_IFMT {
	case layout.S_IFCHR, layout.S_IFBLK, layout.S_IFIFO, layout.S_IFSOCK:
	case 0, layout.S_IFREG:
		mode = layout.S_IFREG | mode&layout.PermMask
	default:
		return syscall.EINVAL
	}
	ip, _, err := fs.create(dir, path, mode, major, minor, true, "")
	if err != nil {
		return err
	}
	return ip.Close()
}

// Symlink makes path a symbolic link to target (which need not exist).
func (fs *FS) Symlink(target string, dir *Inode, path string) error {
	if target == "" {
		return syscall.ENOENT
	}
	if len(target) >= MaxPathLen {
		return syscall.ENAMETOOLONG
	}
	ip, err := fs.createLink(dir, path, target)
	if err != nil {
		return err
	}
	return ip.Close()
}

// Readlink returns the target of the symbolic link at path.
func (fs *FS) Readlink(dir *Inode, path string) (string, error) {
	ip, err := fs.resolve(dir, path, false)
	if err != nil {
		return "", err
	}
	defer ip.Close()
	target, isLink, err := ip.readlink()
	if err == nil && !isLink {
		err = syscall.EINVAL
	}
	return target, err
}

// Lstat describes the file at path without following a final symbolic link.
func (fs *FS) Lstat(dir *Inode, path string) (Stat, error) {
	ip, err := fs.resolve(dir, path, false)
	if err != nil {
		return Stat{}, err
	}
	defer ip.Close()
	return ip.Stat()
}

// Unlink removes a name that is not a directory. The file itself goes
// when its last name and last handle are gone.
func (fs *FS) Unlink(dir *Inode, path string) error { return fs.unlink(dir, path, false) }

// Rmdir removes an empty directory.
func (fs *FS) Rmdir(dir *Inode, path string) error { return fs.unlink(dir, path, true) }

// Link makes newpath another name for the file at oldpath.
func (fs *FS) Link(odir *Inode, oldpath string, ndir *Inode, newpath string) error {
	return fs.link(odir, oldpath, ndir, newpath)
}

// Rename atomically moves oldpath to newpath, replacing newpath.
func (fs *FS) Rename(odir *Inode, oldpath string, ndir *Inode, newpath string) error {
	return fs.rename(odir, oldpath, ndir, newpath)
}

// Truncate sets the size of the file at path.
func (fs *FS) Truncate(dir *Inode, path string, size int64) error {
	ip, err := fs.resolve(dir, path, true)
	if err != nil {
		return err
	}
	err = ip.Truncate(size)
	if cerr := ip.Close(); err == nil {
		err = cerr
	}
	return err
}

// Stat describes the file at path.
func (fs *FS) Stat(dir *Inode, path string) (Stat, error) {
	ip, err := fs.resolve(dir, path, true)
	if err != nil {
		return Stat{}, err
	}
	defer ip.Close()
	return ip.Stat()
}

// Close drops the handle. Closing the last handle on a file with no names
// frees it.
func (ip *Inode) Close() error { return ip.fs.put(ip) }

// Dup returns a second handle on the same file (for dup(2) and fork).
func (ip *Inode) Dup() *Inode { return ip.dup() }

// Stat describes the file.
func (ip *Inode) Stat() (Stat, error) {
	if err := ip.lock(); err != nil {
		return Stat{}, err
	}
	defer ip.unlock()
	d := &ip.d
	return Stat{Ino: uint64(ip.inum), Mode: d.Mode, Nlink: d.Nlink, UID: d.UID, GID: d.GID,
		Major: d.Major, Minor: d.Minor, Size: int64(d.Size), Blocks: int64(d.Blocks) * (BlockSize / 512),
		BlkSize: BlockSize, Mtime: d.Mtime, Ctime: d.Ctime}, nil
}

// ReadAt reads up to len(p) bytes at off; 0 bytes at or past the end.
func (ip *Inode) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, syscall.EINVAL
	}
	if err := ip.lock(); err != nil {
		return 0, err
	}
	defer ip.unlock()
	switch ip.d.Type() {
	case layout.S_IFREG:
	case layout.S_IFDIR:
		return 0, syscall.EISDIR
	default:
		return 0, syscall.EINVAL
	}
	return ip.readAt(p, uint64(off))
}

// WriteAt writes p at off, extending the file (a gap reads as zeros). A
// write of more than a transaction's worth (maxWriteBlocks blocks) is
// split into several atomic transactions, as in xv6: a crash may leave a
// prefix of it, never a torn block of file-system metadata.
func (ip *Inode) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, syscall.EINVAL
	}
	n, _, err := ip.write(p, uint64(off), false)
	return n, err
}

// Append writes p at the end of the file, atomically with respect to other
// writers, and returns the offset it was written at.
func (ip *Inode) Append(p []byte) (int, int64, error) {
	n, off, err := ip.write(p, 0, true)
	return n, int64(off), err
}

// Truncate sets the size; growing leaves a hole that reads as zeros.
func (ip *Inode) Truncate(size int64) error {
	if size < 0 {
		return syscall.EINVAL
	}
	return ip.fs.truncate(ip, uint64(size), false, nil)
}

// SetAttr changes the permission bits (chmod) and, if mtime is not -1, the
// modification time (utimensat).
func (ip *Inode) SetAttr(perm uint32, mtime int64) error {
	t, err := ip.fs.j.begin()
	if err != nil {
		return err
	}
	if err = ip.lock(); err == nil {
		ip.d.Mode = ip.d.Mode&^layout.PermMask | perm&layout.PermMask
		if mtime != -1 {
			ip.d.Mtime = mtime
		}
		ip.d.Ctime = ip.fs.now()
		err = ip.update(t)
		ip.unlock()
	}
	return t.finish(err)
}

// Chown sets the owner and group (permission checks are the caller's).
func (ip *Inode) Chown(uid, gid uint32) error {
	t, err := ip.fs.j.begin()
	if err != nil {
		return err
	}
	if err = ip.lock(); err == nil {
		ip.d.UID, ip.d.GID = uid, gid
		ip.d.Ctime = ip.fs.now()
		err = ip.update(t)
		ip.unlock()
	}
	return t.finish(err)
}

// ReadDir calls fn for each entry from offset off (0 for the start; a
// DirEntry's Next to resume) until fn returns false. The directory is
// locked meanwhile: fn must not call back into the file system.
func (ip *Inode) ReadDir(off uint64, fn func(DirEntry) bool) error {
	if err := ip.lock(); err != nil {
		return err
	}
	defer ip.unlock()
	if ip.d.Type() != layout.S_IFDIR {
		return syscall.ENOTDIR
	}
	return ip.eachEntry(off, func(e layout.Dirent, at uint64) bool {
		return fn(DirEntry{Name: string(e.Name), Ino: uint64(e.Inum), Type: e.Type, Next: at + uint64(e.RecLen)})
	})
}

// String names the handle for debugging.
func (ip *Inode) String() string { return fmt.Sprintf("inode %d", ip.inum) }
