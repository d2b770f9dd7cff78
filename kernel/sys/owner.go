package sys

import (
	"syscall"

	"golang.org/x/sys/unix"

	"scone/kernel/file"
	"scone/kernel/proc"
)

// The owner calls: chown, lchown, fchown, fchownat. Everyone is root, so
// any owner may be set; an ID of -1 keeps the old one.
func init() {
	Register(unix.SYS_CHOWN, "chown", func(t *proc.Thread, a Args) (uintptr, error) {
		return fchownat(t, atFDCWD, a[0], a[1], a[2], 0)
	})
	Register(unix.SYS_LCHOWN, "lchown", func(t *proc.Thread, a Args) (uintptr, error) {
		return fchownat(t, atFDCWD, a[0], a[1], a[2], atSymlinkNofollow)
	})
	Register(unix.SYS_FCHOWNAT, "fchownat", func(t *proc.Thread, a Args) (uintptr, error) {
		return fchownat(t, a[0], a[1], a[2], a[3], a[4])
	})
	Register(unix.SYS_FCHOWN, "fchown", func(t *proc.Thread, a Args) (uintptr, error) {
		d, err := getFD(t, a[0])
		if err != nil {
			return 0, err
		}
		defer d.DecRef()
		return ok(fchown(d, a[1], a[2]))
	})
}

// idArg is a uid_t or gid_t argument: -1 (keep) as a negative number.
func idArg(v uintptr) int64 {
	if uint32(v) == ^uint32(0) {
		return -1
	}
	return int64(uint32(v))
}

func fchownat(t *proc.Thread, dirfd, pathVA, uid, gid, flags uintptr) (uintptr, error) {
	fl := int(int32(flags))
	if fl&^(atSymlinkNofollow|atEmptyPath) != 0 {
		return 0, syscall.EINVAL
	}
	path, err := pathArg(t, pathVA)
	if err == syscall.ENOENT && fl&atEmptyPath != 0 {
		d, err := getFD(t, dirfd)
		if err != nil {
			return 0, err
		}
		defer d.DecRef()
		return ok(fchown(d, uid, gid))
	}
	if err != nil {
		return 0, err
	}
	at, done, err := dirArg(t, dirfd, path)
	if err != nil {
		return 0, err
	}
	defer done()
	return ok(t.Proc().FS.Chown(at, path, fl&atSymlinkNofollow == 0, idArg(uid), idArg(gid)))
}

// fchown changes the owner of an open file through where it was opened.
func fchown(d *file.Description, uid, gid uintptr) error {
	loc := d.Location()
	if loc.Node == nil {
		return syscall.EPERM // a pipe or socket: nothing keeps its owner
	}
	return file.ChownNode(loc.Mount.FS, loc.Node, idArg(uid), idArg(gid))
}
