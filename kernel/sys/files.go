package sys

import (
	"encoding/binary"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"scone/kernel/file"
	"scone/kernel/proc"
)

// Path calls: open, stat, directories, names, links, attributes and the
// working directory.

func init() {
	Register(unix.SYS_OPEN, "open", func(t *proc.Thread, a Args) (uintptr, error) { return openat(t, atFDCWD, a[0], a[1], a[2]) })
	Register(unix.SYS_CREAT, "creat", func(t *proc.Thread, a Args) (uintptr, error) {
		return openat(t, atFDCWD, a[0], syscall.O_CREAT|file.O_WRONLY|syscall.O_TRUNC, a[1])
	})
	Register(unix.SYS_OPENAT, "openat", func(t *proc.Thread, a Args) (uintptr, error) { return openat(t, a[0], a[1], a[2], a[3]) })
	Register(unix.SYS_STAT, "stat", func(t *proc.Thread, a Args) (uintptr, error) { return fstatat(t, atFDCWD, a[0], a[1], 0) })
	Register(unix.SYS_LSTAT, "lstat", func(t *proc.Thread, a Args) (uintptr, error) {
		return fstatat(t, atFDCWD, a[0], a[1], atSymlinkNofollow)
	})
	Register(unix.SYS_FSTAT, "fstat", sysFstat)
	Register(unix.SYS_NEWFSTATAT, "newfstatat", func(t *proc.Thread, a Args) (uintptr, error) { return fstatat(t, a[0], a[1], a[2], a[3]) })
	Register(unix.SYS_STATX, "statx", sysStatx)
	Register(unix.SYS_GETDENTS64, "getdents64", sysGetdents64)
	Register(unix.SYS_MKDIR, "mkdir", func(t *proc.Thread, a Args) (uintptr, error) { return mkdirat(t, atFDCWD, a[0], a[1]) })
	Register(unix.SYS_MKDIRAT, "mkdirat", func(t *proc.Thread, a Args) (uintptr, error) { return mkdirat(t, a[0], a[1], a[2]) })
	Register(unix.SYS_MKNOD, "mknod", func(t *proc.Thread, a Args) (uintptr, error) { return mknodat(t, atFDCWD, a[0], a[1], a[2]) })
	Register(unix.SYS_MKNODAT, "mknodat", func(t *proc.Thread, a Args) (uintptr, error) { return mknodat(t, a[0], a[1], a[2], a[3]) })
	Register(unix.SYS_UNLINK, "unlink", func(t *proc.Thread, a Args) (uintptr, error) { return unlinkat(t, atFDCWD, a[0], 0) })
	Register(unix.SYS_RMDIR, "rmdir", func(t *proc.Thread, a Args) (uintptr, error) { return unlinkat(t, atFDCWD, a[0], atRemovedir) })
	Register(unix.SYS_UNLINKAT, "unlinkat", func(t *proc.Thread, a Args) (uintptr, error) { return unlinkat(t, a[0], a[1], a[2]) })
	Register(unix.SYS_RENAME, "rename", func(t *proc.Thread, a Args) (uintptr, error) { return renameat2(t, atFDCWD, a[0], atFDCWD, a[1], 0) })
	Register(unix.SYS_RENAMEAT, "renameat", func(t *proc.Thread, a Args) (uintptr, error) { return renameat2(t, a[0], a[1], a[2], a[3], 0) })
	Register(unix.SYS_RENAMEAT2, "renameat2", func(t *proc.Thread, a Args) (uintptr, error) { return renameat2(t, a[0], a[1], a[2], a[3], a[4]) })
	Register(unix.SYS_LINK, "link", func(t *proc.Thread, a Args) (uintptr, error) { return linkat(t, atFDCWD, a[0], atFDCWD, a[1], 0) })
	Register(unix.SYS_LINKAT, "linkat", func(t *proc.Thread, a Args) (uintptr, error) { return linkat(t, a[0], a[1], a[2], a[3], a[4]) })
	Register(unix.SYS_SYMLINK, "symlink", func(t *proc.Thread, a Args) (uintptr, error) { return symlinkat(t, a[0], atFDCWD, a[1]) })
	Register(unix.SYS_SYMLINKAT, "symlinkat", func(t *proc.Thread, a Args) (uintptr, error) { return symlinkat(t, a[0], a[1], a[2]) })
	Register(unix.SYS_READLINK, "readlink", func(t *proc.Thread, a Args) (uintptr, error) { return readlinkat(t, atFDCWD, a[0], a[1], a[2]) })
	Register(unix.SYS_READLINKAT, "readlinkat", func(t *proc.Thread, a Args) (uintptr, error) { return readlinkat(t, a[0], a[1], a[2], a[3]) })
	Register(unix.SYS_CHMOD, "chmod", func(t *proc.Thread, a Args) (uintptr, error) { return fchmodat(t, atFDCWD, a[0], a[1]) })
	Register(unix.SYS_FCHMODAT, "fchmodat", func(t *proc.Thread, a Args) (uintptr, error) { return fchmodat(t, a[0], a[1], a[2]) })
	Register(unix.SYS_FCHMOD, "fchmod", sysFchmod)
	Register(unix.SYS_UTIMENSAT, "utimensat", sysUtimensat)
	Register(unix.SYS_CHDIR, "chdir", sysChdir)
	Register(unix.SYS_FCHDIR, "fchdir", sysFchdir)
	Register(unix.SYS_GETCWD, "getcwd", sysGetcwd)
	Register(unix.SYS_UMASK, "umask", func(t *proc.Thread, a Args) (uintptr, error) { return uintptr(t.Proc().FS.Umask(uint32(a[0]))), nil })
	Register(unix.SYS_ACCESS, "access", func(t *proc.Thread, a Args) (uintptr, error) { return faccessat(t, atFDCWD, a[0], a[1], 0) })
	Register(unix.SYS_FACCESSAT, "faccessat", func(t *proc.Thread, a Args) (uintptr, error) { return faccessat(t, a[0], a[1], a[2], 0) })
	Register(unix.SYS_FACCESSAT2, "faccessat2", func(t *proc.Thread, a Args) (uintptr, error) { return faccessat(t, a[0], a[1], a[2], a[3]) })
}

