package file

import (
	"context"
	"strings"
	"syscall"

	"scone/kernel/net/waiter"
)

// TreeNode is a node of a synthetic file system (/dev, /proc): a
// directory whose entries are computed at each lookup or listing, a file
// opened by a function, a device node, or a symbolic link.
type TreeNode struct {
	Ino     uint64
	Mode    uint32                        // S_IFMT type | permissions
	Rdev    uint64                        // of a device node, opened through RegisterDevice
	Entries func() []TreeEntry            // of a directory
	Open    func(flags int) (File, error) // of a regular file
	Target  func(pid int) (string, error) // of a symbolic link; pid is the caller's
	Size    func() int64                  // of a regular file; nil for 0, as Linux's /proc says
}

// TreeEntry names a node in a directory.
type TreeEntry struct {
	Name string
	Node *TreeNode
}

// TreeFS is a read-only file system of TreeNodes.
type TreeFS struct {
	ReadOnlyFS
	root *TreeNode
	// About is what statfs and /proc/mounts say of it (its source, type
	// and magic); the counts are zero, as for Linux's proc.
	About FSInfo
}

// Info describes the tree for statfs: About, read-only, 4 KiB blocks.
func (t *TreeFS) Info() (FSInfo, error) {
	i := t.About
	i.BlockSize, i.NameMax, i.ReadOnly = 4096, 255, true
	return i, nil
}

// NewTreeFS returns a file system with root as its root directory.
func NewTreeFS(root *TreeNode) *TreeFS { return &TreeFS{root: root} }

// treeHandle is a node with the path that led to it, for "..".
type treeHandle struct {
	n  *TreeNode
	up *treeHandle
}

func (h *treeHandle) Dup() Node    { return h }
func (h *treeHandle) Close() error { return nil }
func (h *treeHandle) Stat() (Stat, error) {
	n := h.n
	st := Stat{Ino: n.Ino, Mode: n.Mode, Nlink: 1, Rdev: n.Rdev, BlkSize: 1024}
	switch {
	case n.Mode&S_IFMT == S_IFDIR:
		st.Nlink = 2
	case n.Size != nil:
		st.Size = n.Size()
	}
	return st, nil
}

func (t *TreeFS) Root() (Node, error) { return &treeHandle{n: t.root}, nil }

// find looks name up in the directory h.
func (h *treeHandle) find(name string) (*treeHandle, error) {
	switch name {
	case ".":
		return h, nil
	case "..":
		if h.up == nil {
			return h, nil
		}
		return h.up, nil
	}
	if h.n.Mode&S_IFMT != S_IFDIR {
		return nil, syscall.ENOTDIR
	}
	for _, e := range h.n.Entries() {
		if e.Name == name {
			return &treeHandle{n: e.Node, up: h}, nil
		}
	}
	return nil, syscall.ENOENT
}

// Lookup finds name in dir, following symbolic links (relative ones,
// within this file system) up to 40 deep.
func (t *TreeFS) Lookup(pid int, dir Node, name string) (Node, error) {
	h, err := dir.(*treeHandle).find(name)
	for hops := 0; err == nil && h.n.Mode&S_IFMT == S_IFLNK; hops++ {
		if hops == 40 {
			return nil, syscall.ELOOP
		}
		target, terr := h.n.Target(pid)
		if terr != nil {
			return nil, terr
		}
		if strings.HasPrefix(target, "/") {
			return nil, syscall.EXDEV // links out of a synthetic tree are not followed
		}
		h = h.up
		for _, p := range strings.Split(target, "/") {
			if p == "" {
				continue
			}
			if h, err = h.find(p); err != nil {
				break
			}
		}
	}
	return h, err
}

func (t *TreeFS) Lstat(dir Node, name string) (Stat, error) {
	h, err := dir.(*treeHandle).find(name)
	if err != nil {
		return Stat{}, err
	}
	return h.Stat()
}

func (t *TreeFS) Readlink(pid int, dir Node, name string) (string, error) {
	h, err := dir.(*treeHandle).find(name)
	if err != nil {
		return "", err
	}
	if h.n.Mode&S_IFMT != S_IFLNK {
		return "", syscall.EINVAL
	}
	return h.n.Target(pid)
}

