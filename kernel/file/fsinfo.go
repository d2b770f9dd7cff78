package file

import (
	"slices"
	"syscall"
)

// FSInfo is what statfs(2) and /proc/mounts tell about a file system.
type FSInfo struct {
	Source string // /proc/mounts' first column ("/dev/vda", "proc")
	Type   string // its type column ("scfs", "proc", "devtmpfs")
	Magic  int64  // statfs's f_type (Linux's magic numbers where Linux has one)

	BlockSize                       int64
	Blocks, FreeBlocks, AvailBlocks uint64
	Files, FreeFiles                uint64
	NameMax                         int64
	ReadOnly                        bool
}

// Describer is a FileSystem that can describe itself; one that cannot
// reads as an empty file system of type "none".
type Describer interface {
	Info() (FSInfo, error)
}

// Info describes the file system m is.
func (m *Mount) Info() (FSInfo, error) {
	if d, ok := m.FS.(Describer); ok {
		return d.Info()
	}
	return FSInfo{Source: "none", Type: "none", BlockSize: 4096, NameMax: 255}, nil
}

// MountPoint is one line of /proc/mounts.
type MountPoint struct {
	Path string
	Info FSInfo
}

// Mounts lists the namespace's mounts in the order they were made, as
// /proc/mounts does. A file system that fails to describe itself is left
// out.
func (ns *Namespace) Mounts() []MountPoint {
	ns.mu.RLock()
	all := []*Mount{ns.root}
	for _, m := range ns.mounts {
		all = append(all, m)
	}
	ns.mu.RUnlock()
	slices.SortFunc(all, func(a, b *Mount) int { return int(a.dev) - int(b.dev) })
	var out []MountPoint
	for _, m := range all {
		if info, err := m.Info(); err == nil {
			out = append(out, MountPoint{Path: m.path, Info: info})
		}
	}
	return out
}

// StatFS describes the file system that holds the file at path
// (statfs(2)).
func (c *FSContext) StatFS(at Location, path string) (FSInfo, error) {
	loc, err := c.Resolve(at, path, true)
	if err != nil {
		return FSInfo{}, err
	}
	defer loc.Release()
	if loc.Mount == nil {
		return FSInfo{}, syscall.ENOSYS
	}
	return loc.Mount.Info()
}
