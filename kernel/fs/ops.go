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
var maxLinks uint32 = 65000

// treeOp runs fn in a transaction under nsMu and then puts the inodes it
// returns. It takes nsMu first and joins the transaction only if it can
// at once; otherwise it lets nsMu go while it waits for room. So a tree
// operation queued for nsMu holds no journal slot (which would keep the
// running transaction from committing), and one waiting for the journal
// does not hold up path lookups.
func (fs *FS) treeOp(fn func(t *tx) ([]*inode, error)) error {
	var t *tx
	for t == nil {
		fs.nsMu.Lock()
		var err error
		t, err = fs.j.tryBegin()
		if t == nil {
			fs.nsMu.Unlock()
			if err == nil {
				err = fs.j.waitRoom()
			}
		}
		if err != nil {
			return err
		}
	}
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
// whether it was created. Finding a symbolic link as the last component
// with follow set, it goes on to the link's target, and creates that if
// it is missing (open with O_CREAT through a dangling link, as in Linux).
// c must be allowed to write in the directory that gets the new name.
func (fs *FS) create(c Cred, start *inode, path string, mode, major, minor uint32, excl, follow bool, target string) (*inode, bool, error) {
	var ip *inode
	created := false
	err := fs.treeOp(func(t *tx) ([]*inode, error) {
		var held []*inode // directories walked through, put at the end
		defer func() {
			for _, dp := range held {
				fs.put(dp) // linked: put frees nothing
			}
		}()
		for links := 0; ; links++ {
			if links > maxSymlinks {
				return nil, syscall.ELOOP
			}
			dp, name, mustDir, err := fs.walkParent(c, start, path)
			if err == syscall.EEXIST && !excl { // "/": it exists
				ip = fs.iget(layout.RootInum)
				return nil, nil
			}
			if err != nil {
				return nil, err
			}
			held = append(held, dp)
			var next string
			ip, created, next, err = fs.createIn(t, c, dp, name, mustDir, mode, major, minor, excl, follow, target)
			if err != nil || next == "" {
				return nil, err
			}
			// A symbolic link: go on with its target, from the link's
			// directory.
			start, path = dp, next
		}
	})
	return ip, created, err
}

// createIn finds or makes name in dp for create. It returns the node and
// whether it made it, or, for a symbolic link to follow, the link's
// target. "." and ".." (and any name of dp itself) are found without
// locking them: dp is locked already.
func (fs *FS) createIn(t *tx, c Cred, dp *inode, name string, mustDir bool, mode, major, minor uint32, excl, follow bool, target string) (*inode, bool, string, error) {
	if err := dp.lock(); err != nil {
		return nil, false, "", err
	}
	defer dp.unlock()
	if err := dp.checkDir(); err != nil {
		return nil, false, "", err
	}
	if err := permit(c, dp, MayExec); err != nil {
		return nil, false, "", err
	}
	inum, _, typ, err := dp.find(name)
	switch {
	case err == nil && excl:
		return nil, false, "", syscall.EEXIST
	case err == nil && fs.mounted(inum):
		return nil, false, "", crossing(inum, nil, mustDir)
	case err == nil && inum == dp.inum:
		return dp.dup(), false, "", nil
	case err == nil && follow && (typ == layout.DT_LNK || typ == layout.DT_UNKNOWN):
		ip := fs.iget(inum)
		target, isLink, err := ip.readlink()
		if err != nil || !isLink {
			if err != nil {
				fs.put(ip)
				ip = nil
			}
			return ip, false, "", err
		}
		fs.put(ip) // linked: frees nothing
		return nil, false, target, nil
	case err == nil:
		return fs.iget(inum), false, "", nil
	case err != syscall.ENOENT:
		return nil, false, "", err
	case mustDir && mode&layout.S_IFMT != layout.S_IFDIR:
		return nil, false, "", syscall.ENOENT // a new non-directory "name/", as Linux says
	}
	if err := permit(c, dp, MayWrite|MayExec); err != nil {
		return nil, false, "", err
	}
	ip, err := fs.newChild(t, c, dp, name, mode, major, minor, target)
	return ip, err == nil, "", err
}

// checkDir fails unless dp is a directory that still has a name.
func (dp *inode) checkDir() error {
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
func (fs *FS) newChild(t *tx, c Cred, dp *inode, name string, mode, major, minor uint32, target string) (*inode, error) {
	isDir := mode&layout.S_IFMT == layout.S_IFDIR
	if isDir && dp.d.Nlink >= maxLinks {
		return nil, syscall.EMLINK
	}
	uid, gid, mode := owner(c, dp, mode)
	ip, err := fs.ialloc(t, mode)
	if err != nil {
		return nil, err
	}
	if err := ip.lock(); err != nil {
		fs.put(ip)
		return nil, err
	}
	ip.d.Nlink, ip.d.Major, ip.d.Minor = 1, major, minor
	ip.d.UID, ip.d.GID = uid, gid
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
func (fs *FS) discard(t *tx, ip *inode) {
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
func (dp *inode) touch(t *tx) error {
	dp.d.Mtime = dp.fs.now()
	dp.d.Ctime = dp.d.Mtime
	return dp.update(t)
}

// unlink removes the name path; rmdir selects rmdir's rules.
func (fs *FS) unlink(c Cred, dir *Handle, path string, rmdir bool) (err error) {
	start, err := dir.hold()
	if err != nil {
		return err
	}
	defer dir.drop(&err)
	return fs.treeOp(func(t *tx) ([]*inode, error) {
		dp, name, mustDir, err := fs.walkParent(c, start, path)
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
		if err := permit(c, dp, MayExec); err != nil {
			return nil, err
		}
		inum, off, err := dp.lookup(name)
		if err != nil {
			return nil, err
		}
		if inum == dp.inum {
			return nil, errCorrupt("directory %d names itself %q", dp.inum, name)
		}
		if fs.mounted(inum) {
			return nil, syscall.EBUSY
		}
		ip := fs.iget(inum)
		if err := ip.lock(); err != nil {
			return []*inode{ip}, err
		}
		defer ip.unlock()
		isDir := ip.d.Type() == layout.S_IFDIR
		switch {
		case rmdir && !isDir, mustDir && !isDir:
			return []*inode{ip}, syscall.ENOTDIR
		case !rmdir && isDir:
			return []*inode{ip}, syscall.EISDIR
		}
		if err := mayDelete(c, dp, ip); err != nil {
			return []*inode{ip}, err
		}
		if err := fs.dropName(t, dp, ip, off); err != nil {
			return []*inode{ip}, err
		}
		return []*inode{ip}, nil
	})
}

// dropName removes the record at off in dp (both locked) naming ip, and
// the link it held: a directory (which must be empty) also loses its "."
// and its parent the child's "..". An inode left without links goes to
// the orphan list first.
func (fs *FS) dropName(t *tx, dp, ip *inode, off uint64) error {
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

// link gives the inode at oldpath the extra name newpath. A symbolic link
// as the last component of oldpath is followed only if follow is set.
func (fs *FS) link(c Cred, odir *Handle, oldpath string, ndir *Handle, newpath string, follow bool) (err error) {
	ostart, nstart, err := holdBoth(odir, ndir)
	if err != nil {
		return err
	}
	defer dropBoth(odir, ndir, &err)
	return fs.treeOp(func(t *tx) ([]*inode, error) {
		comps, abs, oldDir, err := splitPath(oldpath)
		if err != nil {
			return nil, err
		}
		ip, err := fs.walk(c, ostart, abs, comps, follow || oldDir, oldDir)
		if err != nil {
			return nil, err
		}
		defer fs.put(ip) // linked
		dp, name, newDir, err := fs.walkParent(c, nstart, newpath)
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
		if err := permit(c, dp, MayExec); err != nil {
			return nil, err
		}
		if _, _, err := dp.lookup(name); err == nil {
			return nil, syscall.EEXIST
		} else if err != syscall.ENOENT {
			return nil, err
		}
		if err := permit(c, dp, MayWrite|MayExec); err != nil {
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
