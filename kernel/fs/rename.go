package fs

import (
	"syscall"

	"scone/kernel/fs/layout"
)

// rename moves oldpath to newpath in one transaction, replacing what
// newpath named (a file by a file, an empty directory by a directory), or
// with RENAME_EXCHANGE swaps the two. A crash leaves either the old names
// or the new ones, never both or none.
func (fs *FS) rename(c Cred, odir *Handle, oldpath string, ndir *Handle, newpath string, flags uint) (err error) {
	ostart, nstart, err := holdBoth(odir, ndir)
	if err != nil {
		return err
	}
	defer dropBoth(odir, ndir, &err)
	return fs.treeOp(func(t *tx) ([]*inode, error) {
		var victims []*inode
		odp, oname, oldDir, err := fs.walkParent(c, ostart, oldpath)
		if err == syscall.EEXIST { // the root, like "." and "..", is busy
			err = syscall.EBUSY
		}
		if err != nil {
			return nil, err
		}
		defer fs.put(odp)
		ndp, nname, newDir, err := fs.walkParent(c, nstart, newpath)
		if err == syscall.EEXIST {
			err = syscall.EBUSY
		}
		if err != nil {
			return nil, err
		}
		defer fs.put(ndp)
		for _, n := range []string{oname, nname} {
			if n == "." || n == ".." {
				return nil, syscall.EBUSY
			}
		}
		// Ancestry is read before any lock is taken (the walk locks one
		// directory at a time); nsMu keeps the tree still meanwhile.
		aboveN, err := fs.ancestors(ndp)
		if err != nil {
			return nil, err
		}
		aboveO := map[uint32]bool{}
		if flags&RENAME_EXCHANGE != 0 {
			if aboveO, err = fs.ancestors(odp); err != nil {
				return nil, err
			}
		}
		if err := odp.lock(); err != nil {
			return nil, err
		}
		defer odp.unlock()
		if odp != ndp {
			if err := ndp.lock(); err != nil {
				return nil, err
			}
			defer ndp.unlock()
		}
		for _, dp := range []*inode{odp, ndp} {
			if err := dp.checkDir(); err != nil {
				return nil, err
			}
			if err := permit(c, dp, MayWrite|MayExec); err != nil {
				return nil, err
			}
		}
		inum, ooff, err := odp.lookup(oname)
		switch {
		case err != nil:
			return nil, err
		case fs.mounted(inum):
			return nil, syscall.EBUSY
		case aboveN[inum]:
			return nil, syscall.EINVAL // a directory into its own subtree
		case inum == odp.inum:
			return nil, errCorrupt("directory %d names itself %q", odp.inum, oname)
		}
		ip := fs.iget(inum)
		victims = append(victims, ip)
		if err := ip.lock(); err != nil {
			return victims, err
		}
		defer ip.unlock()
		isDir := ip.d.Type() == layout.S_IFDIR
		if (oldDir || newDir) && !isDir {
			return victims, syscall.ENOTDIR // a path ending in "/" names a directory
		}
		if err := mayDelete(c, odp, ip); err != nil {
			return victims, err
		}
		if isDir && odp != ndp {
			// Its ".." changes.
			if err := permit(c, ip, MayWrite); err != nil {
				return victims, err
			}
		}
		tinum, toff, err := ndp.lookup(nname)
		switch {
		case err != nil && err != syscall.ENOENT:
			return victims, err
		case err == nil && flags&RENAME_NOREPLACE != 0:
			return victims, syscall.EEXIST
		case err != nil && flags&RENAME_EXCHANGE != 0:
			return victims, err
		case err == nil && tinum == inum:
			return victims, nil // two names of one file: nothing to do
		case err == nil && fs.mounted(tinum):
			return victims, syscall.EBUSY
		case err == nil && (tinum == odp.inum || aboveO[tinum]):
			if flags&RENAME_EXCHANGE != 0 {
				return victims, syscall.EINVAL
			}
			return victims, syscall.ENOTEMPTY // it holds the source
		case err == nil && tinum == ndp.inum:
			return victims, errCorrupt("directory %d names itself %q", ndp.inum, nname)
		case err == nil:
			tip := fs.iget(tinum)
			victims = append(victims, tip)
			if flags&RENAME_EXCHANGE != 0 {
				return victims, fs.exchange(t, c, odp, ooff, ip, ndp, toff, tip)
			}
			if err := fs.replace(t, c, ndp, tip, toff, ip); err != nil {
				return victims, err
			}
		default: // a new name
			if isDir && odp != ndp && ndp.d.Nlink >= maxLinks {
				return victims, syscall.EMLINK
			}
			// The only step that allocates, so it goes first.
			if err := ndp.link(t, nname, inum, layout.DTType(ip.d.Mode)); err != nil {
				return victims, err
			}
		}
		// Look again: in the same directory, linking may have split the
		// records around the old name.
		_, ooff, err = odp.lookup(oname)
		if err == nil {
			err = odp.unlinkAt(t, ooff)
		}
		if err == nil && isDir && odp != ndp {
			err = ip.setEntry(t, "..", ndp.inum)
			odp.d.Nlink--
			ndp.d.Nlink++
		}
		if err != nil {
			return victims, err
		}
		return victims, fs.stampRename(t, odp, ndp, ip)
	})
}