// openFlags are the flags open understands; the rest are ignored, as Linux
// does (it never rejects unknown open flags).
const oTmpfile = 0x410000

func openat(t *proc.Thread, dirfd, pathVA, flagsArg, mode uintptr) (uintptr, error) {
	flags := int(int32(flagsArg))
	if flags&oTmpfile == oTmpfile {
		return 0, syscall.EOPNOTSUPP
	}
	at, path, done, err := atPath(t, dirfd, pathVA)
	if err != nil {
		return 0, err
	}
	defer done()
	d, err := t.Proc().FS.OpenContext(t.Ctx(), at, path, flags|file.O_LARGEFILE, uint32(mode))
	if err != nil {
		return 0, err
	}
	return install(t, d, flags&file.O_CLOEXEC != 0)
}

func sysFstat(t *proc.Thread, a Args) (uintptr, error) {
	d, err := getFD(t, a[0])
	if err != nil {
		return 0, err
	}
	defer d.DecRef()
	st, err := d.Stat()
	if err != nil {
		return 0, err
	}
	return 0, t.Mem().CopyOut(a[1], encodeStat(st))
}

// statAt is the stat of the *at calls: AT_EMPTY_PATH with "" describes
// dirfd itself.
func statAt(t *proc.Thread, dirfd, pathVA uintptr, flags int) (file.Stat, error) {
	if flags&^(atSymlinkNofollow|atEmptyPath|atNoAutomount|atStatxSyncMask) != 0 {
		return file.Stat{}, syscall.EINVAL
	}
	path, err := t.Mem().CopyInString(pathVA, 4096)
	if err != nil {
		return file.Stat{}, err
	}
	if path == "" {
		if flags&atEmptyPath == 0 {
			return file.Stat{}, syscall.ENOENT
		}
		if fdArg(dirfd) == fdArg(atFDCWD) {
			c := t.Proc().FS.Cwd()
			defer c.Release()
			return file.StatLocation(c)
		}
		d, err := getFD(t, dirfd)
		if err != nil {
			return file.Stat{}, err
		}
		defer d.DecRef()
		return d.Stat()
	}
	at, done, err := dirArg(t, dirfd, path)
	if err != nil {
		return file.Stat{}, err
	}
	defer done()
	return t.Proc().FS.Stat(at, path, flags&atSymlinkNofollow == 0)
}

func fstatat(t *proc.Thread, dirfd, pathVA, buf, flags uintptr) (uintptr, error) {
	st, err := statAt(t, dirfd, pathVA, int(int32(flags)))
	if err != nil {
		return 0, err
	}
	return 0, t.Mem().CopyOut(buf, encodeStat(st))
}

func sysStatx(t *proc.Thread, a Args) (uintptr, error) {
	if a[3]&0x80000000 != 0 { // STATX__RESERVED
		return 0, syscall.EINVAL
	}
	st, err := statAt(t, a[0], a[1], int(int32(a[2])))
	if err != nil {
		return 0, err
	}
	return 0, t.Mem().CopyOut(a[4], encodeStatx(st))
}

