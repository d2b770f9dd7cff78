package sys

import (
	"testing"

	"golang.org/x/sys/unix"

	"scone/kernel/file"
)

// TestChown sets owners through each of the four calls and reads them
// back with stat: -1 keeps an ID, lchown changes a link and not its
// target, chown of a set-user-ID file clears the bit (Linux's
// chown_common), and a pipe's owner is EPERM.
func TestChown(t *testing.T) {
	p := newFileProc(t)
	owner := func(path string, follow bool) (uid, gid, mode uint32) {
		t.Helper()
		st, err := p.th.Proc().FS.Stat(file.Location{}, path, follow)
		if err != nil {
			t.Fatal(err)
		}
		return st.UID, st.GID, st.Mode
	}
	f := p.str(0, "/f")
	fd := p.must(unix.SYS_OPENAT, atFDCWD, f, unix.O_RDWR|unix.O_CREAT, 0o4755)
	p.must(unix.SYS_CHMOD, f, 0o4755)
	p.must(unix.SYS_CHOWN, f, 1000, 100)
	if u, g, m := owner("/f", true); u != 1000 || g != 100 || m&0o7777 != 0o755 {
		t.Errorf("chown: uid %d gid %d mode %o, want 1000 100 0755", u, g, m)
	}
	p.must(unix.SYS_FCHOWN, fd, 1001, uintptr(^uint32(0)))
	if u, g, _ := owner("/f", true); u != 1001 || g != 100 {
		t.Errorf("fchown(1001, -1): %d %d", u, g)
	}
	p.must(unix.SYS_FCHOWNAT, atFDCWD, f, uintptr(^uint32(0)), 7, 0)
	if u, g, _ := owner("/f", true); u != 1001 || g != 7 {
		t.Errorf("fchownat(-1, 7): %d %d", u, g)
	}
	p.must(unix.SYS_FCHOWNAT, fd, p.str(16, ""), 5, 6, atEmptyPath)
	if u, g, _ := owner("/f", true); u != 5 || g != 6 {
		t.Errorf("fchownat AT_EMPTY_PATH: %d %d", u, g)
	}
	l := p.str(32, "/l")
	p.must(unix.SYS_SYMLINK, f, l)
	p.must(unix.SYS_LCHOWN, l, 42, 43)
	if u, g, _ := owner("/l", false); u != 42 || g != 43 {
		t.Errorf("lchown: link %d %d", u, g)
	}
	if u, g, _ := owner("/f", true); u != 5 || g != 6 {
		t.Errorf("lchown changed the target: %d %d", u, g)
	}
	p.must(unix.SYS_CHOWN, l, 8, 9)
	if u, g, _ := owner("/f", true); u != 8 || g != 9 {
		t.Errorf("chown through a link: target %d %d", u, g)
	}
	if _, e := p.call(unix.SYS_CHOWN, p.str(48, "/nope"), 0, 0); e != unix.ENOENT {
		t.Errorf("chown of a missing file: %v", e)
	}
	if _, e := p.call(unix.SYS_FCHOWNAT, atFDCWD, f, 0, 0, 0x4); e != unix.EINVAL {
		t.Errorf("fchownat bad flags: %v", e)
	}
	if _, e := p.call(unix.SYS_CHOWN, 0x10, 0, 0); e != unix.EFAULT {
		t.Errorf("chown bad pointer: %v", e)
	}
	pipe := p.buf + 64
	p.must(unix.SYS_PIPE2, pipe, 0)
	rfd := uintptr(p.get(64, 1)[0])
	if _, e := p.call(unix.SYS_FCHOWN, rfd, 0, 0); e != unix.EPERM {
		t.Errorf("fchown of a pipe: %v", e)
	}
}