// stampRename sets the ctime of the moved inodes and the times of both
// directories, and writes them all back.
func (fs *FS) stampRename(t *tx, odp, ndp *inode, moved ...*inode) error {
	now := fs.now()
	for _, ip := range moved {
		ip.d.Ctime = now
		if err := ip.update(t); err != nil {
			return err
		}
	}
	if err := odp.touch(t); err != nil {
		return err
	}
	if ndp == odp {
		return nil
	}
	return ndp.touch(t)
}

// exchange swaps ip, named at ooff in odp, and tip, named at toff in ndp
// (all locked but tip), for RENAME_EXCHANGE. A directory that changes
// parent gets its ".." retargeted and the parents' link counts follow.
func (fs *FS) exchange(t *tx, c Cred, odp *inode, ooff uint64, ip, ndp *inode, toff uint64, tip *inode) error {
	if err := tip.lock(); err != nil {
		return err
	}
	defer tip.unlock()
	isDir, tDir := ip.d.Type() == layout.S_IFDIR, tip.d.Type() == layout.S_IFDIR
	if err := mayDelete(c, ndp, tip); err != nil {
		return err
	}
	if tDir && odp != ndp {
		if err := permit(c, tip, MayWrite); err != nil {
			return err
		}
	}
	if odp != ndp {
		switch {
		case isDir && !tDir && ndp.d.Nlink >= maxLinks, tDir && !isDir && odp.d.Nlink >= maxLinks:
			return syscall.EMLINK
		}
	}
	if err := odp.setAt(t, ooff, tip.inum, layout.DTType(tip.d.Mode)); err != nil {
		return err
	}
	if err := ndp.setAt(t, toff, ip.inum, layout.DTType(ip.d.Mode)); err != nil {
		return err
	}
	if odp != ndp {
		if isDir {
			if err := ip.setEntry(t, "..", ndp.inum); err != nil {
				return err
			}
			odp.d.Nlink--
			ndp.d.Nlink++
		}
		if tDir {
			if err := tip.setEntry(t, "..", odp.inum); err != nil {
				return err
			}
			ndp.d.Nlink--
			odp.d.Nlink++
		}
	}
	return fs.stampRename(t, odp, ndp, ip, tip)
}

// replace points ndp's record at off, which names tip, at ip instead, and
// drops tip's link. Types must agree and a directory must be empty.
func (fs *FS) replace(t *tx, c Cred, ndp, tip *inode, off uint64, ip *inode) error {
	if err := tip.lock(); err != nil {
		return err
	}
	defer tip.unlock()
	if err := mayDelete(c, ndp, tip); err != nil {
		return err
	}
	isDir, tDir := ip.d.Type() == layout.S_IFDIR, tip.d.Type() == layout.S_IFDIR
	switch {
	case isDir && !tDir:
		return syscall.ENOTDIR
	case !isDir && tDir:
		return syscall.EISDIR
	}
	if tDir {
		if empty, err := tip.isEmpty(); err != nil {
			return err
		} else if !empty {
			return syscall.ENOTEMPTY
		}
	}
	if tDir || tip.d.Nlink <= 1 {
		if err := fs.orphanAdd(t, tip.inum); err != nil {
			return err
		}
	}
	if err := ndp.setAt(t, off, ip.inum, layout.DTType(ip.d.Mode)); err != nil {
		return err
	}
	if tDir {
		tip.d.Nlink = 0
		ndp.d.Nlink--
	} else if tip.d.Nlink > 0 {
		tip.d.Nlink--
	}
	tip.d.Ctime = fs.now()
	return tip.update(t)
}

// ancestors returns the inode numbers of dp and every directory above it.
// A ".." chain that comes back on itself is corruption, found at once.
func (fs *FS) ancestors(dp *inode) (map[uint32]bool, error) {
	set := make(map[uint32]bool)
	ip := dp.dup()
	defer func() { fs.put(ip) }()
	for !set[ip.inum] {
		set[ip.inum] = true
		if ip.inum == layout.RootInum {
			return set, nil
		}
		if err := ip.lock(); err != nil {
			return nil, err
		}
		if ip.d.Nlink == 0 {
			ip.unlock()
			return nil, syscall.ENOENT // a removed directory
		}
		parent, _, err := ip.lookup("..")
		ip.unlock()
		if err != nil {
			return nil, err
		}
		fs.put(ip)
		ip = fs.iget(parent)
	}
	return nil, errCorrupt("directory %d: \"..\" chain loops back to directory %d", dp.inum, ip.inum)
}