func (t *TreeFS) Open(n Node, flags int) (File, error) {
	h := n.(*treeHandle)
	switch h.n.Mode & S_IFMT {
	case S_IFDIR:
		return &treeDir{h: h}, nil
	case S_IFCHR:
		return OpenDevice(h.n.Rdev, flags)
	case S_IFLNK:
		return nil, syscall.ELOOP
	}
	if h.n.Open == nil {
		return nil, syscall.ENXIO
	}
	return h.n.Open(flags)
}

// treeDir is an open synthetic directory. Offsets are entry indexes:
// 0 ".", 1 "..", 2 the first computed entry.
type treeDir struct {
	h *treeHandle
	q waiter.Queue
}

func (d *treeDir) ReadDir(off int64, fn func(Dirent) bool) error {
	if off < 0 {
		return syscall.EINVAL
	}
	up := d.h
	if d.h.up != nil {
		up = d.h.up
	}
	all := append([]TreeEntry{{".", d.h.n}, {"..", up.n}}, d.h.n.Entries()...)
	for i := off; i < int64(len(all)); i++ {
		e := all[i]
		if !fn(Dirent{Name: e.Name, Ino: e.Node.Ino, Type: DirType(e.Node.Mode), Next: i + 1}) {
			break
		}
	}
	return nil
}

func (d *treeDir) Stat() (Stat, error)   { return d.h.Stat() }
func (d *treeDir) Close() error          { return nil }
func (d *treeDir) Waiter() *waiter.Queue { return &d.q }
func (d *treeDir) Readiness(m waiter.Events) waiter.Events {
	return m & (waiter.EventIn | waiter.EventOut)
}

// TextFile returns an OpenFunc for a read-only file whose contents gen
// makes at open (a /proc file: one open sees one consistent snapshot).
// Opening it for writing fails with EACCES.
func TextFile(ino uint64, gen func() ([]byte, error)) OpenFunc {
	return func(flags int) (File, error) {
		if flags&O_ACCMODE != O_RDONLY {
			return nil, syscall.EACCES
		}
		b, err := gen()
		if err != nil {
			return nil, err
		}
		return &textFile{b: b, ino: ino}, nil
	}
}

type textFile struct {
	b   []byte
	ino uint64
	q   waiter.Queue
}

func (f *textFile) ReadAt(_ context.Context, p []byte, off int64) (int, error) {
	if off >= int64(len(f.b)) {
		return 0, nil
	}
	return copy(p, f.b[off:]), nil
}

func (f *textFile) WriteAt(context.Context, []byte, int64) (int, error) { return 0, syscall.EBADF }
func (f *textFile) Stat() (Stat, error) {
	return Stat{Ino: f.ino, Mode: S_IFREG | 0o444, Nlink: 1, BlkSize: 1024}, nil
}
func (f *textFile) Close() error          { return nil }
func (f *textFile) Waiter() *waiter.Queue { return &f.q }
func (f *textFile) Readiness(m waiter.Events) waiter.Events {
	return m & (waiter.EventIn | waiter.EventOut)
}

// ControlFile returns an OpenFunc for a write-only file (a /proc/sys
// control): each write hands its bytes to set, whose error the write
// returns.  Opening it for reading fails with EACCES, as Linux's mode
// 0200 files do even for root.
func ControlFile(ino uint64, set func([]byte) error) OpenFunc {
	return func(flags int) (File, error) {
		if flags&O_ACCMODE != O_WRONLY {
			return nil, syscall.EACCES
		}
		return &controlFile{set: set, ino: ino}, nil
	}
}

type controlFile struct {
	set func([]byte) error
	ino uint64
	q   waiter.Queue
}

func (f *controlFile) ReadAt(context.Context, []byte, int64) (int, error) { return 0, syscall.EBADF }
func (f *controlFile) WriteAt(_ context.Context, p []byte, _ int64) (int, error) {
	if err := f.set(p); err != nil {
		return 0, err
	}
	return len(p), nil
}
func (f *controlFile) Stat() (Stat, error) {
	return Stat{Ino: f.ino, Mode: S_IFREG | 0o200, Nlink: 1, BlkSize: 1024}, nil
}
func (f *controlFile) Close() error          { return nil }
func (f *controlFile) Waiter() *waiter.Queue { return &f.q }
func (f *controlFile) Readiness(m waiter.Events) waiter.Events {
	return m & (waiter.EventIn | waiter.EventOut)
}
