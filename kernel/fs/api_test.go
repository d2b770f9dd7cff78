package fs_test

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"scone/kernel/fs"
	"scone/kernel/fs/check"
	"scone/kernel/fs/fsdev"
)

// newFS formats and mounts a fresh in-memory disk of n blocks.
func newFS(t *testing.T, n uint64) (*fs.FS, *fsdev.Mem) {
	t.Helper()
	return newFSWith(t, n, fs.FormatOptions{})
}

// newFSWith is newFS with a chosen geometry.
func newFSWith(t *testing.T, n uint64, opt fs.FormatOptions) (*fs.FS, *fsdev.Mem) {
	t.Helper()
	dev := fsdev.NewMem(n)
	if _, err := fs.Format(dev, opt); err != nil {
		t.Fatal(err)
	}
	f, err := fs.Mount(dev, fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return f, dev
}

// fsck unmounts f and fails the test on any inconsistency of dev.
func fsck(t *testing.T, f *fs.FS, dev fs.BlockDevice) *check.Report {
	t.Helper()
	if f != nil {
		if err := f.Unmount(); err != nil {
			t.Fatalf("unmount: %v", err)
		}
	}
	r := check.Image(dev, true)
	for _, p := range r.Problems {
		t.Errorf("fsck: %s", p)
	}
	return r
}

func writeFile(t *testing.T, f *fs.FS, path string, data []byte) {
	t.Helper()
	ip, err := f.Open(nil, nil, path, fs.O_CREAT|fs.O_TRUNC|syscall.O_RDWR, 0o644)
	if err != nil {
		t.Fatalf("create %s: %v", path, err)
	}
	defer ip.Close()
	if n, err := ip.WriteAt(data, 0); err != nil || n != len(data) {
		t.Fatalf("write %s: %d, %v", path, n, err)
	}
}

func readFile(t *testing.T, f *fs.FS, path string) []byte {
	t.Helper()
	ip, err := f.Lookup(nil, nil, path)
	if err != nil {
		t.Fatalf("lookup %s: %v", path, err)
	}
	defer ip.Close()
	st, _ := ip.Stat()
	b := make([]byte, st.Size)
	if n, err := ip.ReadAt(b, 0); err != nil || n != len(b) {
		t.Fatalf("read %s: %d, %v", path, n, err)
	}
	return b
}

// TestErrors runs each call against a small fixed tree and checks the
// errno Linux would give.
func TestErrors(t *testing.T) {
	f, dev := newFS(t, 2048)
	for _, d := range []string{"/d", "/d/sub", "/empty"} {
		if err := f.Mkdir(nil, nil, d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, f, "/d/file", []byte("x"))
	long := strings.Repeat("n", 256)
	ok255 := strings.Repeat("n", 255)
	tests := []struct {
		name string
		op   func() error
		want error
	}{
		{"mkdir exists", func() error { return f.Mkdir(nil, nil, "/d", 0o755) }, syscall.EEXIST},
		{"mkdir root", func() error { return f.Mkdir(nil, nil, "/", 0o755) }, syscall.EEXIST},
		{"mkdir no parent", func() error { return f.Mkdir(nil, nil, "/nope/x", 0o755) }, syscall.ENOENT},
		{"mkdir under file", func() error { return f.Mkdir(nil, nil, "/d/file/x", 0o755) }, syscall.ENOTDIR},
		{"name too long", func() error { return f.Mkdir(nil, nil, "/"+long, 0o755) }, syscall.ENAMETOOLONG},
		{"name of 255 bytes", func() error { return f.Mkdir(nil, nil, "/"+ok255, 0o755) }, nil},
		{"path too long", func() error { _, err := f.Stat(nil, nil, strings.Repeat("/a", 2049)); return err }, syscall.ENAMETOOLONG},
		{"empty path", func() error { _, err := f.Stat(nil, nil, ""); return err }, syscall.ENOENT},
		{"stat missing", func() error { _, err := f.Stat(nil, nil, "/d/missing"); return err }, syscall.ENOENT},
		{"file with slash", func() error { _, err := f.Stat(nil, nil, "/d/file/"); return err }, syscall.ENOTDIR},
		{"dot dot", func() error { _, err := f.Stat(nil, nil, "/d/sub/../../d/./file"); return err }, nil},
		{"root dotdot", func() error { _, err := f.Stat(nil, nil, "/../../d"); return err }, nil},
		{"create excl", func() error {
			_, err := f.Open(nil, nil, "/d/file", fs.O_CREAT|fs.O_EXCL|syscall.O_RDWR, 0o644)
			return err
		}, syscall.EEXIST},
		{"create root", func() error { _, err := f.Open(nil, nil, "/", fs.O_CREAT, 0o644); return err }, syscall.EISDIR},
		{"create with slash", func() error { _, err := f.Open(nil, nil, "/newfile/", fs.O_CREAT, 0o644); return err }, syscall.EISDIR},
		{"create existing with slash", func() error { _, err := f.Open(nil, nil, "/d/file/", fs.O_CREAT, 0o644); return err }, syscall.EISDIR},
		{"mknod with slash", func() error { return f.Mknod(nil, nil, "/d/fifo/", 0o010644, 0, 0) }, syscall.ENOENT},
		{"symlink with slash", func() error { return f.Symlink(nil, "x", nil, "/d/sym/") }, syscall.ENOENT},
		{"mknod existing with slash", func() error { return f.Mknod(nil, nil, "/d/file/", 0o010644, 0, 0) }, syscall.EEXIST},
		{"open dir for writing", func() error { _, err := f.Open(nil, nil, "/d", syscall.O_RDWR, 0); return err }, syscall.EISDIR},
		{"O_DIRECTORY on file", func() error { _, err := f.Open(nil, nil, "/d/file", fs.O_DIRECTORY, 0); return err }, syscall.ENOTDIR},
		{"unlink dir", func() error { return f.Unlink(nil, nil, "/d/sub") }, syscall.EISDIR},
		{"unlink missing", func() error { return f.Unlink(nil, nil, "/d/nope") }, syscall.ENOENT},
		{"rmdir file", func() error { return f.Rmdir(nil, nil, "/d/file") }, syscall.ENOTDIR},
		{"rmdir non-empty", func() error { return f.Rmdir(nil, nil, "/d") }, syscall.ENOTEMPTY},
		{"rmdir dot", func() error { return f.Rmdir(nil, nil, "/d/sub/.") }, syscall.EINVAL},
		{"rmdir root", func() error { return f.Rmdir(nil, nil, "/") }, syscall.EBUSY},
		{"rmdir dotdot", func() error { return f.Rmdir(nil, nil, "/d/sub/..") }, syscall.ENOTEMPTY},
		{"unlink root", func() error { return f.Unlink(nil, nil, "/") }, syscall.EISDIR},
		{"unlink dot", func() error { return f.Unlink(nil, nil, "/d/.") }, syscall.EISDIR},
		{"unlink dotdot", func() error { return f.Unlink(nil, nil, "/d/..") }, syscall.EISDIR},
		{"rename file to dir/", func() error { return f.Rename(nil, nil, "/d/file", nil, "/d/new/", 0) }, syscall.ENOTDIR},
		{"rename file/", func() error { return f.Rename(nil, nil, "/d/file/", nil, "/d/new", 0) }, syscall.ENOTDIR},
		{"link file/", func() error { return f.Link(nil, nil, "/d/file/", nil, "/d/new", false) }, syscall.ENOTDIR},
		{"link to dir/", func() error { return f.Link(nil, nil, "/d/file", nil, "/d/new/", false) }, syscall.ENOENT},
		{"rename dir to dir/", func() error { return f.Rename(nil, nil, "/d/sub/", nil, "/d/sub2/", 0) }, nil},
		{"rename it back", func() error { return f.Rename(nil, nil, "/d/sub2", nil, "/d/sub", 0) }, nil},
		{"rename root", func() error { return f.Rename(nil, nil, "/", nil, "/x", 0) }, syscall.EBUSY},
		{"rename onto root", func() error { return f.Rename(nil, nil, "/empty", nil, "/", 0) }, syscall.EBUSY},
		{"rename dot", func() error { return f.Rename(nil, nil, "/d/.", nil, "/x", 0) }, syscall.EBUSY},
		{"rename onto dotdot", func() error { return f.Rename(nil, nil, "/d/file", nil, "/d/sub/..", 0) }, syscall.EBUSY},
		{"link to name too long", func() error { return f.Link(nil, nil, "/d/file", nil, "/d/"+long, false) }, syscall.ENAMETOOLONG},
		{"rename to name too long", func() error { return f.Rename(nil, nil, "/d/file", nil, "/d/"+long, 0) }, syscall.ENAMETOOLONG},
		{"create name too long", func() error { _, err := f.Open(nil, nil, "/d/"+long, fs.O_CREAT, 0o644); return err }, syscall.ENAMETOOLONG},
		{"rename into self", func() error { return f.Rename(nil, nil, "/d", nil, "/d/sub/x", 0) }, syscall.EINVAL},
		{"rename dir over file", func() error { return f.Rename(nil, nil, "/empty", nil, "/d/file", 0) }, syscall.ENOTDIR},
		{"rename file over dir", func() error { return f.Rename(nil, nil, "/d/file", nil, "/empty", 0) }, syscall.EISDIR},
		{"rename over non-empty", func() error { return f.Rename(nil, nil, "/empty", nil, "/d", 0) }, syscall.ENOTEMPTY},
		{"rename missing", func() error { return f.Rename(nil, nil, "/nope", nil, "/x", 0) }, syscall.ENOENT},
		{"link dir", func() error { return f.Link(nil, nil, "/d", nil, "/dlink", false) }, syscall.EPERM},
		{"link exists", func() error { return f.Link(nil, nil, "/d/file", nil, "/d/sub", false) }, syscall.EEXIST},
		{"truncate dir", func() error { return f.Truncate(nil, nil, "/d", 0) }, syscall.EISDIR},
		{"truncate negative", func() error { return f.Truncate(nil, nil, "/d/file", -1) }, syscall.EINVAL},
		{"mknod bad type", func() error { return f.Mknod(nil, nil, "/dev", 0o170000, 1, 2) }, syscall.EINVAL},
		{"write dir", func() error {
			ip, err := f.Lookup(nil, nil, "/d")
			if err != nil {
				return err
			}
			defer ip.Close()
			_, err = ip.WriteAt([]byte("x"), 0)
			return err
		}, syscall.EISDIR},
		{"read dir", func() error {
			ip, err := f.Lookup(nil, nil, "/d")
			if err != nil {
				return err
			}
			defer ip.Close()
			_, err = ip.ReadAt(make([]byte, 1), 0)
			return err
		}, syscall.EISDIR},
		{"huge write", func() error {
			ip, err := f.Lookup(nil, nil, "/d/file")
			if err != nil {
				return err
			}
			defer ip.Close()
			_, err = ip.WriteAt([]byte("x"), 1<<40)
			return err
		}, syscall.EFBIG},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.op(); !errors.Is(err, tt.want) && !(err == nil && tt.want == nil) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	fsck(t, f, dev)
}

// TestFiles covers reads and writes at offsets, holes, truncation, stat
// fields, mtimes, modes, hard links, device nodes and readdir.
func TestFiles(t *testing.T) {
	dev := fsdev.NewMem(4096)
	if _, err := fs.Format(dev, fs.FormatOptions{}); err != nil {
		t.Fatal(err)
	}
	now := int64(1000)
	f, err := fs.Mount(dev, fs.Options{Now: func() int64 { now++; return now }})
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), 1000) // 16000 bytes
	writeFile(t, f, "/a", data)
	ip, err := f.Open(nil, nil, "/a", syscall.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Overwrite across a block boundary, then write past the end (a hole).
	if _, err := ip.WriteAt([]byte("XYZ"), 4095); err != nil {
		t.Fatal(err)
	}
	copy(data[4095:], "XYZ")
	if _, err := ip.WriteAt([]byte("end"), 40000); err != nil {
		t.Fatal(err)
	}
	data = append(data, make([]byte, 40000-len(data))...)
	data = append(data, "end"...)
	if got := readFile(t, f, "/a"); !bytes.Equal(got, data) {
		t.Fatalf("contents differ after writes")
	}
	st, _ := ip.Stat()
	if st.Size != 40003 || st.Nlink != 1 || st.Mode != 0o100644 || st.Blocks != 5*8 || st.Mtime <= 1000 {
		t.Errorf("stat: %+v", st)
	}
	// Short read at the end, nothing past it.
	b := make([]byte, 10)
	if n, err := ip.ReadAt(b, 39998); n != 5 || err != nil || string(b[2:5]) != "end" {
		t.Errorf("read at end: %d %v %q", n, err, b[:n])
	}
	if n, err := ip.ReadAt(b, 50000); n != 0 || err != nil {
		t.Errorf("read past end: %d %v", n, err)
	}
	// Shrink into a block, grow again: the tail must read as zeros.
	if err := ip.Truncate(5000); err != nil {
		t.Fatal(err)
	}
	if err := ip.Truncate(9000); err != nil {
		t.Fatal(err)
	}
	want := append(append([]byte(nil), data[:5000]...), make([]byte, 4000)...)
	if got := readFile(t, f, "/a"); !bytes.Equal(got, want) {
		t.Errorf("truncate: contents differ")
	}
	if n, off, err := ip.Append([]byte("tail")); err != nil || n != 4 || off != 9000 {
		t.Errorf("append: %d %d %v", n, off, err)
	}
	if err := ip.Chmod(0o600); err != nil {
		t.Fatal(err)
	}
	if err := ip.Utimens(fs.UtimeNow, 42); err != nil {
		t.Fatal(err)
	}
	if st, _ := ip.Stat(); st.Mode != 0o100600 || st.Mtime != 42 {
		t.Errorf("setattr: %+v", st)
	}
	if err := ip.Chown(1000, 100); err != nil {
		t.Fatal(err)
	}
	if st, _ := ip.Stat(); st.UID != 1000 || st.GID != 100 {
		t.Errorf("chown: %+v", st)
	}
	ip.Close()

	// Hard links share the inode; the data lives until the last name goes.
	if err := f.Link(nil, nil, "/a", nil, "/b", false); err != nil {
		t.Fatal(err)
	}
	sa, _ := f.Stat(nil, nil, "/a")
	sb, _ := f.Stat(nil, nil, "/b")
	if sa.Ino != sb.Ino || sb.Nlink != 2 {
		t.Errorf("link: %+v %+v", sa, sb)
	}
	if err := f.Unlink(nil, nil, "/a"); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, f, "/b"); len(got) != 9004 {
		t.Errorf("after unlink of one link: size %d", len(got))
	}
	// Device nodes keep their numbers.
	if err := f.Mkdir(nil, nil, "/dev", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := f.Mknod(nil, nil, "/dev/console", 0o020620, 5, 1); err != nil {
		t.Fatal(err)
	}
	if st, err := f.Stat(nil, nil, "/dev/console"); err != nil || st.Major != 5 || st.Minor != 1 || st.Mode != 0o020620 {
		t.Errorf("mknod: %+v %v", st, err)
	}
	// Directory link counts: 2 + subdirectories.
	if st, _ := f.Stat(nil, nil, "/"); st.Nlink != 3 {
		t.Errorf("root nlink %d, want 3", st.Nlink)
	}
	// readdir lists every entry once and resumes from Next.
	for i := 0; i < 300; i++ {
		writeFile(t, f, "/dev/f"+strings.Repeat("x", i%50)+strconv.Itoa(i), nil)
	}
	dir, _ := f.Lookup(nil, nil, "/dev")
	seen := map[string]bool{}
	var off uint64
	for {
		n := 0
		err := dir.ReadDir(off, func(e fs.DirEntry) bool {
			if seen[e.Name] {
				t.Errorf("readdir: %s twice", e.Name)
			}
			seen[e.Name] = true
			off = e.Next
			n++
			return n < 7 // read in small batches, as getdents does
		})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	dir.Close()
	if len(seen) != 303 { // ".", "..", console, 300 files
		t.Errorf("readdir saw %d entries, want 303", len(seen))
	}
	fsck(t, f, dev)
}
