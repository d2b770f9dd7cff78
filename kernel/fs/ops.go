package fs

import (
	"syscall"

	"scone/kernel/fs/layout"
)

// Tree operations: each runs in one transaction with nsMu held
// exclusively, so it may lock several inodes in any order (nothing else
// ever holds two). Inodes whose last link goes are put only after the
// transaction ends, because freeing them needs transactions of its own.

// maxLinks bounds a link count (Linux's ext4 uses 65000).
const maxLinks = 65000

// treeOp runs fn in a transaction under nsMu and then puts the inodes it
// returns.
func (fs *FS) treeOp(fn func(t *tx) ([]*Inode, error)) error {
	t, err := fs.j.begin()
	if err != nil {
		return err
	}
	fs.nsMu.Lock()
	victims, err := fn(t)
	fs.nsMu.Unlock()
	err = t.finish(err)
	for _, ip := range victims {
		if perr := fs.put(ip); err == nil {
			err = perr
		}
	}
	return err
}

// create makes (or, unless excl, finds) the node path; a symbolic link
// gets target as its contents. It returns a handle on the node and
// whether it was created.
func (fs *FS) create(dir *Inode, path string, mode, major, minor uint32, excl bool, target string) (*Inode, bool, error) {
	var ip *Inode
	created := false
	err := fs.treeOp(func(t *tx) ([]*Inode, error) {
		dp, name, mustDir, err := fs.walkParent(dir, path)
		if err == syscall.EEXIST && !excl { // "/": it exists
			ip = fs.Root()
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		defer fs.put(dp) // linked: put frees nothing
		if err := dp.lock(); err != nil {
			return nil, err
		}
		defer dp.unlock()
		if err := dp.checkDir(); err != nil {
			return nil, err
		}
		inum, _, err := dp.lookup(name)
		switch {
		case err == nil && excl:
			return nil, syscall.EEXIST
		case err == nil:
			ip = fs.iget(inum)
			if target, isLink, err := ip.readlink(); err != nil || isLink {
				// Open found no file at the end of this link before
				// coming here; creating a link's target is not supported.
				fs.put(ip)
				ip = nil
				if err == nil && target != "" {
					err = syscall.ENOENT
				}
				return nil, err
			}
			return nil, nil
		case err != syscall.ENOENT:
			return nil, err
		case mustDir && mode&layout.S_IFMT != layout.S_IFDIR:
			return nil, syscall.ENOENT // a new non-directory "name/", as Linux says
		}
		ip, err = fs.newChild(t, dp, name, mode, major, minor, target)
		created = err == nil
		return nil, err
	})
	return ip, created, err
}

// createLink makes the symbolic link path -> target.
func (fs *FS) createLink(dir *Inode, path, target string) (*Inode, error) {
	ip, _, err := fs.create(dir, path, layout.S_IFLNK|0o777, 0, 0, true, target)
	return ip, err
}

// checkDir fails unless dp is a directory that still has a name.
func (dp *Inode) checkDir() error {
	if dp.d.Type() != layout.S_IFDIR {
		return syscall.ENOTDIR
	}
	if dp.d.Nlink == 0 {
		return syscall.ENOENT // removed while someone held it (a cwd)
	}
	return nil
}

// newChild allocates an inode and links it into dp (locked) as name. It
// allocates everything before changing dp, and on ENOSPC frees what it
// took, so a full disk never leaves a half-made file.
func (fs *FS) newChild(t *tx, dp *Inode, name string, mode, major, minor uint32, target string) (*Inode, error) {
	isDir := mode&layout.S_IFMT == layout.S_IFDIR
	if isDir && dp.d.Nlink >= maxLinks {
		return nil, syscall.EMLINK
	}
	ip, err := fs.ialloc(t, mode)
	if err != nil {
		return nil, err
	}
	if err := ip.lock(); err != nil {
		fs.put(ip)
		return nil, err
	}
	ip.d.Nlink, ip.d.Major, ip.d.Minor = 1, major, minor
	if target != "" {
		_, err = ip.writeIn(t, []byte(target), 0) // one block at most
	}
	if isDir {
		ip.d.Nlink = 2 // its name and its "."
		err = ip.link(t, ".", ip.inum, layout.DT_DIR)
		if err == nil {
			err = ip.link(t, "..", dp.inum, layout.DT_DIR)
		}
	}
	if err == nil {
		err = dp.link(t, name, ip.inum, layout.DTType(mode))
	}
	if err != nil {
		fs.discard(t, ip)
		ip.unlock()
		fs.put(ip)
		return nil, err
	}
	if isDir {
		dp.d.Nlink++ // the child's ".."
	}
	err = ip.update(t)
	ip.unlock()
	if err == nil {
		err = dp.touch(t)
	}
	if err != nil {
		fs.put(ip)
		return nil, err
	}
	return ip, nil
}

// discard frees a just-allocated inode (locked) that never got a name.
func (fs *FS) discard(t *tx, ip *Inode) {
	if _, err := ip.freeFrom(t, 0, budget{}); err != nil {
		return
	}
	ip.d = layout.Dinode{}
	if ip.update(t) == nil {
		fs.free(t, fs.inodeBitmap(), uint64(ip.inum))
	}
	ip.valid = false
}

// touch sets dp's mtime and ctime and writes it back.
func (dp *Inode) touch(t *tx) error {
	dp.d.Mtime = dp.fs.now()
	dp.d.Ctime = dp.d.Mtime
	return dp.update(t)
}

// unlink removes the name path; dir selects rmdir's rules.
func (fs *FS) unlink(dir *Inode, path string, rmdir bool) error {
	return fs.treeOp(func(t *tx) ([]*Inode, error) {
		dp, name, mustDir, err := fs.walkParent(dir, path)
		if err == syscall.EEXIST { // the root: Linux's errors for it
			err = syscall.EISDIR
			if rmdir {
				err = syscall.EBUSY
			}
		}
		if err != nil {
			return nil, err
		}
		defer fs.put(dp)
		switch {
		case !rmdir && (name == "." || name == ".."):
			return nil, syscall.EISDIR
		case name == ".":
			return nil, syscall.EINVAL
		case name == "..":
			return nil, syscall.ENOTEMPTY
		}
		if err := dp.lock(); err != nil {
			return nil, err
		}
		defer dp.unlock()
		if err := dp.checkDir(); err != nil {
			return nil, err
		}
		inum, off, err := dp.lookup(name)
		if err != nil {
			return nil, err
		}
		if inum == dp.inum {
			return nil, errCorrupt("directory %d names itself %q", dp.inum, name)
		}
		ip := fs.iget(inum)
		if err := ip.lock(); err != nil {
			return []*Inode{ip}, err
		}
		defer ip.unlock()
		isDir := ip.d.Type() == layout.S_IFDIR
		switch {
		case rmdir && !isDir, mustDir && !isDir:
			return []*Inode{ip}, syscall.ENOTDIR
		case !rmdir && isDir:
			return []*Inode{ip}, syscall.EISDIR
		}
		if err := fs.dropName(t, dp, ip, off); err != nil {
			return []*Inode{ip}, err
		}
		return []*Inode{ip}, nil
	})
}

// dropName removes the record at off in dp (both locked) naming ip, and
// the link it held: a directory (which must be empty) also loses its "."
// and its parent the child's "..". An inode left without links goes to
// the orphan table, first, since that is the step that can fail.
func (fs *FS) dropName(t *tx, dp, ip *Inode, off uint64) error {
	isDir := ip.d.Type() == layout.S_IFDIR
	if isDir {
		if empty, err := ip.isEmpty(); err != nil {
			return err
		} else if !empty {
			return syscall.ENOTEMPTY
		}
	}
	if ip.d.Nlink <= 1 || isDir {
		if err := fs.orphanAdd(t, ip.inum); err != nil {
			return err
		}
	}
	if err := dp.unlinkAt(t, off); err != nil {
		return err
	}
	if isDir {
		ip.d.Nlink = 0
		if dp.d.Nlink > 0 {
			dp.d.Nlink--
		}
	} else if ip.d.Nlink > 0 {
		ip.d.Nlink--
	}
	ip.d.Ctime = fs.now()
	if err := ip.update(t); err != nil {
		return err
	}
	return dp.touch(t)
}

// link gives the inode at oldpath the extra name newpath.
func (fs *FS) link(odir *Inode, oldpath string, ndir *Inode, newpath string) error {
	return fs.treeOp(func(t *tx) ([]*Inode, error) {
		comps, abs, oldDir, err := splitPath(oldpath)
		if err != nil {
			return nil, err
		}
		ip, err := fs.walk(odir, abs, comps, oldDir) // link(2) does not follow
		if err != nil {
			return nil, err
		}
		defer fs.put(ip) // linked
		dp, name, newDir, err := fs.walkParent(ndir, newpath)
		if err != nil {
			return nil, err
		}
		defer fs.put(dp)
		if newDir {
			return nil, syscall.ENOENT // a new name ending in "/": Linux's answer
		}
		if err := dp.lock(); err != nil {
			return nil, err
		}
		defer dp.unlock()
		if err := dp.checkDir(); err != nil {
			return nil, err
		}
		if _, _, err := dp.lookup(name); err == nil {
			return nil, syscall.EEXIST
		} else if err != syscall.ENOENT {
			return nil, err
		}
		if ip != dp {
			if err := ip.lock(); err != nil {
				return nil, err
			}
			defer ip.unlock()
		}
		switch {
		case ip.d.Type() == layout.S_IFDIR:
			return nil, syscall.EPERM
		case oldDir:
			return nil, syscall.ENOTDIR
		case ip.d.Nlink == 0:
			return nil, syscall.ENOENT
		case ip.d.Nlink >= maxLinks:
			return nil, syscall.EMLINK
		}
		if err := dp.link(t, name, ip.inum, layout.DTType(ip.d.Mode)); err != nil {
			return nil, err
		}
		ip.d.Nlink++
		ip.d.Ctime = fs.now()
		if err := ip.update(t); err != nil {
			return nil, err
		}
		return nil, dp.touch(t)
	})
}
