package file

import (
	"strings"
	"sync"
	"syscall"
)

// Namespace is the tree every process sees: a root file system with others
// mounted over its directories (/dev, /proc).
type Namespace struct {
	mu     sync.RWMutex
	root   *Mount
	mounts map[mountKey]*Mount
	ndev   uint32 // mounts made, for st_dev numbers
}

// mountKey names a directory covered by a mount.
type mountKey struct {
	parent *Mount
	ino    uint64
}

// maxPath is PATH_MAX, counting the terminating NUL.
const maxPath = 4096

// NewNamespace returns a namespace with fsys at its root.
func NewNamespace(fsys FileSystem) (*Namespace, error) {
	m, err := newMount(fsys)
	if err != nil {
		return nil, err
	}
	m.dev, m.path = Mkdev(0, 1), "/"
	return &Namespace{root: m, mounts: make(map[mountKey]*Mount), ndev: 1}, nil
}

func newMount(fsys FileSystem) (*Mount, error) {
	n, err := fsys.Root()
	if err != nil {
		return nil, err
	}
	st, err := n.Stat()
	if err != nil {
		n.Close()
		return nil, err
	}
	return &Mount{FS: fsys, root: n, rootIno: st.Ino}, nil
}

// Mount puts fsys over the directory at path (an absolute path).
func (ns *Namespace) Mount(path string, fsys FileSystem) error {
	c := ns.NewContext()
	defer c.Release()
	at, err := c.Resolve(Location{}, path, true)
	if err != nil {
		return err
	}
	st, err := at.Node.Stat()
	if err == nil && st.Mode&S_IFMT != S_IFDIR {
		err = syscall.ENOTDIR
	}
	if err != nil {
		at.Release()
		return err
	}
	m, err := newMount(fsys)
	if err != nil {
		at.Release()
		return err
	}
	m.parent, m.at = at.Mount, at
	names, _ := splitPath(path)
	m.path = "/" + strings.Join(names, "/")
	ns.mu.Lock()
	defer ns.mu.Unlock()
	k := mountKey{at.Mount, at.Ino}
	if ns.mounts[k] != nil {
		m.root.Close()
		at.Release()
		return syscall.EBUSY
	}
	ns.ndev++
	m.dev = Mkdev(0, ns.ndev)
	ns.mounts[k] = m
	return nil
}

// rootLocation returns a new handle on the namespace's root.
func (ns *Namespace) rootLocation() Location {
	return Location{Mount: ns.root, Node: ns.root.root.Dup(), Ino: ns.root.rootIno}
}

// covering returns the mount over loc, or nil.
func (ns *Namespace) covering(loc Location) *Mount {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	return ns.mounts[mountKey{loc.Mount, loc.Ino}]
}

// enter moves loc into whatever is mounted on it (repeatedly), taking
// over loc's handle.
func (ns *Namespace) enter(loc Location) Location {
	for i := 0; i < 40; i++ {
		m := ns.covering(loc)
		if m == nil {
			break
		}
		loc.Release()
		loc = Location{Mount: m, Node: m.root.Dup(), Ino: m.rootIno}
	}
	return loc
}

// splitPath breaks a path into its components, dropping empty ones, and
// reports whether it ends in "/".
func splitPath(path string) (parts []string, slash bool) {
	slash = strings.HasSuffix(path, "/")
	for _, p := range strings.Split(path, "/") {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return parts, slash
}

// checkPath refuses empty paths (ENOENT) and long ones (ENAMETOOLONG).
func checkPath(path string) error {
	switch {
	case path == "":
		return syscall.ENOENT
	case len(path) >= maxPath:
		return syscall.ENAMETOOLONG
	}
	for _, p := range strings.Split(path, "/") {
		if len(p) > 255 {
			return syscall.ENAMETOOLONG
		}
	}
	return nil
}

// Close drops the namespace's handles on its mount points and roots, so
// the file systems can be unmounted. Contexts must be released first.
func (ns *Namespace) Close() {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	for k, m := range ns.mounts {
		m.root.Close()
		m.at.Release()
		delete(ns.mounts, k)
	}
	ns.root.root.Close()
}

// Sync makes every mounted file system durable (sync(2)).
func (ns *Namespace) Sync() error {
	ns.mu.RLock()
	all := []*Mount{ns.root}
	for _, m := range ns.mounts {
		all = append(all, m)
	}
	ns.mu.RUnlock()
	var first error
	for _, m := range all {
		if err := m.FS.Sync(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
