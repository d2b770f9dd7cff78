package procfs

import (
	"bytes"
	"strconv"
	"syscall"

	"scone/kernel/file"
)

// CacheDropper is what /proc/sys/vm/drop_caches asks of the kernel.  A
// Provider that implements it gets /proc/sys.
type CacheDropper interface {
	// DropCaches frees clean cached blocks (what&1) and the kernel's
	// reclaimable memory (what&2), as Linux's drop_caches does its page
	// cache and slab.
	DropCaches(what int)
}

const (
	inoSys        = 7
	inoSysVM      = 8
	inoDropCaches = 9
)

// sysDir is /proc/sys/vm/drop_caches.
func sysDir(d CacheDropper) *file.TreeNode {
	drop := &file.TreeNode{Ino: inoDropCaches, Mode: file.S_IFREG | 0o200,
		Open: file.ControlFile(inoDropCaches, func(b []byte) error {
			what, err := parseDropCaches(b)
			if err != nil {
				return err
			}
			d.DropCaches(what)
			return nil
		})}
	vm := &file.TreeNode{Ino: inoSysVM, Mode: file.S_IFDIR | 0o555, Entries: func() []file.TreeEntry {
		return []file.TreeEntry{{Name: "drop_caches", Node: drop}}
	}}
	return &file.TreeNode{Ino: inoSys, Mode: file.S_IFDIR | 0o555, Entries: func() []file.TreeEntry {
		return []file.TreeEntry{{Name: "vm", Node: vm}}
	}}
}

// parseDropCaches reads a write to drop_caches as Linux's
// proc_dointvec_minmax does: a decimal number 1-4 with white space
// around it, else EINVAL.  4 only quiets Linux's log message.
func parseDropCaches(b []byte) (int, error) {
	n, err := strconv.Atoi(string(bytes.TrimSpace(b)))
	if err != nil || n < 1 || n > 4 {
		return 0, syscall.EINVAL
	}
	return n, nil
}
