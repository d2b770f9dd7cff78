package fs_test

import (
	"errors"
	"syscall"
	"testing"

	"scone/kernel/fs"
)

// A walk that reaches a mount point stops there with the rest of the path;
// the mount point itself cannot be removed or renamed.
func TestMountpoint(t *testing.T) {
	f, dev := newFS(t, 4096)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.Mkdir(nil, nil, "/dev", 0o755))
	must(f.Mkdir(nil, nil, "/etc", 0o755))
	must(f.Symlink(nil, "/dev/tty", nil, "/console"))
	mp, err := f.Lookup(nil, nil, "/dev")
	must(err)
	must(f.SetMountpoint(mp, true))
	if err := f.SetMountpoint(mp, true); err != syscall.EBUSY {
		t.Errorf("second mount: %v", err)
	}
	root := f.Root()
	if err := f.SetMountpoint(root, true); err != syscall.EBUSY {
		t.Errorf("mount on the root: %v", err)
	}
	must(root.Close())
	crosses := []struct {
		name string
		op   func() error
		rest string
	}{
		{"stat", func() error { _, err := f.Stat(nil, nil, "/dev/null"); return err }, "null"},
		{"lstat of the mount point", func() error { _, err := f.Lstat(nil, nil, "/dev"); return err }, ""},
		{"open with trailing slash", func() error { _, err := f.Open(nil, nil, "/etc/../dev/", fs.O_RDONLY, 0); return err }, "/"},
		{"deeper", func() error { _, err := f.Stat(nil, nil, "/dev/pts/0"); return err }, "pts/0"},
		{"through a symbolic link", func() error { _, err := f.Stat(nil, nil, "/console"); return err }, "tty"},
		{"mknod", func() error { return f.Mknod(nil, nil, "/dev/null", 0o20666, 1, 3) }, "null"},
		{"mkdir deeper", func() error { return f.Mkdir(nil, nil, "/dev/pts/x/", 0o755) }, "pts/x/"},
		{"unlink", func() error { return f.Unlink(nil, nil, "/dev/null") }, "null"},
		{"open O_CREAT", func() error { _, err := f.Open(nil, nil, "/dev/new", fs.O_CREAT, 0o644); return err }, "new"},
	}
	for _, c := range crosses {
		err := c.op()
		var me *fs.MountError
		if !errors.As(err, &me) || me.Ino != mp.Ino() || me.Rest != c.rest {
			t.Errorf("%s: %v, want a crossing of inode %d with rest %q", c.name, err, mp.Ino(), c.rest)
		}
	}
	busy := []struct {
		name string
		op   func() error
	}{
		{"rmdir", func() error { return f.Rmdir(nil, nil, "/dev") }},
		{"unlink", func() error { return f.Unlink(nil, nil, "/dev") }},
		{"rename from", func() error { return f.Rename(nil, nil, "/dev", nil, "/dev2", 0) }},
		{"rename over", func() error { return f.Rename(nil, nil, "/etc", nil, "/dev", 0) }},
	}
	for _, b := range busy {
		if err := b.op(); err != syscall.EBUSY {
			t.Errorf("%s of a mount point: %v, want EBUSY", b.name, err)
		}
	}
	if err := f.Mkdir(nil, nil, "/dev", 0o755); err != syscall.EEXIST {
		t.Errorf("mkdir of a mount point: %v", err)
	}
	// Going up out of the mounted file system: ".." from the mount point.
	if st, err := f.Stat(nil, mp, "../etc"); err != nil || st.Mode&0o170000 != 0o040000 {
		t.Errorf("../etc from the mount point: %+v %v", st, err)
	}
	must(f.SetMountpoint(mp, false))
	if _, err := f.Stat(nil, nil, "/dev/null"); err != syscall.ENOENT {
		t.Errorf("after unmount: %v", err)
	}
	must(f.SetMountpoint(mp, true)) // Unmount drops it
	must(mp.Close())
	fsck(t, f, dev)
}

// Handle.Lookup finds one name without following a symbolic link.
func TestLookupOne(t *testing.T) {
	f, dev := newFS(t, 4096)
	if err := f.Symlink(nil, "nowhere", nil, "/l"); err != nil {
		t.Fatal(err)
	}
	root := f.Root()
	tests := []struct {
		name string
		want error
	}{
		{"l", nil}, {".", nil}, {"..", nil}, {"missing", syscall.ENOENT},
		{"a/b", syscall.EINVAL}, {"", syscall.ENOENT},
	}
	for _, tt := range tests {
		h, err := root.Lookup(nil, tt.name)
		if err != tt.want {
			t.Errorf("lookup %q: %v, want %v", tt.name, err, tt.want)
		}
		if err == nil {
			h.Close()
		}
	}
	h, err := root.Lookup(nil, "l")
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := h.Stat(); st.Mode != 0o120777 {
		t.Errorf("lookup followed the link: mode %#o", st.Mode)
	}
	h.Close()
	root.Close()
	fsck(t, f, dev)
}
