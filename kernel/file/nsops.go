package file

import (
	"context"
	"syscall"
)

// The path-based calls of the namespace. Each takes at, the directory a
// relative path starts from (a zero Location means the working
// directory), as the *at system calls do.

// lookupLast finds name in dir (consuming dir's handle), following a
// symbolic link unless nofollow, which refuses one with ELOOP.
func (c *FSContext) lookupLast(dir Location, name string, slash, nofollow bool) (Location, error) {
	if nofollow && !slash && !dotty(name) {
		st, err := dir.Mount.FS.Lstat(dir.Node, name)
		if err != nil {
			dir.Release()
			return Location{}, err
		}
		if st.Mode&S_IFMT == S_IFLNK {
			dir.Release()
			return Location{}, syscall.ELOOP
		}
	}
	loc, err := c.step(dir, name)
	if err == nil && slash {
		if err = isDir(loc); err != nil {
			loc.Release()
		}
	}
	return loc, err
}

// Open opens path as open(2) does, returning a description with one
// reference. mode is masked by the umask for a new file.
func (c *FSContext) Open(at Location, path string, flags int, mode uint32) (*Description, error) {
	return c.OpenContext(context.Background(), at, path, flags, mode)
}

// OpenContext is Open for a caller whose open may wait (a FIFO waits for
// its partner) until ctx ends, with EINTR.
func (c *FSContext) OpenContext(ctx context.Context, at Location, path string, flags int, mode uint32) (*Description, error) {
	dir, last, err := c.walkParent(at, path)
	if err != nil {
		return nil, err
	}
	name, slash := trim(last)
	nofollow := flags&syscall.O_NOFOLLOW != 0
	var loc Location
	created := false
	if flags&syscall.O_CREAT != 0 {
		if slash || dotty(name) {
			dir.Release()
			return nil, syscall.EISDIR
		}
		err = syscall.ENOENT
		if flags&syscall.O_EXCL == 0 {
			loc, err = c.lookupLast(dir.Dup(), name, false, nofollow)
		}
		if err == syscall.ENOENT {
			var n Node
			n, err = dir.Mount.FS.Create(dir.Node, name, flags, mode&^c.umaskBits()&0o7777)
			if err == nil {
				loc, err = newLocation(dir.Mount, n)
				created = true
			}
		}
	} else {
		loc, err = c.lookupLast(dir.Dup(), name, slash, nofollow)
	}
	if err != nil {
		dir.Release()
		return nil, err
	}
	st, err := loc.Node.Stat()
	if err == nil {
		isdir := st.Mode&S_IFMT == S_IFDIR
		switch {
		case isdir && flags&syscall.O_CREAT != 0:
			err = syscall.EISDIR
		case isdir && flags&O_ACCMODE != O_RDONLY && flags&O_PATH == 0:
			err = syscall.EISDIR
		case !isdir && flags&syscall.O_DIRECTORY != 0:
			err = syscall.ENOTDIR
		}
	}
	var f File
	if err == nil {
		if flags&O_PATH != 0 {
			f = &pathFile{n: loc.Node}
			flags &= O_PATH | syscall.O_DIRECTORY | syscall.O_NOFOLLOW | O_CLOEXEC
		} else {
			fl := flags
			if created {
				fl &^= syscall.O_TRUNC
			}
			if st.Mode&S_IFMT == S_IFIFO {
				f, err = openFIFO(ctx, loc, fl)
			} else {
				f, err = loc.Mount.FS.Open(loc.Node, fl)
			}
		}
	}
	if err != nil {
		loc.Release()
		dir.Release()
		return nil, err
	}
	d := NewDescription(f, flags)
	d.loc, d.dir, d.name = loc, dir, name
	return d, nil
}

// Stat describes the file at path, following a final symbolic link if
// follow (stat) or describing the link itself (lstat).
func (c *FSContext) Stat(at Location, path string, follow bool) (Stat, error) {
	dir, last, err := c.walkParent(at, path)
	if err != nil {
		return Stat{}, err
	}
	name, slash := trim(last)
	if !follow && !slash && !dotty(name) {
		st, err := dir.Mount.FS.Lstat(dir.Node, name)
		if err != nil || st.Mode&S_IFMT != S_IFDIR || c.ns.covering(Location{Mount: dir.Mount, Ino: st.Ino}) == nil {
			st.Dev = dir.Mount.dev
			dir.Release()
			return st, err
		}
		// A directory with something mounted on it: describe the mount.
	}
	loc, err := c.lookupLast(dir, name, slash, false)
	if err != nil {
		return Stat{}, err
	}
	defer loc.Release()
	st, err := loc.Node.Stat()
	st.Dev = loc.Mount.dev
	return st, err
}

// StatLocation describes the file at loc (fstatat with AT_EMPTY_PATH).
func StatLocation(loc Location) (Stat, error) {
	st, err := loc.Node.Stat()
	st.Dev = loc.Mount.dev
	return st, err
}

// parentOf walks to the directory holding path's last name and refuses
// "." and ".." (with dotErr) and mount points (EBUSY).
func (c *FSContext) parentOf(at Location, path string, dotErr error) (Location, string, error) {
	dir, last, err := c.walkParent(at, path)
	if err != nil {
		return Location{}, "", err
	}
	name, _ := trim(last)
	if dotty(name) {
		dir.Release()
		return Location{}, "", dotErr
	}
	if st, err := dir.Mount.FS.Lstat(dir.Node, name); err == nil && st.Mode&S_IFMT == S_IFDIR &&
		c.ns.covering(Location{Mount: dir.Mount, Ino: st.Ino}) != nil {
		dir.Release()
		return Location{}, "", syscall.EBUSY
	}
	return dir, last, nil
}

