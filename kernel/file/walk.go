package file

import "syscall"

// step moves from the directory loc to its entry name, crossing mount
// points in both directions and never above the context's root. It
// consumes loc's handle and returns a new one.
func (c *FSContext) step(loc Location, name string) (Location, error) {
	switch name {
	case ".":
		return loc, nil
	case "..":
		for {
			if loc.same(c.root) {
				return loc, nil
			}
			m := loc.Mount
			if loc.Ino != m.rootIno || m.parent == nil {
				break
			}
			// At the root of a mount: ".." is the covered directory's parent.
			next := m.at.Dup()
			loc.Release()
			loc = next
		}
	}
	n, err := loc.Mount.FS.Lookup(c.pid(), loc.Node, name)
	m := loc.Mount
	loc.Release()
	if err != nil {
		return Location{}, err
	}
	next, err := newLocation(m, n)
	if err != nil {
		return Location{}, err
	}
	return c.ns.enter(next), nil
}

// start returns the location a path is resolved from: the root for an
// absolute path, else at, or the working directory when at is zero.
func (c *FSContext) start(at Location, path string) Location {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case len(path) > 0 && path[0] == '/':
		return c.root.Dup()
	case at.Node != nil:
		return at.Dup()
	}
	return c.cwd.Dup()
}

// walkParent resolves every component of path but the last, returning the
// directory that holds it and the last name ("." for "/" or a path of
// only dots and slashes; the name keeps a trailing "/").
func (c *FSContext) walkParent(at Location, path string) (Location, string, error) {
	if err := checkPath(path); err != nil {
		return Location{}, "", err
	}
	parts, slash := splitPath(path)
	loc := c.start(at, path)
	if len(parts) == 0 {
		return loc, ".", nil
	}
	for _, p := range parts[:len(parts)-1] {
		var err error
		if loc, err = c.step(loc, p); err != nil {
			return Location{}, "", err
		}
		if err := isDir(loc); err != nil {
			loc.Release()
			return Location{}, "", err
		}
	}
	last := parts[len(parts)-1]
	if slash {
		last += "/"
	}
	return loc, last, nil
}

// isDir fails with ENOTDIR unless loc is a directory.
func isDir(loc Location) error {
	st, err := loc.Node.Stat()
	if err != nil {
		return err
	}
	if st.Mode&S_IFMT != S_IFDIR {
		return syscall.ENOTDIR
	}
	return nil
}

// trim splits a trailing "/" off a last component.
func trim(name string) (string, bool) {
	if len(name) > 1 && name[len(name)-1] == '/' {
		return name[:len(name)-1], true
	}
	return name, false
}

// dotty reports whether a last component is "." or "..", which name
// directories the caller may not create or remove.
func dotty(name string) bool { return name == "." || name == ".." }

// Resolve returns the location path names, relative to at (the working
// directory when at is zero). follow says whether a symbolic link as the
// last component is followed; if not, a link is refused with ELOOP, since
// a link is not a place.
func (c *FSContext) Resolve(at Location, path string, follow bool) (Location, error) {
	dir, last, err := c.walkParent(at, path)
	if err != nil {
		return Location{}, err
	}
	name, slash := trim(last)
	if !follow && !dotty(name) {
		st, err := dir.Mount.FS.Lstat(dir.Node, name)
		if err != nil {
			dir.Release()
			return Location{}, err
		}
		if st.Mode&S_IFMT == S_IFLNK && !slash {
			dir.Release()
			return Location{}, syscall.ELOOP
		}
	}
	loc, err := c.step(dir, name)
	if err != nil {
		return Location{}, err
	}
	if slash {
		if err := isDir(loc); err != nil {
			loc.Release()
			return Location{}, err
		}
	}
	return loc, nil
}
