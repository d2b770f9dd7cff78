package fs

import (
	"slices"
	"syscall"

	"scone/kernel/fs/layout"
)

// Access is a set of permissions asked for, Linux's MAY_* bits.
type Access uint32

// The permissions a Cred is asked for.
const (
	MayExec  Access = 1 // search, for a directory
	MayWrite Access = 2
	MayRead  Access = 4
)

// Attr is what a permission check needs to know about an inode.
type Attr struct {
	Mode     uint32 // S_IFMT type | permissions
	UID, GID uint32
}

// Cred is the caller of an operation: it owns the files it creates and is
// asked before each access. The file system asks for search (MayExec) on
// every directory a path walks through, write and search on the parent of
// a name being made or removed, and the access mode asked of Open. A nil
// Cred is the kernel itself: everything is allowed and new files belong
// to root. User gives Linux's rules; the process layer can wrap it to add
// capabilities.
type Cred interface {
	// Owner returns the user and group that own files the caller makes.
	Owner() (uid, gid uint32)
	// Permit returns nil or EACCES.
	Permit(a Attr, want Access) error
	// MayDelete decides whether the caller may remove or replace the
	// name of victim in dir (both already writable): in a sticky
	// directory only the owner of either (or a privileged caller) may.
	// It returns nil or EPERM.
	MayDelete(dir, victim Attr) error
}

// User is a Cred with Linux's discretionary rules: the owner's, the
// group's or the others' permission bits, and user 0 allowed everything
// except executing a file that no one may execute.
type User struct {
	UID, GID uint32
	Groups   []uint32 // supplementary groups
}

// Owner returns the user and group.
func (u *User) Owner() (uint32, uint32) { return u.UID, u.GID }

// Permit applies the permission bits of a to u.
func (u *User) Permit(a Attr, want Access) error {
	if u.UID == 0 {
		if want&MayExec != 0 && a.Mode&layout.S_IFMT != layout.S_IFDIR && a.Mode&0o111 == 0 {
			return syscall.EACCES
		}
		return nil
	}
	bits := a.Mode
	switch {
	case u.UID == a.UID:
		bits >>= 6
	case u.GID == a.GID || slices.Contains(u.Groups, a.GID):
		bits >>= 3
	}
	if uint32(want)&^bits&7 != 0 {
		return syscall.EACCES
	}
	return nil
}

// MayDelete applies the sticky bit of dir.
func (u *User) MayDelete(dir, victim Attr) error {
	if dir.Mode&layout.S_ISVTX == 0 || u.UID == 0 || u.UID == dir.UID || u.UID == victim.UID {
		return nil
	}
	return syscall.EPERM
}

// attr returns ip's permission attributes. Called with ip locked.
func (ip *inode) attr() Attr { return Attr{Mode: ip.d.Mode, UID: ip.d.UID, GID: ip.d.GID} }

// permit asks c for want on ip (locked); a nil c is the kernel.
func permit(c Cred, ip *inode, want Access) error {
	if c == nil {
		return nil
	}
	return c.Permit(ip.attr(), want)
}

// mayDelete checks that c may remove the name of ip from dp (both locked).
func mayDelete(c Cred, dp, ip *inode) error {
	if err := permit(c, dp, MayWrite|MayExec); err != nil || c == nil {
		return err
	}
	return c.MayDelete(dp.attr(), ip.attr())
}

// owner returns who owns a new file of the given mode in dp (locked), and
// the mode to give it: a set-group-ID directory passes on its group, and
// to a new directory its set-group-ID bit, as in Linux.
func owner(c Cred, dp *inode, mode uint32) (uid, gid, m uint32) {
	if c != nil {
		uid, gid = c.Owner()
	}
	if dp.d.Mode&layout.S_ISGID != 0 {
		gid = dp.d.GID
		if mode&layout.S_IFMT == layout.S_IFDIR {
			mode |= layout.S_ISGID
		}
	}
	return uid, gid, mode
}
