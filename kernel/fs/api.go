package fs

import (
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
func (fs *FS) Root() *Handle { return fs.newHandle(fs.iget(layout.RootInum)) }

// Lookup returns a handle on the file at path.
// A symbolic link as the last component is followed.
func (fs *FS) Lookup(c Cred, dir *Handle, path string) (_ *Handle, err error) {
	start, err := dir.hold()
	if err != nil {
		return nil, err
	}
	defer dir.drop(&err)
	ip, err := fs.resolve(c, start, path, true)
	if err != nil {
		return nil, err
	}
	return fs.newHandle(ip), nil
}

// Open flags understood by Open (Linux values).
const (
	O_ACCMODE   = syscall.O_ACCMODE
	O_RDONLY    = syscall.O_RDONLY
	O_WRONLY    = syscall.O_WRONLY
	O_RDWR      = syscall.O_RDWR
	O_CREAT     = syscall.O_CREAT
	O_EXCL      = syscall.O_EXCL
	O_TRUNC     = syscall.O_TRUNC
	O_DIRECTORY = syscall.O_DIRECTORY
	O_NOFOLLOW  = syscall.O_NOFOLLOW
)

// Open returns a handle on path, creating a regular file with permissions
// perm (umask applied by the caller) under O_CREAT and emptying it under
// O_TRUNC. O_CREAT through a symbolic link whose target does not exist
// creates the target, as Linux does. c must be allowed the access mode
// (and write for O_TRUNC) unless Open made the file. Open refuses to open
// a directory for writing (EISDIR) and a non-directory under O_DIRECTORY
// (ENOTDIR).
func (fs *FS) Open(c Cred, dir *Handle, path string, flags int, perm uint32) (_ *Handle, err error) {
	start, err := dir.hold()
	if err != nil {
		return nil, err
	}
	defer dir.drop(&err)
	if flags&O_CREAT != 0 && strings.HasSuffix(path, "/") {
		return nil, syscall.EISDIR // O_CREAT makes regular files only
	}
	var ip *inode
	created := false
	excl := flags&O_CREAT != 0 && flags&O_EXCL != 0
	follow := flags&O_NOFOLLOW == 0
	if !excl {
		ip, err = fs.resolve(c, start, path, follow)
	}
	if excl || err == syscall.ENOENT && flags&O_CREAT != 0 {
		ip, created, err = fs.create(c, start, path, layout.S_IFREG|perm&layout.PermMask, 0, 0, excl, follow, "")
	}
	if err != nil {
		return nil, err
	}
	if err = fs.openCheck(c, ip, flags, created); err != nil {
		fs.put(ip)
		return nil, err
	}
	return fs.newHandle(ip), nil
}

// openCheck applies Open's rules to the file it found or made.
func (fs *FS) openCheck(c Cred, ip *inode, flags int, created bool) error {
	if err := ip.lock(); err != nil {
		return err
	}
	typ := ip.d.Type()
	var err error
	switch {
	case typ == layout.S_IFLNK:
		err = syscall.ELOOP // O_NOFOLLOW on a symbolic link
	case typ == layout.S_IFDIR && (flags&O_ACCMODE != O_RDONLY || flags&O_CREAT != 0):
		err = syscall.EISDIR
	case typ != layout.S_IFDIR && flags&O_DIRECTORY != 0:
		err = syscall.ENOTDIR
	case !created:
		want := map[int]Access{O_RDONLY: MayRead, O_WRONLY: MayWrite, O_RDWR: MayRead | MayWrite}[flags&O_ACCMODE]
		if flags&O_TRUNC != 0 {
			want |= MayWrite
		}
		err = permit(c, ip, want)
	}
	ip.unlock()
	if err == nil && !created && flags&O_TRUNC != 0 && typ == layout.S_IFREG {
		// Even an empty file: O_TRUNC stamps mtime and ctime, as in Linux.
		err = fs.truncate(ip, 0, false, nil)
	}
	return err
}

// Mkdir makes a directory.
func (fs *FS) Mkdir(c Cred, dir *Handle, path string, perm uint32) error {
	return fs.make(c, dir, path, layout.S_IFDIR|perm&layout.PermMask, 0, 0, "")
}

// Mknod makes a device node, FIFO, socket or regular file; mode carries
// the type.
func (fs *FS) Mknod(c Cred, dir *Handle, path string, mode, major, minor uint32) error {
	switch mode & layout.S_IFMT {
	case layout.S_IFCHR, layout.S_IFBLK, layout.S_IFIFO, layout.S_IFSOCK:
	case 0, layout.S_IFREG:
		mode = layout.S_IFREG | mode&layout.PermMask
	default:
		return syscall.EINVAL
	}
	return fs.make(c, dir, path, mode, major, minor, "")
}

// Symlink makes path a symbolic link to target (which need not exist).
func (fs *FS) Symlink(c Cred, target string, dir *Handle, path string) error {
	if target == "" {
		return syscall.ENOENT
	}
	if len(target) >= MaxPathLen {
		return syscall.ENAMETOOLONG
	}
	return fs.make(c, dir, path, layout.S_IFLNK|0o777, 0, 0, target)
}

// make creates a new node that must not exist.
func (fs *FS) make(c Cred, dir *Handle, path string, mode, major, minor uint32, target string) (err error) {
	start, err := dir.hold()
	if err != nil {
		return err
	}
	defer dir.drop(&err)
	ip, _, err := fs.create(c, start, path, mode, major, minor, true, false, target)
	if err != nil {
		return err
	}
	return fs.put(ip)
}

// Readlink returns the target of the symbolic link at path.
func (fs *FS) Readlink(c Cred, dir *Handle, path string) (string, error) {
	var target string
	err := fs.onPath(c, dir, path, false, func(ip *inode) error {
		var isLink bool
		var err error
		target, isLink, err = ip.readlink()
		if err == nil && !isLink {
			err = syscall.EINVAL
		}
		return err
	})
	return target, err
}

// Lstat describes the file at path without following a final symbolic link.
func (fs *FS) Lstat(c Cred, dir *Handle, path string) (Stat, error) {
	var st Stat
	err := fs.onPath(c, dir, path, false, func(ip *inode) (err error) {
		st, err = ip.stat()
		return err
	})
	return st, err
}

// Stat describes the file at path.
func (fs *FS) Stat(c Cred, dir *Handle, path string) (Stat, error) {
	var st Stat
	err := fs.onPath(c, dir, path, true, func(ip *inode) (err error) {
		st, err = ip.stat()
		return err
	})
	return st, err
}

// Truncate sets the size of the file at path, which c must be allowed to
// write.
func (fs *FS) Truncate(c Cred, dir *Handle, path string, size int64) error {
	if size < 0 {
		return syscall.EINVAL
	}
	return fs.onPath(c, dir, path, true, func(ip *inode) error {
		if err := ip.permit(c, MayWrite); err != nil {
			return err
		}
		return fs.truncate(ip, uint64(size), false, nil)
	})
}

// onPath runs fn on the file at path.
func (fs *FS) onPath(c Cred, dir *Handle, path string, follow bool, fn func(*inode) error) (err error) {
	start, err := dir.hold()
	if err != nil {
		return err
	}
	defer dir.drop(&err)
	ip, err := fs.resolve(c, start, path, follow)
	if err != nil {
		return err
	}
	err = fn(ip)
	if perr := fs.put(ip); err == nil {
		err = perr
	}
	return err
}

// Unlink removes a name that is not a directory. The file itself goes
// when its last name and last handle are gone.
func (fs *FS) Unlink(c Cred, dir *Handle, path string) error {
	return fs.unlink(c, dir, path, false)
}

// Rmdir removes an empty directory.
func (fs *FS) Rmdir(c Cred, dir *Handle, path string) error { return fs.unlink(c, dir, path, true) }

// Link makes newpath another name for the file at oldpath. A symbolic
// link as the last component of oldpath is followed only if follow is
// set (linkat's AT_SYMLINK_FOLLOW).
func (fs *FS) Link(c Cred, odir *Handle, oldpath string, ndir *Handle, newpath string, follow bool) error {
	return fs.link(c, odir, oldpath, ndir, newpath, follow)
}

// Rename flags (renameat2's values).
const (
	RENAME_NOREPLACE = 1 // fail with EEXIST if newpath exists
	RENAME_EXCHANGE  = 2 // swap the two names, which must both exist
	RENAME_WHITEOUT  = 4 // not supported: EINVAL
)

// Rename atomically moves oldpath to newpath, replacing newpath, as
// renameat2 with flags does.
func (fs *FS) Rename(c Cred, odir *Handle, oldpath string, ndir *Handle, newpath string, flags uint) error {
	switch flags {
	case 0, RENAME_NOREPLACE, RENAME_EXCHANGE:
	default:
		return syscall.EINVAL
	}
	return fs.rename(c, odir, oldpath, ndir, newpath, flags)
}

// stat describes ip.
func (ip *inode) stat() (Stat, error) {
	if err := ip.lock(); err != nil {
		return Stat{}, err
	}
	defer ip.unlock()
	d := &ip.d
	return Stat{Ino: uint64(ip.inum), Mode: d.Mode, Nlink: d.Nlink, UID: d.UID, GID: d.GID,
		Major: d.Major, Minor: d.Minor, Size: int64(d.Size), Blocks: int64(d.Blocks) * (BlockSize / 512),
		BlkSize: BlockSize, Mtime: d.Mtime, Ctime: d.Ctime}, nil
}

// permit asks c for want on ip.
func (ip *inode) permit(c Cred, want Access) error {
	if c == nil {
		return nil
	}
	if err := ip.lock(); err != nil {
		return err
	}
	defer ip.unlock()
	return permit(c, ip, want)
}
