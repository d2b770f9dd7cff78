package file

import "syscall"

// Node is a handle on a file inside one file system. It stays valid
// while held, whatever happens to the file's names.
type Node interface {
	Stat() (Stat, error)
	Dup() Node
	Close() error
}

// FileSystem is a tree the namespace can mount. Operations name a file by
// a directory handle and one path component (never "", "." or ".."
// except in Lookup, which takes ".." too); the namespace walks the path
// and crosses mount points. Symbolic links inside one file system are
// followed by Lookup; Lstat and the calls that change a name do not follow
// the last component. A name may end in "/" where Linux gives that
// meaning (the new name of mkdir, rename, link).
type FileSystem interface {
	Root() (Node, error)
	// Lookup and Readlink get the calling process's ID, for /proc/self.
	Lookup(pid int, dir Node, name string) (Node, error)
	Lstat(dir Node, name string) (Stat, error)
	// Open makes an open File of n. Under O_TRUNC a regular file is
	// emptied; the namespace has checked O_DIRECTORY and the like.
	Open(n Node, flags int) (File, error)
	// Create makes a regular file name in dir with permissions perm
	// (EEXIST under O_EXCL if it exists; otherwise an existing file is
	// returned) and returns a handle on it.
	Create(dir Node, name string, flags int, perm uint32) (Node, error)
	Mkdir(dir Node, name string, perm uint32) error
	Mknod(dir Node, name string, mode uint32, dev uint64) error
	Unlink(dir Node, name string) error
	Rmdir(dir Node, name string) error
	// Rename takes renameat2's flags (RenameNoreplace, RenameExchange).
	Rename(odir Node, oname string, ndir Node, nname string, flags uint) error
	// Link follows a symbolic link named by oname only if follow is set
	// (linkat's AT_SYMLINK_FOLLOW).
	Link(odir Node, oname string, ndir Node, nname string, follow bool) error
	Symlink(target string, dir Node, name string) error
	Readlink(pid int, dir Node, name string) (string, error)
	// SetAttr sets the permission bits (perm >= 0) and the modification
	// time in nanoseconds (mtime >= 0); a negative value keeps the old one.
	SetAttr(n Node, perm int64, mtime int64) error
	Sync() error
}

// renameat2 flags (Linux's values).
const (
	RenameNoreplace = 1 // fail with EEXIST if the new name exists
	RenameExchange  = 2 // swap the two names, which must both exist
)

// ReadOnlyFS gives the mutating half of FileSystem to synthetic file
// systems (/dev, /proc): every change fails with EROFS.
type ReadOnlyFS struct{}

func (ReadOnlyFS) Create(Node, string, int, uint32) (Node, error) { return nil, syscall.EROFS }
func (ReadOnlyFS) Mkdir(Node, string, uint32) error               { return syscall.EROFS }
func (ReadOnlyFS) Mknod(Node, string, uint32, uint64) error       { return syscall.EROFS }
func (ReadOnlyFS) Unlink(Node, string) error                      { return syscall.EROFS }
func (ReadOnlyFS) Rmdir(Node, string) error                       { return syscall.EROFS }
func (ReadOnlyFS) Rename(Node, string, Node, string, uint) error  { return syscall.EROFS }
func (ReadOnlyFS) Link(Node, string, Node, string, bool) error    { return syscall.EROFS }
func (ReadOnlyFS) Symlink(string, Node, string) error             { return syscall.EROFS }
func (ReadOnlyFS) SetAttr(Node, int64, int64) error               { return syscall.EROFS }
func (ReadOnlyFS) Sync() error                                    { return nil }

// Mount is one file system in the namespace: at the root, or over a
// directory of its parent.
type Mount struct {
	FS      FileSystem
	root    Node
	rootIno uint64
	dev     uint64   // st_dev of its files
	path    string   // where it was mounted, for /proc/mounts
	parent  *Mount   // nil for the root mount
	at      Location // the directory it covers, in parent
}

// Location is a place in the namespace: a node and the mount it is in.
// A Location holds a handle: Dup to keep a copy, Release when done.
type Location struct {
	Mount *Mount
	Node  Node
	Ino   uint64
}

// Dup returns a copy with its own handle.
func (l Location) Dup() Location {
	return Location{Mount: l.Mount, Node: l.Node.Dup(), Ino: l.Ino}
}

// Release drops the handle.
func (l Location) Release() {
	if l.Node != nil {
		l.Node.Close()
	}
}

// same reports whether two locations name the same file.
func (l Location) same(o Location) bool { return l.Mount == o.Mount && l.Ino == o.Ino }

// newLocation wraps a node, reading its inode number.
func newLocation(m *Mount, n Node) (Location, error) {
	st, err := n.Stat()
	if err != nil {
		n.Close()
		return Location{}, err
	}
	return Location{Mount: m, Node: n, Ino: st.Ino}, nil
}
