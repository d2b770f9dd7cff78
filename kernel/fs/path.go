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

// walk resolves comps from start (the root if nil or abs) and returns a
// handle on the result. It holds one inode lock at a time, so it never
// deadlocks against another walk; the caller holds nsMu (shared or
// exclusive), so every directory it passes through stays linked.
func (fs *FS) walk(start *Inode, abs bool, comps []string) (*Inode, error) {
	var ip *Inode
	if start == nil || abs {
		ip = fs.iget(layout.RootInum)
	} else {
		ip = start.dup()
	}
	for _, name := range comps {
		if err := ip.lock(); err != nil {
			fs.put(ip)
			return nil, err
		}
		if ip.d.Type() != layout.S_IFDIR {
			ip.unlock()
			fs.put(ip)
			return nil, syscall.ENOTDIR
		}
		inum, _, err := ip.lookup(name)
		ip.unlock()
		fs.put(ip)
		if err != nil {
			return nil, err
		}
		ip = fs.iget(inum)
	}
	return ip, nil
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
	dp, err := fs.walk(start, abs, comps[:len(comps)-1])
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

// resolve looks path up, holding nsMu shared.
func (fs *FS) resolve(start *Inode, path string) (*Inode, error) {
	comps, abs, mustDir, err := splitPath(path)
	if err != nil {
		return nil, err
	}
	fs.nsMu.RLock()
	ip, err := fs.walk(start, abs, comps)
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