// Mkdir makes a directory; mode is masked by the umask.
func (c *FSContext) Mkdir(at Location, path string, mode uint32) error {
	dir, last, err := c.parentOf(at, path, syscall.EEXIST)
	if err != nil {
		return err
	}
	defer dir.Release()
	return dir.Mount.FS.Mkdir(dir.Node, last, mode&^c.umaskBits()&0o7777)
}

// Mknod makes a device node, FIFO or regular file; the permission bits
// are masked by the umask.
func (c *FSContext) Mknod(at Location, path string, mode uint32, dev uint64) error {
	dir, last, err := c.parentOf(at, path, syscall.EEXIST)
	if err != nil {
		return err
	}
	defer dir.Release()
	return dir.Mount.FS.Mknod(dir.Node, last, mode&S_IFMT|mode&^c.umaskBits()&0o7777, dev)
}

// Unlink removes a name that is not a directory.
func (c *FSContext) Unlink(at Location, path string) error {
	dir, last, err := c.parentOf(at, path, syscall.EISDIR)
	if err != nil {
		return err
	}
	defer dir.Release()
	return dir.Mount.FS.Unlink(dir.Node, last)
}

// Rmdir removes an empty directory.
func (c *FSContext) Rmdir(at Location, path string) error {
	dir, last, err := c.walkParent(at, path)
	if err != nil {
		return err
	}
	switch name, _ := trim(last); name {
	case ".":
		dir.Release()
		return syscall.EINVAL
	case "..":
		dir.Release()
		return syscall.ENOTEMPTY
	}
	dir.Release()
	dir, last, err = c.parentOf(at, path, syscall.EINVAL)
	if err != nil {
		return err
	}
	defer dir.Release()
	return dir.Mount.FS.Rmdir(dir.Node, last)
}

// twoParents resolves the directories of an old and a new name, which
// must be in one mount (EXDEV otherwise).
func (c *FSContext) twoParents(oat Location, opath string, nat Location, npath string, oldDot, newDot error) (od Location, oname string, nd Location, nname string, err error) {
	od, oname, err = c.parentOf(oat, opath, oldDot)
	if err != nil {
		return
	}
	nd, nname, err = c.parentOf(nat, npath, newDot)
	if err != nil {
		od.Release()
		return
	}
	if od.Mount != nd.Mount {
		od.Release()
		nd.Release()
		err = syscall.EXDEV
	}
	return
}

// Rename moves oldpath to newpath, replacing what is there as rename(2)
// does; flags are renameat2's (RenameNoreplace, RenameExchange).
func (c *FSContext) Rename(oat Location, oldpath string, nat Location, newpath string, flags uint) error {
	od, on, nd, nn, err := c.twoParents(oat, oldpath, nat, newpath, syscall.EBUSY, syscall.EBUSY)
	if err != nil {
		return err
	}
	defer od.Release()
	defer nd.Release()
	return od.Mount.FS.Rename(od.Node, on, nd.Node, nn, flags)
}

// Link makes newpath a second name of oldpath; a symbolic link as oldpath
// is followed only if follow (linkat's AT_SYMLINK_FOLLOW), within its
// file system.
func (c *FSContext) Link(oat Location, oldpath string, nat Location, newpath string, follow bool) error {
	od, on, nd, nn, err := c.twoParents(oat, oldpath, nat, newpath, syscall.EPERM, syscall.EEXIST)
	if err != nil {
		return err
	}
	defer od.Release()
	defer nd.Release()
	return od.Mount.FS.Link(od.Node, on, nd.Node, nn, follow)
}

// Symlink makes path a symbolic link to target.
func (c *FSContext) Symlink(target string, at Location, path string) error {
	if target == "" {
		return syscall.ENOENT
	}
	if len(target) >= maxPath {
		return syscall.ENAMETOOLONG
	}
	dir, last, err := c.parentOf(at, path, syscall.EEXIST)
	if err != nil {
		return err
	}
	defer dir.Release()
	return dir.Mount.FS.Symlink(target, dir.Node, last)
}

// Readlink returns a symbolic link's target; EINVAL if path is not one.
func (c *FSContext) Readlink(at Location, path string) (string, error) {
	dir, last, err := c.walkParent(at, path)
	if err != nil {
		return "", err
	}
	defer dir.Release()
	name, slash := trim(last)
	if dotty(name) || slash {
		return "", syscall.EINVAL
	}
	return dir.Mount.FS.Readlink(c.pid(), dir.Node, name)
}

// SetAttr changes the permission bits (perm >= 0) and modification time
// (mtime >= 0, in nanoseconds) of the file at path (chmod, utimensat).
func (c *FSContext) SetAttr(at Location, path string, follow bool, perm, mtime int64) error {
	loc, err := c.Resolve(at, path, follow)
	if err != nil {
		return err
	}
	defer loc.Release()
	return loc.Mount.FS.SetAttr(loc.Node, perm, mtime)
}

// Chdir makes the directory at path the working directory.
func (c *FSContext) Chdir(at Location, path string) error {
	loc, err := c.Resolve(at, path, true)
	if err != nil {
		return err
	}
	if err := c.SetCwd(loc); err != nil {
		loc.Release()
		return err
	}
	return nil
}
