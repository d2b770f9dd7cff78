package file

import "syscall"

// maxDepth bounds the walk up from the working directory.
const maxDepth = maxPath / 2

// Getcwd returns the absolute path of the working directory, found by
// walking ".." to the root and looking each directory up in its parent,
// as Linux's getcwd does with dentries. ENOENT if the working directory
// was removed.
func (c *FSContext) Getcwd() (string, error) {
	c.mu.Lock()
	loc := c.cwd.Dup()
	c.mu.Unlock()
	return c.pathTo(loc)
}

// pathTo returns the absolute path of directory loc, consuming loc's
// handle.
func (c *FSContext) pathTo(loc Location) (string, error) {
	c.mu.Lock()
	root := c.root.Dup()
	c.mu.Unlock()
	defer root.Release()
	var names []string
	for depth := 0; !loc.same(root); depth++ {
		if depth > maxDepth {
			loc.Release()
			return "", syscall.ENAMETOOLONG
		}
		if m := loc.Mount; loc.Ino == m.rootIno && m.parent != nil {
			next := m.at.Dup()
			loc.Release()
			loc = next
			continue
		}
		st, err := loc.Node.Stat()
		if err == nil && st.Nlink == 0 {
			err = syscall.ENOENT
		}
		var up Location
		if err == nil {
			var n Node
			if n, err = loc.Mount.FS.Lookup(c.pid(), loc.Node, ".."); err == nil {
				up, err = newLocation(loc.Mount, n)
			}
		}
		if err == nil && up.same(loc) {
			up.Release()
			err = syscall.ENOENT // the root of a file system not under our root
		}
		var name string
		if err == nil {
			name, err = nameIn(up, loc.Ino)
			if err != nil {
				up.Release()
			}
		}
		loc.Release()
		if err != nil {
			return "", err
		}
		names = append(names, name)
		loc = up
	}
	loc.Release()
	path := ""
	for i := len(names) - 1; i >= 0; i-- {
		path += "/" + names[i]
	}
	if path == "" {
		path = "/"
	}
	if len(path) >= maxPath {
		return "", syscall.ENAMETOOLONG
	}
	return path, nil
}

// nameIn finds the name of inode ino in directory dir.
func nameIn(dir Location, ino uint64) (string, error) {
	f, err := dir.Mount.FS.Open(dir.Node, O_RDONLY|syscall.O_DIRECTORY)
	if err != nil {
		return "", err
	}
	defer f.Close()
	r, ok := f.(DirReader)
	if !ok {
		return "", syscall.ENOTDIR
	}
	name := ""
	err = r.ReadDir(0, func(e Dirent) bool {
		if e.Ino == ino && e.Name != "." && e.Name != ".." {
			name = e.Name
			return false
		}
		return true
	})
	if err == nil && name == "" {
		err = syscall.ENOENT
	}
	return name, err
}