func sysGetdents64(t *proc.Thread, a Args) (uintptr, error) {
	d, err := getFD(t, a[0])
	if err != nil {
		return 0, err
	}
	defer d.DecRef()
	if err := accessOK(a[1], a[2]); err != nil {
		return 0, err
	}
	max := int(min(a[2], 1<<20))
	var buf []byte
	// Entries go to a kernel buffer first: the directory may be locked
	// while ReadDir calls back, and a copy to user memory can fault.
	err = d.ReadDir(func(e file.Dirent) bool {
		var ok bool
		buf, ok = appendDirent(buf, max, e)
		return ok
	})
	if err != nil {
		return 0, err
	}
	if len(buf) == 0 {
		// Nothing fit: at the end, 0; an entry bigger than the buffer, EINVAL.
		big := false
		d.ReadDir(func(file.Dirent) bool { big = true; return false })
		if big {
			return 0, syscall.EINVAL
		}
		return 0, nil
	}
	return uintptr(len(buf)), t.Mem().CopyOut(a[1], buf)
}

func mkdirat(t *proc.Thread, dirfd, pathVA, mode uintptr) (uintptr, error) {
	at, path, done, err := atPath(t, dirfd, pathVA)
	if err != nil {
		return 0, err
	}
	defer done()
	return ok(t.Proc().FS.Mkdir(at, path, uint32(mode)&0o7777))
}

func mknodat(t *proc.Thread, dirfd, pathVA, mode, dev uintptr) (uintptr, error) {
	at, path, done, err := atPath(t, dirfd, pathVA)
	if err != nil {
		return 0, err
	}
	defer done()
	m := uint32(mode)
	if m&file.S_IFMT == 0 {
		m |= file.S_IFREG
	}
	if m&file.S_IFMT == file.S_IFDIR {
		return 0, syscall.EPERM
	}
	// The dev_t argument uses the same encoding as st_rdev.
	return ok(t.Proc().FS.Mknod(at, path, m, uint64(uint32(dev))))
}

func unlinkat(t *proc.Thread, dirfd, pathVA, flags uintptr) (uintptr, error) {
	if flags&^atRemovedir != 0 {
		return 0, syscall.EINVAL
	}
	at, path, done, err := atPath(t, dirfd, pathVA)
	if err != nil {
		return 0, err
	}
	defer done()
	if flags&atRemovedir != 0 {
		return ok(t.Proc().FS.Rmdir(at, path))
	}
	return ok(t.Proc().FS.Unlink(at, path))
}

// twoAt runs a call on two (dirfd, path) pairs: rename and link.
func twoAt(t *proc.Thread, odirfd, oldVA, ndirfd, newVA uintptr, call func(oat file.Location, opath string, nat file.Location, npath string) error) (uintptr, error) {
	oat, opath, odone, err := atPath(t, odirfd, oldVA)
	if err != nil {
		return 0, err
	}
	defer odone()
	nat, npath, ndone, err := atPath(t, ndirfd, newVA)
	if err != nil {
		return 0, err
	}
	defer ndone()
	return ok(call(oat, opath, nat, npath))
}

func renameat2(t *proc.Thread, odirfd, oldVA, ndirfd, newVA, flags uintptr) (uintptr, error) {
	if flags&^(file.RenameNoreplace|file.RenameExchange) != 0 || flags == file.RenameNoreplace|file.RenameExchange {
		return 0, syscall.EINVAL // RENAME_WHITEOUT too: no overlays here
	}
	return twoAt(t, odirfd, oldVA, ndirfd, newVA, func(oat file.Location, opath string, nat file.Location, npath string) error {
		return t.Proc().FS.Rename(oat, opath, nat, npath, uint(flags))
	})
}

func linkat(t *proc.Thread, odirfd, oldVA, ndirfd, newVA, flags uintptr) (uintptr, error) {
	if flags&^atSymlinkFollow != 0 {
		return 0, syscall.EINVAL // AT_EMPTY_PATH (linking an open file) is not done
	}
	return twoAt(t, odirfd, oldVA, ndirfd, newVA, func(oat file.Location, opath string, nat file.Location, npath string) error {
		return t.Proc().FS.Link(oat, opath, nat, npath, flags&atSymlinkFollow != 0)
	})
}

func symlinkat(t *proc.Thread, targetVA, dirfd, pathVA uintptr) (uintptr, error) {
	target, err := pathArg(t, targetVA)
	if err != nil {
		return 0, err
	}
	at, path, done, err := atPath(t, dirfd, pathVA)
	if err != nil {
		return 0, err
	}
	defer done()
	return ok(t.Proc().FS.Symlink(target, at, path))
}

func readlinkat(t *proc.Thread, dirfd, pathVA, buf, size uintptr) (uintptr, error) {
	if int(int32(size)) <= 0 {
		return 0, syscall.EINVAL
	}
	at, path, done, err := atPath(t, dirfd, pathVA)
	if err != nil {
		return 0, err
	}
	defer done()
	target, err := t.Proc().FS.Readlink(at, path)
	if err != nil {
		return 0, err
	}
	b := []byte(target)[:min(len(target), int(int32(size)))] // truncated, no NUL: as Linux
	return uintptr(len(b)), t.Mem().CopyOut(buf, b)
}

