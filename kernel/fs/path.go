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
// the last, and in the last too if followLast. It holds one inode lock at
// a time, so it never deadlocks against another walk; the caller holds
// nsMu (shared or exclusive), so every directory it passes through stays
// linked.
func (fs *FS) walk(start *Inode, abs bool, comps []string, followLast bool) (*Inode, error) {
	var ip *Inode
	if start == nil || abs {
		ip = fs.iget(layout.RootInum)
	} else {
		ip = start.dup()
	}
	links := 0
	for len(comps) > 0 {
		name := comps[0]
		comps = comps[1:]
		inum, err := ip.child(name)
		if err != nil {
			fs.put(ip)
			return nil, err
		}
		next := fs.iget(inum)
		if len(comps) == 0 && !followLast {
			fs.put(ip)
			ip = next
			break
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

// child looks name up in directory ip. A removed directory (still
// someone's working directory) is empty, and its ".." may name an inode
// already freed and reused, so only "." is found in it, as in Linux.
func (ip *Inode) child(name string) (uint32, error) {
	if err := ip.lock(); err != nil {
		return 0, err
	}
	defer ip.unlock()
	inum, _, err := ip.lookup(name) // ENOTDIR if ip is not a directory
	if err == nil && ip.d.Nlink == 0 && name != "." {
		return 0, syscall.ENOENT
	}
	return inum, err
}

// readlink returns the target of a symbolic link, or isLink false.
func (ip *Inode) readlink() (string, bool, error) {
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
func (fs *FS) walkParent(start *Inode, path string) (*Inode, string, bool, error) {
	comps, abs, mustDir, err := splitPath(path)
	if err != nil {
		return nil, "", false, err
	}
	if len(comps) == 0 {
		return nil, "", false, syscall.EEXIST // "/" is nobody's child
	}
	dp, err := fs.walk(start, abs, comps[:len(comps)-1], true)
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
	return dp, comps[len(comps)-1], mustDir, nil
}

// resolve looks path up, holding nsMu shared. A symbolic link as the last
// component is followed if follow is set or the path ends in "/".
func (fs *FS) resolve(start *Inode, path string, follow bool) (*Inode, error) {
	comps, abs, mustDir, err := splitPath(path)
	if err != nil {
		return nil, err
	}
	fs.nsMu.RLock()
	ip, err := fs.walk(start, abs, comps, follow || mustDir)
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
