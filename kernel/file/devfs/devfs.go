// Package devfs is /dev: the memory devices (null, zero, full, random,
// urandom) and the terminals (console, tty), as a synthetic tree whose
// device nodes open through file.RegisterDevice, so nodes with the same
// numbers on the root file system work too.
package devfs

import (
	"context"
	"crypto/rand"
	"syscall"

	"scone/kernel/file"
	"scone/kernel/net/waiter"
	"scone/kernel/tty"
)

// Device numbers, as Linux's (Documentation/admin-guide/devices.txt).
var (
	Null    = file.Mkdev(1, 3)
	Zero    = file.Mkdev(1, 5)
	Full    = file.Mkdev(1, 7)
	Random  = file.Mkdev(1, 8)
	Urandom = file.Mkdev(1, 9)
	TTY     = file.Mkdev(5, 0)
	Console = file.Mkdev(5, 1)
)

// mem is a memory device; kind says which.
type mem struct {
	kind uint64
	q    waiter.Queue
}

func (m *mem) ReadAt(_ context.Context, p []byte, _ int64) (int, error) {
	switch m.kind {
	case Null:
		return 0, nil
	case Random, Urandom:
		return rand.Read(p)
	}
	clear(p)
	return len(p), nil
}

func (m *mem) WriteAt(_ context.Context, p []byte, _ int64) (int, error) {
	if m.kind == Full {
		return 0, syscall.ENOSPC
	}
	return len(p), nil // writes to random only add entropy on Linux
}

func (m *mem) Stat() (file.Stat, error) {
	return file.Stat{Ino: m.kind, Mode: file.S_IFCHR | 0o666, Nlink: 1, Rdev: m.kind, BlkSize: 4096}, nil
}

func (m *mem) Close() error          { return nil }
func (m *mem) Waiter() *waiter.Queue { return &m.q }
func (m *mem) Readiness(e waiter.Events) waiter.Events {
	return e & (waiter.EventIn | waiter.EventOut)
}

// noPoll is a memory device that epoll refuses, as Linux refuses null,
// zero and full (they have no poll method).
type noPoll struct{ mem }

func (*noPoll) NoPoll() {}

// New registers the devices, with console as the terminal behind
// /dev/console and /dev/tty (one terminal: every process's controlling
// terminal is the console), and returns the tree to mount on /dev.
func New(console *tty.TTY) *file.TreeFS {
	for _, k := range []uint64{Null, Zero, Full} {
		file.RegisterDevice(k, func(int) (file.File, error) { return &noPoll{mem{kind: k}}, nil })
	}
	for _, k := range []uint64{Random, Urandom} {
		file.RegisterDevice(k, func(int) (file.File, error) { return &mem{kind: k}, nil })
	}
	for _, k := range []uint64{TTY, Console} {
		file.RegisterDevice(k, func(int) (file.File, error) {
			if console == nil {
				return nil, syscall.ENXIO
			}
			return console.Open(k), nil
		})
	}
	node := func(rdev uint64, perm uint32) *file.TreeNode {
		return &file.TreeNode{Ino: rdev, Mode: file.S_IFCHR | perm, Rdev: rdev}
	}
	entries := []file.TreeEntry{
		{Name: "console", Node: node(Console, 0o600)},
		{Name: "full", Node: node(Full, 0o666)},
		{Name: "null", Node: node(Null, 0o666)},
		{Name: "random", Node: node(Random, 0o666)},
		{Name: "tty", Node: node(TTY, 0o666)},
		{Name: "urandom", Node: node(Urandom, 0o666)},
		{Name: "zero", Node: node(Zero, 0o666)},
	}
	t := file.NewTreeFS(&file.TreeNode{Ino: 1, Mode: file.S_IFDIR | 0o755,
		Entries: func() []file.TreeEntry { return entries }})
	t.About = file.FSInfo{Source: "devtmpfs", Type: "devtmpfs", Magic: 0x01021994} // TMPFS_MAGIC, as Linux's devtmpfs
	return t
}
