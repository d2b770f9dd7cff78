package file

import "sync"

// FSContext is a process's view of the namespace: its root, its working
// directory and its umask. Threads (CLONE_FS) share one; fork copies it.
type FSContext struct {
	ns    *Namespace
	mu    sync.Mutex
	root  Location
	cwd   Location
	umask uint32
	users int
	owner int // the process's ID, for /proc/self
}

// NewContext returns a context at the namespace's root with umask 022.
func (ns *Namespace) NewContext() *FSContext {
	return &FSContext{ns: ns, root: ns.rootLocation(), cwd: ns.rootLocation(), umask: 0o022, users: 1}
}

// Namespace returns the namespace the context looks at.
func (c *FSContext) Namespace() *Namespace { return c.ns }

// Share adds a user (clone with CLONE_FS) and returns c.
func (c *FSContext) Share() *FSContext {
	c.mu.Lock()
	c.users++
	c.mu.Unlock()
	return c
}

// Fork returns a copy for a child (fork, or clone without CLONE_FS).
func (c *FSContext) Fork() *FSContext {
	c.mu.Lock()
	defer c.mu.Unlock()
	return &FSContext{ns: c.ns, root: c.root.Dup(), cwd: c.cwd.Dup(), umask: c.umask, users: 1, owner: c.owner}
}

// Release drops a user; the last drops the root and cwd handles.
func (c *FSContext) Release() {
	c.mu.Lock()
	c.users--
	last := c.users == 0
	c.mu.Unlock()
	if last {
		c.root.Release()
		c.cwd.Release()
	}
}

// Umask sets the umask to m (its permission bits) and returns the old one.
func (c *FSContext) Umask(m uint32) uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.umask
	c.umask = m & 0o777
	return old
}

// umaskBits returns the umask.
func (c *FSContext) umaskBits() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.umask
}

// Cwd returns a new handle on the working directory.
func (c *FSContext) Cwd() Location {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cwd.Dup()
}

// SetCwd makes loc (a directory; ENOTDIR otherwise) the working directory,
// taking over its handle on success.
func (c *FSContext) SetCwd(loc Location) error {
	if err := isDir(loc); err != nil {
		return err
	}
	c.mu.Lock()
	old := c.cwd
	c.cwd = loc
	c.mu.Unlock()
	old.Release()
	return nil
}

// SetPID records the ID of the process using the context (for
// /proc/self); proc sets it at fork and clone.
func (c *FSContext) SetPID(pid int) {
	c.mu.Lock()
	c.owner = pid
	c.mu.Unlock()
}

func (c *FSContext) pid() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.owner
}

// UmaskBits returns the umask (for /proc/PID/status).
func (c *FSContext) UmaskBits() uint32 { return c.umaskBits() }
