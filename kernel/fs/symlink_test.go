package fs_test

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	"scone/kernel/fs"
)

func TestSymlinks(t *testing.T) {
	f, dev := newFS(t, 2048)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.Mkdir(nil, nil, "/d", 0o755))
	must(f.Mkdir(nil, nil, "/d/sub", 0o755))
	writeFile(t, f, "/d/sub/file", []byte("target contents"))
	must(f.Symlink(nil, "sub/file", nil, "/d/rel"))     // relative to /d
	must(f.Symlink(nil, "/d/sub", nil, "/abs"))         // absolute, to a directory
	must(f.Symlink(nil, "../rel", nil, "/d/sub/chain")) // through another link
	must(f.Symlink(nil, "loop2", nil, "/loop1"))
	must(f.Symlink(nil, "loop1", nil, "/loop2"))
	must(f.Symlink(nil, "/nowhere", nil, "/dangling"))

	for _, p := range []string{"/d/rel", "/abs/file", "/d/sub/chain", "/abs/../sub/file"} {
		if got := string(readFile(t, f, p)); got != "target contents" {
			t.Errorf("read through %s: %q", p, got)
		}
	}
	if st, err := f.Stat(nil, nil, "/abs/"); err != nil || st.Mode&0o170000 != 0o040000 {
		t.Errorf("stat /abs/: %+v %v", st, err)
	}
	st, err := f.Lstat(nil, nil, "/d/rel")
	if err != nil || st.Mode != 0o120777 || st.Size != int64(len("sub/file")) {
		t.Errorf("lstat: %+v %v", st, err)
	}
	if target, err := f.Readlink(nil, nil, "/d/sub/chain"); err != nil || target != "../rel" {
		t.Errorf("readlink: %q %v", target, err)
	}
	tests := []struct {
		name string
		op   func() error
		want error
	}{
		{"loop", func() error { _, err := f.Stat(nil, nil, "/loop1"); return err }, syscall.ELOOP},
		{"loop in the middle", func() error { _, err := f.Stat(nil, nil, "/loop1/x"); return err }, syscall.ELOOP},
		{"dangling", func() error { _, err := f.Stat(nil, nil, "/dangling"); return err }, syscall.ENOENT},
		{"lstat dangling", func() error { _, err := f.Lstat(nil, nil, "/dangling"); return err }, nil},
		{"readlink of a file", func() error { _, err := f.Readlink(nil, nil, "/d/sub/file"); return err }, syscall.EINVAL},
		{"O_NOFOLLOW", func() error { _, err := f.Open(nil, nil, "/d/rel", fs.O_NOFOLLOW, 0); return err }, syscall.ELOOP},
		{"create through dangling, nofollow", func() error {
			_, err := f.Open(nil, nil, "/dangling", fs.O_CREAT|fs.O_NOFOLLOW|syscall.O_RDWR, 0o644)
			return err
		}, syscall.ELOOP},
		{"create excl through dangling", func() error {
			_, err := f.Open(nil, nil, "/dangling", fs.O_CREAT|fs.O_EXCL|syscall.O_RDWR, 0o644)
			return err
		}, syscall.EEXIST},
		{"create through dangling", func() error { // Linux makes the target
			h, err := f.Open(nil, nil, "/dangling", fs.O_CREAT|syscall.O_RDWR, 0o644)
			if err == nil {
				_, err = h.WriteAt([]byte("made"), 0)
				h.Close()
			}
			if got := string(readFile(t, f, "/nowhere")); got != "made" {
				t.Errorf("target of the dangling link holds %q", got)
			}
			return err
		}, nil},
		{"create through link into a missing directory", func() error {
			must(f.Symlink(nil, "nodir/x", nil, "/d/deep"))
			_, err := f.Open(nil, nil, "/d/deep", fs.O_CREAT|syscall.O_RDWR, 0o644)
			return err
		}, syscall.ENOENT},
		{"create excl on link", func() error {
			_, err := f.Open(nil, nil, "/d/rel", fs.O_CREAT|fs.O_EXCL|syscall.O_RDWR, 0o644)
			return err
		}, syscall.EEXIST},
		{"symlink exists", func() error { return f.Symlink(nil, "x", nil, "/abs") }, syscall.EEXIST},
		{"empty target", func() error { return f.Symlink(nil, "", nil, "/e") }, syscall.ENOENT},
		{"long target", func() error { return f.Symlink(nil, strings.Repeat("a", 4096), nil, "/e") }, syscall.ENAMETOOLONG},
		{"rmdir through link", func() error { return f.Rmdir(nil, nil, "/abs") }, syscall.ENOTDIR},
		{"mkdir under link", func() error { return f.Mkdir(nil, nil, "/abs/new", 0o755) }, nil},
		{"link to a link", func() error { return f.Link(nil, nil, "/d/rel", nil, "/hard", false) }, nil},
		{"rename a link", func() error { return f.Rename(nil, nil, "/hard", nil, "/d/sub/moved", 0) }, nil},
	}
	for _, tt := range tests {
		if err := tt.op(); !errors.Is(err, tt.want) && !(err == nil && tt.want == nil) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
	// The hard link to the symbolic link, moved next to file, resolves
	// relative to its new directory: sub/file from /d/sub does not exist.
	if _, err := f.Stat(nil, nil, "/d/sub/moved"); err != syscall.ENOENT {
		t.Errorf("moved relative link: %v", err)
	}
	if _, err := f.Stat(nil, nil, "/d/sub/new"); err != nil {
		t.Errorf("mkdir through a link: %v", err)
	}
	// Unlink removes the link, not its target.
	must(f.Unlink(nil, nil, "/d/rel"))
	if _, err := f.Stat(nil, nil, "/d/sub/file"); err != nil {
		t.Errorf("target gone with its link: %v", err)
	}
	r := fsck(t, f, dev)
	n := 0
	for _, fl := range r.Files {
		if fl.Target != "" {
			n++
		}
	}
	if n != 7 { // abs, chain, loop1, loop2, dangling, deep, moved
		t.Errorf("fsck lists %d symbolic links, want 6", n)
	}
}
