package fs

import (
	"syscall"

	"scone/kernel/fs/layout"
)

// rename moves oldpath to newpath in one transaction, replacing what
// newpath named (a file by a file, an empty directory by a directory).
// A crash leaves either the old name or the new one, never both or none.
func (fs *FS) rename(odir *Inode, oldpath string, ndir *Inode, newpath string) error {
	return fs.treeOp(func(t *tx) ([]*Inode, error) {
		var victims []*Inode
		odp, oname, oldDir, err := fs.walkParent(odir, oldpath)
		if err == syscall.EEXIST { // the root, like "." and "..", is busy
			err = syscall.EBUSY
		}
		if err != nil {
			return nil, err
		}
		defer fs.put(odp)
		ndp, nname, newDir, err := fs.walkParent(ndir, newpath)
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
		above, err := fs.ancestors(ndp)
		if err != nil {
			return nil, err
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
		if err := odp.checkDir(); err != nil {
			return nil, err
		}
		if err := ndp.checkDir(); err != nil {
			return nil, err
		}
		inum, _, err := odp.lookup(oname)
		if err != nil {
			return nil, err
		}
		if above[inum] {
			return nil, syscall.EINVAL // a directory into its own subtree
		}
		if inum == odp.inum {
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
		tinum, toff, err := ndp.lookup(nname)
		switch {
		case err == nil && tinum == inum:
			return victims, nil // two names of one file: nothing to do
		case err == nil:
			if tinum == odp.inum {
				return victims, syscall.ENOTEMPTY // it holds the source
			}
			if tinum == ndp.inum {
				return victims, errCorrupt("directory %d names itself %q", ndp.inum, nname)
			}
			tip := fs.iget(tinum)
			victims = append(victims, tip)
			if err := fs.replace(t, ndp, tip, toff, ip); err != nil {
				return victims, err
			}
		case err == syscall.ENOENT:
			// The only step that allocates, so it goes first.
			if err := ndp.link(t, nname, inum, layout.DTType(ip.d.Mode)); err != nil {
				return victims, err
			}
		default:
			return victims, err
		}
		_, ooff, err := odp.lookup(oname)
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
		ip.d.Ctime = fs.now()
		if err := ip.update(t); err != nil {
			return victims, err
		}
		if err := odp.touch(t); err != nil {
			return victims, err
		}
		return victims, ndp.touch(t)
	})
}

// replace points ndp's record at off, which names tip, at ip instead, and
// drops tip's link. Types must agree and a directory must be empty.
func (fs *FS) replace(t *tx, ndp, tip *Inode, off uint64, ip *Inode) error {
	if err := tip.lock(); err != nil {
		return err
	}
	defer tip.unlock()
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
func (fs *FS) ancestors(dp *Inode) (map[uint32]bool, error) {
	set := make(map[uint32]bool)
	ip := dp.dup()
	defer func() { fs.put(ip) }()
	for range fs.sb.NInodes {
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
	return nil, errCorrupt("directory %d: \"..\" chain does not reach the root", dp.inum)
}
