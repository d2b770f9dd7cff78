package file

import "syscall"

// Chowner is a FileSystem that keeps owners (chown(2)). uid and gid are
// the new IDs, or -1 to keep the old one.
type Chowner interface {
	Chown(n Node, uid, gid int64) error
}

// ChownNode sets the owner of n in fsys; a file system that keeps no
// owners is EPERM, as Linux's for a file system without them (procfs).
func ChownNode(fsys FileSystem, n Node, uid, gid int64) error {
	c, ok := fsys.(Chowner)
	if !ok {
		return syscall.EPERM
	}
	return c.Chown(n, uid, gid)
}

// LinkChowner is a Chowner that can also change a symbolic link's owner,
// naming it by its directory and name (a link has no Node of its own).
type LinkChowner interface {
	LchownName(dir Node, name string, uid, gid int64) error
}

// Chown sets the owner of the file at path, following a final symbolic
// link if follow (chown) or changing the link itself (lchown).
func (c *FSContext) Chown(at Location, path string, follow bool, uid, gid int64) error {
	if !follow {
		dir, last, err := c.walkParent(at, path)
		if err != nil {
			return err
		}
		defer dir.Release()
		name, slash := trim(last)
		if !slash && !dotty(name) {
			st, err := dir.Mount.FS.Lstat(dir.Node, name)
			if err != nil {
				return err
			}
			if st.Mode&S_IFMT == S_IFLNK {
				lc, ok := dir.Mount.FS.(LinkChowner)
				if !ok {
					return syscall.EPERM
				}
				return lc.LchownName(dir.Node, name, uid, gid)
			}
		}
	}
	loc, err := c.Resolve(at, path, follow)
	if err != nil {
		return err
	}
	defer loc.Release()
	return ChownNode(loc.Mount.FS, loc.Node, uid, gid)
}
