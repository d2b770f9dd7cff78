// Package diskfs joins kernel/fs to the namespace of kernel/file: it is
// the one place that knows kernel/fs's API, so changes there touch only
// this file.
package diskfs

import (
	"context"
	"syscall"

	"scone/kernel/file"
	"scone/kernel/fs"
	"scone/kernel/fs/layout"
	"scone/kernel/net/waiter"
)

// FS is a mounted kernel/fs file system as a file.FileSystem.
type FS struct {
	fs *fs.FS
}

// New wraps a mounted file system.
func New(f *fs.FS) *FS { return &FS{fs: f} }

// node is a handle on an inode.
type node struct{ ip *fs.Handle }

func ip(n file.Node) *fs.Handle { return n.(node).ip }

func (n node) Stat() (file.Stat, error) {
	st, err := n.ip.Stat()
	return convert(st), err
}
func (n node) Dup() file.Node {
	h, err := n.ip.Dup()
	if err != nil {
		return n // closed already: every use gives EBADF
	}
	return node{h}
}
func (n node) Close() error { return n.ip.Close() }

// convert turns kernel/fs's Stat into the file layer's; kernel/fs keeps no
// access time, so it reads as the modification time.
func convert(st fs.Stat) file.Stat {
	return file.Stat{Ino: st.Ino, Mode: st.Mode, Nlink: st.Nlink, UID: st.UID, GID: st.GID,
		Rdev: file.Mkdev(st.Major, st.Minor), Size: st.Size, Blocks: st.Blocks, BlkSize: st.BlkSize,
		Atime: st.Mtime, Mtime: st.Mtime, Ctime: st.Ctime}
}

func (f *FS) Root() (file.Node, error) { return node{f.fs.Root()}, nil }

func (f *FS) Lookup(_ int, dir file.Node, name string) (file.Node, error) {
	i, err := f.fs.Lookup(nil, ip(dir), name)
	if err != nil {
		return nil, err
	}
	return node{i}, nil
}

func (f *FS) Lstat(dir file.Node, name string) (file.Stat, error) {
	st, err := f.fs.Lstat(nil, ip(dir), name)
	return convert(st), err
}

func (f *FS) Open(n file.Node, flags int) (file.File, error) {
	st, err := n.Stat()
	if err != nil {
		return nil, err
	}
	switch st.Mode & file.S_IFMT {
	case file.S_IFREG:
		// Even an empty file: O_TRUNC stamps mtime and ctime, as in Linux.
		if flags&syscall.O_TRUNC != 0 && flags&file.O_ACCMODE != file.O_RDONLY {
			if err := ip(n).Truncate(0); err != nil {
				return nil, err
			}
		}
		h, err := ip(n).Dup()
		if err != nil {
			return nil, err
		}
		return &regular{ip: h, fs: f.fs}, nil
	case file.S_IFDIR:
		h, err := ip(n).Dup()
		if err != nil {
			return nil, err
		}
		return &dir{ip: h, fs: f.fs}, nil
	case file.S_IFCHR:
		return file.OpenDevice(st.Rdev, flags)
	case file.S_IFLNK:
		return nil, syscall.ELOOP
	}
	// FIFOs, sockets and block devices on disk have no driver here.
	return nil, syscall.ENXIO
}

func (f *FS) Create(dir file.Node, name string, flags int, perm uint32) (file.Node, error) {
	i, err := f.fs.Open(nil, ip(dir), name, fs.O_CREAT|flags&fs.O_EXCL, perm)
	if err != nil {
		return nil, err
	}
	return node{i}, nil
}

func (f *FS) Mkdir(dir file.Node, name string, perm uint32) error {
	return f.fs.Mkdir(nil, ip(dir), name, perm)
}

func (f *FS) Mknod(dir file.Node, name string, mode uint32, dev uint64) error {
	major := uint32(dev>>8&0xfff | dev>>32&^0xfff)
	minor := uint32(dev&0xff | dev>>12&^0xff)
	return f.fs.Mknod(nil, ip(dir), name, mode, major, minor)
}

func (f *FS) Unlink(dir file.Node, name string) error { return f.fs.Unlink(nil, ip(dir), name) }
func (f *FS) Rmdir(dir file.Node, name string) error  { return f.fs.Rmdir(nil, ip(dir), name) }

