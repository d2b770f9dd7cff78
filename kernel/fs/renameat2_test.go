package fs_test

import (
	"syscall"
	"testing"

	"scone/kernel/fs"
)

// renameat2's flags: NOREPLACE refuses an existing target and changes
// nothing; EXCHANGE swaps two names, a file and a directory in different
// parents included, with ".." and link counts to match.
func TestRenameFlags(t *testing.T) {
	f, dev := newFS(t, 4096)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.Mkdir(nil, nil, "/p", 0o755))
	must(f.Mkdir(nil, nil, "/q", 0o755))
	must(f.Mkdir(nil, nil, "/p/dir", 0o755))
	must(f.Mkdir(nil, nil, "/p/dir/sub", 0o755))
	writeFile(t, f, "/q/file", []byte("file"))
	writeFile(t, f, "/q/other", []byte("other"))
	tests := []struct {
		name     string
		old, new string
		flags    uint
		want     error
	}{
		{"noreplace over a file", "/q/other", "/q/file", fs.RENAME_NOREPLACE, syscall.EEXIST},
		{"noreplace to a new name", "/q/other", "/q/other2", fs.RENAME_NOREPLACE, nil},
		{"exchange with a missing name", "/q/other2", "/q/none", fs.RENAME_EXCHANGE, syscall.ENOENT},
		{"exchange into its own subtree", "/p/dir", "/p/dir/sub", fs.RENAME_EXCHANGE, syscall.EINVAL},
		{"exchange with an ancestor", "/p/dir/sub", "/p/dir", fs.RENAME_EXCHANGE, syscall.EINVAL},
		{"both flags", "/q/file", "/q/other2", fs.RENAME_EXCHANGE | fs.RENAME_NOREPLACE, syscall.EINVAL},
		{"whiteout", "/q/file", "/q/other2", fs.RENAME_WHITEOUT, syscall.EINVAL},
		{"exchange a directory and a file", "/p/dir", "/q/file", fs.RENAME_EXCHANGE, nil},
	}
	for _, tt := range tests {
		if err := f.Rename(nil, nil, tt.old, nil, tt.new, tt.flags); err != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	if got := string(readFile(t, f, "/q/other2")); got != "other" {
		t.Errorf("/q/other2 holds %q", got)
	}
	if got := string(readFile(t, f, "/p/dir")); got != "file" {
		t.Errorf("/p/dir holds %q, want the file", got)
	}
	st, err := f.Stat(nil, nil, "/q/file/..")
	must(err)
	q, _ := f.Stat(nil, nil, "/q")
	p, _ := f.Stat(nil, nil, "/p")
	if st.Ino != q.Ino || q.Nlink != 3 || p.Nlink != 2 {
		t.Errorf("after exchange: file/.. is %d (want /q %d), nlink /q %d (want 3), /p %d (want 2)", st.Ino, q.Ino, q.Nlink, p.Nlink)
	}
	fsck(t, f, dev)
}

// Renaming a directory into a parent at its link limit fails with EMLINK,
// as mkdir there does (defect 5: the count used to grow past the limit).
func TestRenameEMLINK(t *testing.T) {
	defer fs.SetMaxLinks(6)()
	f, dev := newFS(t, 4096)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.Mkdir(nil, nil, "/full", 0o755))
	for _, n := range []string{"a", "b", "c", "d"} {
		must(f.Mkdir(nil, nil, "/full/"+n, 0o755)) // 2 + 4 links
	}
	if err := f.Mkdir(nil, nil, "/full/e", 0o755); err != syscall.EMLINK {
		t.Fatalf("mkdir at the limit: %v", err)
	}
	must(f.Mkdir(nil, nil, "/x", 0o755))
	must(f.Mkdir(nil, nil, "/y", 0o755))
	if err := f.Rename(nil, nil, "/x", nil, "/full/x", 0); err != syscall.EMLINK {
		t.Errorf("rename into a full parent: %v, want EMLINK", err)
	}
	if err := f.Rename(nil, nil, "/x", nil, "/full/a", 0); err != nil {
		t.Errorf("rename over a directory of a full parent (no new link): %v", err)
	}
	writeFile(t, f, "/file", nil)
	if err := f.Rename(nil, nil, "/y", nil, "/file", fs.RENAME_EXCHANGE); err != nil {
		t.Errorf("exchange within one parent: %v", err)
	}
	if err := f.Rename(nil, nil, "/file", nil, "/full/b", fs.RENAME_EXCHANGE); err != nil {
		t.Errorf("exchange of two directories: %v", err)
	}
	writeFile(t, f, "/g", nil)
	if err := f.Rename(nil, nil, "/file", nil, "/full/../g", fs.RENAME_EXCHANGE); err != nil {
		t.Errorf("exchange: %v", err)
	}
	writeFile(t, f, "/full/plain", nil)
	if err := f.Rename(nil, nil, "/g", nil, "/full/plain", fs.RENAME_EXCHANGE); err != syscall.EMLINK {
		t.Errorf("exchange bringing a directory into a full parent: %v, want EMLINK", err)
	}
	if st, _ := f.Stat(nil, nil, "/full"); st.Nlink != 6 {
		t.Errorf("/full has %d links, want 6", st.Nlink)
	}
	fsck(t, f, dev)
}

// linkat's AT_SYMLINK_FOLLOW: with follow the new name is for the
// link's target, without it for the link itself.
func TestLinkFollow(t *testing.T) {
	f, dev := newFS(t, 4096)
	writeFile(t, f, "/target", []byte("t"))
	if err := f.Symlink(nil, "target", nil, "/sym"); err != nil {
		t.Fatal(err)
	}
	if err := f.Link(nil, nil, "/sym", nil, "/hard-to-target", true); err != nil {
		t.Fatal(err)
	}
	if err := f.Link(nil, nil, "/sym", nil, "/hard-to-link", false); err != nil {
		t.Fatal(err)
	}
	tgt, _ := f.Lstat(nil, nil, "/target")
	a, _ := f.Lstat(nil, nil, "/hard-to-target")
	b, _ := f.Lstat(nil, nil, "/hard-to-link")
	sym, _ := f.Lstat(nil, nil, "/sym")
	if a.Ino != tgt.Ino || b.Ino != sym.Ino || tgt.Nlink != 2 || sym.Nlink != 2 {
		t.Errorf("follow: %d (want %d), no follow: %d (want %d); nlinks %d %d", a.Ino, tgt.Ino, b.Ino, sym.Ino, tgt.Nlink, sym.Nlink)
	}
	fsck(t, f, dev)
}
