package procfs

import (
	"strconv"
	"syscall"

	"scone/kernel/file"
)

// FDProvider is a Provider that can show a process's descriptors, for
// /proc/PID/fd: a symbolic link per open descriptor to what it names.
type FDProvider interface {
	// FDs lists pid's open descriptors and their access modes (O_RDONLY,
	// O_WRONLY, O_RDWR); false if the process is gone.
	FDs(pid int) ([]FD, bool)
	// FDPath is the link's target (file.FSContext.PathOf) as process
	// caller sees it.
	FDPath(caller, pid, fd int) (string, error)
}

// FD is one open descriptor.
type FD struct {
	Num    int
	Access int // the open access mode
}

// inoFD numbers the links of /proc/PID/fd apart from everything else.
const inoFD = 1 << 48

// fdDir is /proc/PID/fd. Each link's permissions show its access mode,
// as Linux's (lr-x for reading, l-wx for writing, lrwx for both).
// Opening one opens the path it shows, which is Linux's behaviour for
// files and directories; a pipe or socket cannot be reopened that way
// (ENOENT), where Linux reopens the same object.
func fdDir(fp FDProvider, pid int) *file.TreeNode {
	return &file.TreeNode{Ino: uint64(pid)<<8 | 6, Mode: file.S_IFDIR | 0o500, Entries: func() []file.TreeEntry {
		fds, _ := fp.FDs(pid)
		var es []file.TreeEntry
		for _, fd := range fds {
			mode := uint32(0o700)
			switch fd.Access {
			case file.O_RDONLY:
				mode = 0o500
			case file.O_WRONLY:
				mode = 0o300
			}
			es = append(es, file.TreeEntry{Name: strconv.Itoa(fd.Num), Node: &file.TreeNode{
				Ino: inoFD | uint64(pid)<<24 | uint64(fd.Num), Mode: file.S_IFLNK | mode,
				Target: func(caller int) (string, error) {
					p, err := fp.FDPath(caller, pid, fd.Num)
					if err == syscall.EBADF {
						err = syscall.ENOENT // closed since the listing
					}
					return p, err
				}}})
		}
		return es
	}}
}
