package sys

import (
	"encoding/binary"
	"syscall"

	"scone/kernel/file"
	"scone/kernel/mem"
	"scone/kernel/proc"
)

// Helpers the file system calls share: descriptors, paths, directory
// descriptors and little-endian user integers.

// atFDCWD is AT_FDCWD: the *at calls' "relative to the working
// directory", as the register holds it (a C int -100).
const atFDCWD = uintptr(0xffffffffffffff9c)

// *at flags (Linux's values).
const (
	atSymlinkNofollow = 0x100
	atRemovedir       = 0x200
	atEaccess         = 0x200
	atSymlinkFollow   = 0x400
	atNoAutomount     = 0x800
	atEmptyPath       = 0x1000
	atStatxSyncMask   = 0x6000
)

// fdArg is an fd argument: Linux reads it as a C int.
func fdArg(v uintptr) int { return int(int32(v)) }

// getFD returns fd's description with a reference to drop.
func getFD(t *proc.Thread, fd uintptr) (*file.Description, error) {
	return t.Proc().Files.Get(fdArg(fd))
}

// pathArg copies in a path: EFAULT for a bad pointer, ENAMETOOLONG past
// PATH_MAX, ENOENT for "".
func pathArg(t *proc.Thread, va uintptr) (string, error) {
	p, err := t.Mem().CopyInString(va, 4096)
	if err == nil && p == "" {
		err = syscall.ENOENT
	}
	return p, err
}

// dirArg returns the directory a relative path of an *at call starts
// from, and a function to let it go. AT_FDCWD and absolute paths need no
// descriptor; otherwise dirfd must be open (EBADF) on a directory
// (ENOTDIR).
func dirArg(t *proc.Thread, dirfd uintptr, path string) (file.Location, func(), error) {
	nop := func() {}
	if fdArg(dirfd) == fdArg(atFDCWD) || (path != "" && path[0] == '/') {
		return file.Location{}, nop, nil
	}
	d, err := getFD(t, dirfd)
	if err != nil {
		return file.Location{}, nop, err
	}
	loc := d.Location()
	if loc.Node == nil {
		d.DecRef()
		return file.Location{}, nop, syscall.ENOTDIR
	}
	if path != "" {
		if st, err := loc.Node.Stat(); err != nil || st.Mode&file.S_IFMT != file.S_IFDIR {
			d.DecRef()
			return file.Location{}, nop, syscall.ENOTDIR
		}
	}
	return loc, func() { d.DecRef() }, nil
}

// atPath reads the (dirfd, path) pair of an *at call.
func atPath(t *proc.Thread, dirfd, pathVA uintptr) (file.Location, string, func(), error) {
	path, err := pathArg(t, pathVA)
	if err != nil {
		return file.Location{}, "", func() {}, err
	}
	at, done, err := dirArg(t, dirfd, path)
	return at, path, done, err
}

func putU32(t *proc.Thread, va uintptr, v uint32) error {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	return t.Mem().CopyOut(va, b[:])
}

func getU32(t *proc.Thread, va uintptr) (uint32, error) {
	var b [4]byte
	err := t.Mem().CopyIn(b[:], va)
	return binary.LittleEndian.Uint32(b[:]), err
}

func getU64(t *proc.Thread, va uintptr) (uint64, error) {
	var b [8]byte
	err := t.Mem().CopyIn(b[:], va)
	return binary.LittleEndian.Uint64(b[:]), err
}

// accessOK is Linux's access_ok: the range [va, va+n) lies in the user
// half. Linux checks it before I/O, so a kernel or non-canonical address
// is EFAULT even when nothing would be copied (a read at end of file).
func accessOK(va, n uintptr) error {
	if va > mem.UserTop || n > mem.UserTop-va {
		return syscall.EFAULT
	}
	return nil
}

// ok turns an error-only result into a handler's.
func ok(err error) (uintptr, error) { return 0, err }
