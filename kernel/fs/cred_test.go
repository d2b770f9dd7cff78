package fs_test

import (
	"errors"
	"syscall"
	"testing"

	"scone/kernel/fs"
)

// Permission checks through a caller's credential: search on every
// directory walked, write and search on the parent of a name made or
// removed, the sticky bit, the access mode of Open, and the owner and
// set-group-ID inheritance of new files.
func TestCredentials(t *testing.T) {
	f, dev := newFS(t, 4096)
	root := &fs.User{}
	alice := &fs.User{UID: 1000, GID: 1000}
	bob := &fs.User{UID: 1001, GID: 1001, Groups: []uint32{50}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	chown := func(p string, uid, gid, perm uint32) {
		t.Helper()
		h, err := f.Lookup(nil, nil, p)
		must(err)
		must(h.Chown(int64(uid), int64(gid)))
		must(h.Chmod(perm))
		must(h.Close())
	}
	must(f.Mkdir(nil, nil, "/home", 0o755))
	must(f.Mkdir(nil, nil, "/home/alice", 0o700))
	chown("/home/alice", 1000, 1000, 0o700)
	must(f.Mkdir(nil, nil, "/tmp", 0o777))
	chown("/tmp", 0, 0, 0o1777)
	must(f.Mkdir(nil, nil, "/shared", 0o775))
	chown("/shared", 0, 50, 0o2775)
	must(f.Mkdir(alice, nil, "/home/alice/docs", 0o755))
	writeFile(t, f, "/etc", []byte("root's"))

	tests := []struct {
		name string
		op   func() error
		want error
	}{
		{"alice stats in her home", func() error { _, err := f.Stat(alice, nil, "/home/alice/docs"); return err }, nil},
		{"bob cannot search alice's home", func() error { _, err := f.Stat(bob, nil, "/home/alice/docs"); return err }, syscall.EACCES},
		{"bob cannot create in alice's home", func() error { return f.Mkdir(bob, nil, "/home/alice/x", 0o755) }, syscall.EACCES},
		{"root can", func() error { return f.Mkdir(root, nil, "/home/alice/x", 0o755) }, nil},
		{"alice cannot create in /home", func() error { return f.Mkdir(alice, nil, "/home/new", 0o755) }, syscall.EACCES},
		{"alice cannot unlink /etc", func() error { return f.Unlink(alice, nil, "/etc") }, syscall.EACCES},
		{"alice cannot open /etc for writing", func() error { _, err := f.Open(alice, nil, "/etc", syscall.O_WRONLY, 0); return err }, syscall.EACCES},
		{"nor truncate it", func() error { return f.Truncate(alice, nil, "/etc", 0) }, syscall.EACCES},
		{"nor O_TRUNC it", func() error { _, err := f.Open(alice, nil, "/etc", fs.O_TRUNC, 0); return err }, syscall.EACCES},
		{"alice reads /etc", func() error {
			h, err := f.Open(alice, nil, "/etc", fs.O_RDONLY, 0)
			if err == nil {
				h.Close()
			}
			return err
		}, nil},
		{"alice creates in /tmp", func() error { return f.Mknod(alice, nil, "/tmp/a", 0o600, 0, 0) }, nil},
		{"bob cannot remove it (sticky)", func() error { return f.Unlink(bob, nil, "/tmp/a") }, syscall.EPERM},
		{"bob cannot rename over it (sticky)", func() error {
			must(f.Mknod(bob, nil, "/tmp/b", 0o600, 0, 0))
			return f.Rename(bob, nil, "/tmp/b", nil, "/tmp/a", 0)
		}, syscall.EPERM},
		{"bob cannot move alice's directory out", func() error { return f.Rename(bob, nil, "/home/alice/docs", nil, "/tmp/docs", 0) }, syscall.EACCES},
		{"bob creates in /shared through group 50", func() error { return f.Mkdir(bob, nil, "/shared/b", 0o755) }, nil},
		{"alice cannot", func() error { return f.Mkdir(alice, nil, "/shared/a", 0o755) }, syscall.EACCES},
		{"bob cannot link into alice's home", func() error { return f.Link(bob, nil, "/tmp/b", nil, "/home/alice/b", false) }, syscall.EACCES},
		{"alice removes her own file in /tmp", func() error { return f.Unlink(alice, nil, "/tmp/a") }, nil},
	}
	for _, tt := range tests {
		if err := tt.op(); !errors.Is(err, tt.want) && !(err == nil && tt.want == nil) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
	owners := []struct {
		path     string
		uid, gid uint32
		mode     uint32
	}{
		{"/home/alice/docs", 1000, 1000, 0o40755},
		{"/home/alice/x", 0, 0, 0o40755},
		{"/tmp/b", 1001, 1001, 0o100600},
		{"/shared/b", 1001, 50, 0o42755}, // the group and set-group-ID bit of /shared
	}
	for _, o := range owners {
		st, err := f.Stat(nil, nil, o.path)
		if err != nil || st.UID != o.uid || st.GID != o.gid || st.Mode != o.mode {
			t.Errorf("%s: uid %d gid %d mode %#o (%v), want %d %d %#o", o.path, st.UID, st.GID, st.Mode, err, o.uid, o.gid, o.mode)
		}
	}
	h, err := f.Lookup(nil, nil, "/etc")
	must(err)
	if err := h.Access(alice, fs.MayWrite); err != syscall.EACCES {
		t.Errorf("access(W) of /etc for alice: %v", err)
	}
	if err := h.Access(root, fs.MayExec); err != syscall.EACCES {
		t.Errorf("root executing a file nobody may execute: %v", err)
	}
	must(h.Close())
	fsck(t, f, dev)
}