func fchmodat(t *proc.Thread, dirfd, pathVA, mode uintptr) (uintptr, error) {
	at, path, done, err := atPath(t, dirfd, pathVA)
	if err != nil {
		return 0, err
	}
	defer done()
	return ok(t.Proc().FS.SetAttr(at, path, true, int64(mode&0o7777), -1))
}

// setAttr changes the attributes of an open file through where it was
// opened.
func setAttr(d *file.Description, perm, mtime int64) error {
	loc := d.Location()
	if loc.Node == nil {
		return syscall.EPERM // pipes and the like have no attributes to keep
	}
	return loc.Mount.FS.SetAttr(loc.Node, perm, mtime)
}

func sysFchmod(t *proc.Thread, a Args) (uintptr, error) {
	d, err := getFD(t, a[0])
	if err != nil {
		return 0, err
	}
	defer d.DecRef()
	return ok(setAttr(d, int64(a[1]&0o7777), -1))
}

// utimensat special nanosecond values.
const (
	utimeNow  = 1<<30 - 1
	utimeOmit = 1<<30 - 2
)

// sysUtimensat sets the modification time (kernel/fs keeps no access
// time, so times[0] is checked and dropped). A NULL path is futimens.
func sysUtimensat(t *proc.Thread, a Args) (uintptr, error) {
	flags := int(int32(a[3]))
	if flags&^(atSymlinkNofollow|atEmptyPath) != 0 {
		return 0, syscall.EINVAL
	}
	mtime := time.Now().UnixNano()
	if a[2] != 0 {
		var ts [32]byte
		if err := t.Mem().CopyIn(ts[:], a[2]); err != nil {
			return 0, err
		}
		for i := 0; i < 2; i++ {
			sec := int64(binary.LittleEndian.Uint64(ts[16*i:]))
			nsec := int64(binary.LittleEndian.Uint64(ts[16*i+8:]))
			if nsec != utimeNow && nsec != utimeOmit && (nsec < 0 || nsec >= 1e9) {
				return 0, syscall.EINVAL
			}
			if i == 1 {
				switch nsec {
				case utimeOmit:
					mtime = -1
				case utimeNow:
				default:
					mtime = sec*1e9 + nsec
				}
			}
		}
	}
	if a[1] == 0 {
		d, err := getFD(t, a[0])
		if err != nil {
			return 0, err
		}
		defer d.DecRef()
		return ok(setAttr(d, -1, mtime))
	}
	at, path, done, err := atPath(t, a[0], a[1])
	if err != nil {
		return 0, err
	}
	defer done()
	return ok(t.Proc().FS.SetAttr(at, path, flags&atSymlinkNofollow == 0, -1, mtime))
}

func sysChdir(t *proc.Thread, a Args) (uintptr, error) {
	path, err := pathArg(t, a[0])
	if err != nil {
		return 0, err
	}
	return ok(t.Proc().FS.Chdir(file.Location{}, path))
}

func sysFchdir(t *proc.Thread, a Args) (uintptr, error) {
	d, err := getFD(t, a[0])
	if err != nil {
		return 0, err
	}
	defer d.DecRef()
	loc := d.Location()
	if loc.Node == nil {
		return 0, syscall.ENOTDIR
	}
	loc = loc.Dup()
	if err := t.Proc().FS.SetCwd(loc); err != nil {
		loc.Release()
		return 0, err
	}
	return 0, nil
}

// sysGetcwd returns the length including the NUL, as the system call
// (not the libc wrapper) does.
func sysGetcwd(t *proc.Thread, a Args) (uintptr, error) {
	cwd, err := t.Proc().FS.Getcwd()
	if err != nil {
		return 0, err
	}
	b := append([]byte(cwd), 0)
	if uintptr(len(b)) > a[1] {
		return 0, syscall.ERANGE
	}
	return uintptr(len(b)), t.Mem().CopyOut(a[0], b)
}

// faccessat checks that path exists and, since every process is root, that
// an executable check (X_OK) finds an execute bit on a non-directory.
func faccessat(t *proc.Thread, dirfd, pathVA, mode, flags uintptr) (uintptr, error) {
	if mode&^7 != 0 || flags&^(atEaccess|atSymlinkNofollow|atEmptyPath) != 0 {
		return 0, syscall.EINVAL
	}
	st, err := statAt(t, dirfd, pathVA, int(flags&^atEaccess))
	if err != nil {
		return 0, err
	}
	if mode&1 != 0 && st.Mode&file.S_IFMT != file.S_IFDIR && st.Mode&0o111 == 0 {
		return 0, syscall.EACCES
	}
	return 0, nil
}
