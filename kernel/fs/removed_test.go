package fs_test

import (
	"syscall"
	"testing"
)

// TestRemovedCwd: a directory removed while a process still has it as its
// working directory holds nothing; lookups in it, even of "..", whose
// inode may already be freed and reused, fail with ENOENT and never reach
// a stale inode (which once shut the file system down). "." still names
// the directory itself.
func TestRemovedCwd(t *testing.T) {
	f, dev := newFS(t, 2048)
	for _, d := range []string{"/a", "/a/b"} {
		if err := f.Mkdir(nil, nil, d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cwd, err := f.Lookup(nil, nil, "/a/b")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Rmdir(nil, nil, "/a/b"); err != nil {
		t.Fatal(err)
	}
	if err := f.Rmdir(nil, nil, "/a"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, f, "/reuses-a's-inode", []byte("x"))
	if st, err := f.Stat(nil, cwd, "."); err != nil || st.Nlink != 0 {
		t.Errorf("stat . in a removed directory: %+v %v", st, err)
	}
	for _, p := range []string{"..", "../x", "x", "./.."} {
		if _, err := f.Stat(nil, cwd, p); err != syscall.ENOENT {
			t.Errorf("stat %q in a removed directory: %v, want ENOENT", p, err)
		}
	}
	if err := f.Mkdir(nil, cwd, "../x", 0o755); err != syscall.ENOENT {
		t.Errorf("mkdir ../x from a removed directory: %v, want ENOENT", err)
	}
	if err := f.Mkdir(nil, cwd, "x", 0o755); err != syscall.ENOENT {
		t.Errorf("mkdir x in a removed directory: %v, want ENOENT", err)
	}
	if err := f.Mkdir(nil, nil, "/still-works", 0o755); err != nil {
		t.Errorf("mkdir after: %v", err)
	}
	if err := cwd.Close(); err != nil {
		t.Fatal(err)
	}
	fsck(t, f, dev)
}
