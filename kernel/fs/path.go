package fs

import (
	"strings"
	"syscall"

	"scone/kernel/fs/layout"
)

// MaxPathLen bounds a path name, as Linux's PATH_MAX.
const MaxPathLen = 4096

// splitPath checks a path and returns its components. A path ending in
// "/" must name a directory (mustDir).
func splitPath(path string) (comps []string, abs, mustDir bool, err error) {
	if path == "" {
		return nil, false, false, syscall.ENOENT
	}
	if len(path) >= MaxPathLen {
		return nil, false, false, syscall.ENAMETOOLONG
	}
	if strings.IndexByte(path, 0) >= 0 {
		return nil, false, false, syscall.EINVAL
	}
	abs = path[0] == '/'
	mustDir = strings.HasSuffix(path, "/")
	for _, c := range strings.Split(path, "/") {
		if c == "" {
			continue
		}
		if len(c) > layout.MaxNameLen {
			return nil, false, false, syscall.ENAMETOOLONG
		}
		comps = append(comps, c)
	}
	return comps, abs, mustDir, nil
}

// maxSymlinks bounds the symbolic links one lookup follows (Linux's 40).
const maxSymlinks = 40

// walk resolves comps from start (the root if nil or abs) and returns a
// handle on the result. Symbolic links are followed in every component but
// the last, and in the last too if followLast. It checks c's search
// permission on each directory it looks in, and stops with a *MountError
// on a mount point (mustDir is the path's trailing "/", for the rest it
// reports). It holds one inode lock at a time, so it never deadlocks
// against another walk, and locks a component only to look in it or to
// read a symbolic link: never the last one just to see what it is (the
// directory record's type says). The caller holds nsMu (shared or
// exclusive), so every directory it passes through stays linked.
func (fs *FS) walk(c Cred, start *inode, abs bool, comps []string, followLast, mustDir bool) (*inode, error) {
	var ip *inode
	if start == nil || abs {
		ip = fs.iget(layout.RootInum)
	} else {
		ip = start.dup()
	}
	links := 0
	for len(comps) > 0 {
		name := comps[0]
		comps = comps[1:]
		inum, typ, err := ip.child(c, name)
		if err != nil {
			fs.put(ip)
			return nil, err
		}
		if inum != ip.inum && fs.mounted(inum) {
			fs.put(ip)
			return nil, crossing(inum, comps, mustDir)
		}
		next := fs.iget(inum)
		if len(comps) == 0 && !followLast || typ != layout.DT_LNK && typ != layout.DT_UNKNOWN {
			fs.put(ip)
			ip = next
			continue
		}
		target, isLink, err := next.readlink()
		if err != nil || !isLink {
			fs.put(ip)
			if err != nil {
				fs.put(next)
				return nil, err
			}
			ip = next
			continue
		}
		fs.put(next)
		// Continue with the link's target in place of the name, from the
		// directory holding the link or from the root.
		if links++; links > maxSymlinks {
			fs.put(ip)
			return nil, syscall.ELOOP
		}
		tcomps, tabs, _, err := splitPath(target)
		if err != nil {
			fs.put(ip)
			return nil, err
		}
		if tabs {
			fs.put(ip)
			ip = fs.iget(layout.RootInum)
		}
		comps = append(tcomps, comps...)
	}
	return ip, nil
}

// child looks name up in directory ip, after asking c for search
// permission, and returns its inode number and directory-record type. A
// removed directory (still someone's working directory) is empty, and its
// ".." may name an inode already freed and reused, so only "." is found
// in it, as in Linux.
func (ip *inode) child(c Cred, name string) (uint32, uint8, error) {
	if err := ip.lock(); err != nil {
		return 0, 0, err
	}
	defer ip.unlock()
	if ip.d.Type() != layout.S_IFDIR {
		return 0, 0, syscall.ENOTDIR
	}
	if err := permit(c, ip, MayExec); err != nil {
		return 0, 0, err
	}
	if ip.d.Nlink == 0 {
		if name != "." {
			return 0, 0, syscall.ENOENT
		}
		return ip.inum, layout.DT_DIR, nil
	}
	inum, _, typ, err := ip.find(name)
	return inum, typ, err
}

// readlink returns the target of a symbolic link, or isLink false.
func (ip *inode) readlink() (string, bool, error) {
	if err := ip.lock(); err != nil {
		return "", false, err
	}
	defer ip.unlock()
	if ip.d.Type() != layout.S_IFLNK {
		return "", false, nil
	}
	if ip.d.Size == 0 || ip.d.Size >= MaxPathLen {
		return "", false, errCorrupt("symbolic link %d of %d bytes", ip.inum, ip.d.Size)
	}
	b := make([]byte, ip.d.Size)
	if _, err := ip.readAt(b, 0); err != nil {
		return "", false, err
	}
	return string(b), true, nil
}

// walkParent resolves all but the last component of path and returns a
// handle on that directory and the last name. The last name is never
// empty; it may be "." or "..", which the callers refuse where Linux does.
func (fs *FS) walkParent(c Cred, start *inode, path string) (*inode, string, bool, error) {
	comps, abs, mustDir, err := splitPath(path)
	if err != nil {
		return nil, "", false, err
	}
	if len(comps) == 0 {
		return nil, "", false, syscall.EEXIST // "/" is nobody's child
	}
	last := comps[len(comps)-1]
	dp, err := fs.walk(c, start, abs, comps[:len(comps)-1], true, false)
	if me, ok := err.(*MountError); ok {
		// The last name belongs to the mounted file system too.
		if me.Rest != "" {
			me.Rest += "/"
		}
		me.Rest += last
		if mustDir {
			me.Rest += "/"
		}
	}
	if err != nil {
		return nil, "", false, err
	}
	if err := dp.lock(); err != nil {
		fs.put(dp)
		return nil, "", false, err
	}
	isDir := dp.d.Type() == layout.S_IFDIR
	dp.unlock()
	if !isDir {
		fs.put(dp)
		return nil, "", false, syscall.ENOTDIR
	}
	return dp, last, mustDir, nil
}

// resolve looks path up, holding nsMu shared. A symbolic link as the last
// component is followed if follow is set or the path ends in "/".
func (fs *FS) resolve(c Cred, start *inode, path string, follow bool) (*inode, error) {
	comps, abs, mustDir, err := splitPath(path)
	if err != nil {
		return nil, err
	}
	fs.nsMu.RLock()
	ip, err := fs.walk(c, start, abs, comps, follow || mustDir, mustDir)
	fs.nsMu.RUnlock()
	if err == nil && mustDir {
		if err = ip.lock(); err == nil {
			if ip.d.Type() != layout.S_IFDIR {
				err = syscall.ENOTDIR
			}
			ip.unlock()
		}
		if err != nil {
			fs.put(ip)
			return nil, err
		}
	}
	return ip, err
}