func (f *FS) Rename(odir file.Node, oname string, ndir file.Node, nname string, flags uint) error {
	return f.fs.Rename(nil, ip(odir), oname, ip(ndir), nname, flags)
}

func (f *FS) Link(odir file.Node, oname string, ndir file.Node, nname string, follow bool) error {
	return f.fs.Link(nil, ip(odir), oname, ip(ndir), nname, follow)
}

func (f *FS) Symlink(target string, dir file.Node, name string) error {
	return f.fs.Symlink(nil, target, ip(dir), name)
}

func (f *FS) Readlink(_ int, dir file.Node, name string) (string, error) {
	return f.fs.Readlink(nil, ip(dir), name)
}

func (f *FS) SetAttr(n file.Node, perm, mtime int64) error {
	if perm >= 0 {
		if err := ip(n).Chmod(uint32(perm)); err != nil {
			return err
		}
	}
	if mtime < 0 {
		return nil
	}
	return ip(n).Utimens(fs.UtimeOmit, mtime)
}

func (f *FS) Sync() error { return f.fs.Sync() }

// regular is an open regular file. Disk files are always ready, as on
// Linux.
type regular struct {
	ip *fs.Handle
	fs *fs.FS
	q  waiter.Queue
}

func (r *regular) ReadAt(_ context.Context, p []byte, off int64) (int, error) {
	return r.ip.ReadAt(p, off)
}

func (r *regular) WriteAt(_ context.Context, p []byte, off int64) (int, error) {
	return r.ip.WriteAt(p, off)
}

func (r *regular) Append(_ context.Context, p []byte) (int, int64, error) {
	n, off, err := r.ip.Append(p)
	return n, off + int64(n), err
}

func (r *regular) NoPoll()                   {}
func (r *regular) Stat() (file.Stat, error)  { return node{r.ip}.Stat() }
func (r *regular) Truncate(size int64) error { return r.ip.Truncate(size) }
func (r *regular) Sync() error               { return r.fs.Sync() }
func (r *regular) Close() error              { return r.ip.Close() }
func (r *regular) Waiter() *waiter.Queue     { return &r.q }
func (r *regular) Readiness(mask waiter.Events) waiter.Events {
	return mask & (waiter.EventIn | waiter.EventOut)
}

// dir is an open directory.
type dir struct {
	ip *fs.Handle
	fs *fs.FS
	q  waiter.Queue
}

func (d *dir) ReadDir(off int64, fn func(file.Dirent) bool) error {
	if off < 0 {
		return syscall.EINVAL
	}
	return d.ip.ReadDir(uint64(off), func(e fs.DirEntry) bool {
		return fn(file.Dirent{Name: e.Name, Ino: e.Ino, Type: e.Type, Next: int64(e.Next)})
	})
}

func (d *dir) NoPoll()                  {}
func (d *dir) Stat() (file.Stat, error) { return node{d.ip}.Stat() }
func (d *dir) Sync() error              { return d.fs.Sync() }
func (d *dir) Close() error             { return d.ip.Close() }
func (d *dir) Waiter() *waiter.Queue    { return &d.q }
func (d *dir) Readiness(mask waiter.Events) waiter.Events {
	return mask & (waiter.EventIn | waiter.EventOut)
}

func (f *FS) Chown(n file.Node, uid, gid int64) error { return ip(n).Chown(uid, gid) }

// LchownName changes the owner of dir's entry name itself, a symbolic
// link included (lchown).
func (f *FS) LchownName(dir file.Node, name string, uid, gid int64) error {
	return f.fs.Lchown(nil, ip(dir), name, uid, gid)
}

// diskMagic is statfs's f_type for kernel/fs: its superblock magic
// ("SCFS"), as ext4 reports its own.
const diskMagic = layout.Magic

// Info describes the disk for statfs and /proc/mounts.
func (f *FS) Info() (file.FSInfo, error) {
	st, err := f.fs.StatFS()
	if err != nil {
		return file.FSInfo{}, err
	}
	return file.FSInfo{Source: "/dev/vda", Type: "scfs", Magic: diskMagic, BlockSize: st.BlockSize,
		Blocks: st.Blocks, FreeBlocks: st.FreeBlocks, AvailBlocks: st.FreeBlocks,
		Files: st.Inodes, FreeFiles: st.FreeInodes, NameMax: st.NameMax}, nil
}
