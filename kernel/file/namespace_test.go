package file_test

import (
	"context"
	"syscall"
	"testing"

	"scone/kernel/file"
	"scone/kernel/file/diskfs"
	"scone/kernel/fs"
	"scone/kernel/fs/fsdev"
)

// newNS returns a namespace over a fresh RAM file system with a small
// synthetic tree mounted on /mnt, and a context in it.
func newNS(t *testing.T) (*file.Namespace, *file.FSContext) {
	t.Helper()
	dev := fsdev.NewMem(2048)
	if _, err := fs.Format(dev, fs.FormatOptions{}); err != nil {
		t.Fatal(err)
	}
	disk, err := fs.Mount(dev, fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ns, err := file.NewNamespace(diskfs.New(disk))
	if err != nil {
		t.Fatal(err)
	}
	c := ns.NewContext()
	if err := c.Mkdir(file.Location{}, "/mnt", 0o755); err != nil {
		t.Fatal(err)
	}
	hello := file.TextFile(3, func() ([]byte, error) { return []byte("hello\n"), nil })
	sub := &file.TreeNode{Ino: 4, Mode: file.S_IFDIR | 0o555, Entries: func() []file.TreeEntry { return nil }}
	link := &file.TreeNode{Ino: 5, Mode: file.S_IFLNK | 0o777, Target: func(pid int) (string, error) { return "sub", nil }}
	root := &file.TreeNode{Ino: 1, Mode: file.S_IFDIR | 0o555, Entries: func() []file.TreeEntry {
		return []file.TreeEntry{
			{"hello", &file.TreeNode{Ino: 3, Mode: file.S_IFREG | 0o444, Open: hello}},
			{"sub", sub},
			{"link", link},
		}
	}}
	if err := ns.Mount("/mnt", file.NewTreeFS(root)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Release()
		ns.Close()
		if err := disk.Unmount(); err != nil {
			t.Error(err)
		}
	})
	return ns, c
}

func TestOpenErrors(t *testing.T) {
	_, c := newNS(t)
	here := file.Location{}
	mk := func(path string) {
		d, err := c.Open(here, path, file.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL, 0o644)
		if err != nil {
			t.Fatalf("create %s: %v", path, err)
		}
		d.DecRef()
	}
	if err := c.Mkdir(here, "d", 0o755); err != nil {
		t.Fatal(err)
	}
	mk("d/f")
	if err := c.Symlink("d/f", here, "lnk"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path  string
		flags int
		err   error
	}{
		{"", file.O_RDONLY, syscall.ENOENT},
		{"nope", file.O_RDONLY, syscall.ENOENT},
		{"d", file.O_WRONLY, syscall.EISDIR},
		{"d", file.O_RDONLY | syscall.O_CREAT, syscall.EISDIR},
		{"d/", file.O_RDONLY | syscall.O_DIRECTORY, nil},
		{"d/f", file.O_RDONLY | syscall.O_DIRECTORY, syscall.ENOTDIR},
		{"d/f/", file.O_RDONLY, syscall.ENOTDIR},
		{"d/f/x", file.O_RDONLY, syscall.ENOTDIR},
		{"d/f", file.O_RDONLY | syscall.O_CREAT | syscall.O_EXCL, syscall.EEXIST},
		{"d/new/", file.O_RDONLY | syscall.O_CREAT, syscall.EISDIR},
		{"lnk", file.O_RDONLY, nil},
		{"lnk", file.O_RDONLY | syscall.O_NOFOLLOW, syscall.ELOOP},
		{"/mnt/hello", file.O_RDONLY, nil},
		{"/mnt/hello", file.O_WRONLY, syscall.EACCES},
		{"/mnt/new", file.O_WRONLY | syscall.O_CREAT, syscall.EROFS},
		{"/mnt/hello", file.O_WRONLY | syscall.O_CREAT, syscall.EACCES}, // exists: no create needed
		{"/mnt/link/../hello", file.O_RDONLY, nil},
		{"/mnt/sub/../../d/f", file.O_RDONLY, nil},
		{"/mnt/../d/f", file.O_RDONLY, nil},
		{"/../../d/f", file.O_RDONLY, nil},
		{"d/" + string(make([]byte, 256)), file.O_RDONLY, syscall.ENAMETOOLONG},
	}
	for _, tc := range cases {
		d, err := c.Open(here, tc.path, tc.flags, 0o644)
		if err != tc.err {
			t.Errorf("open(%.30q, %#x) = %v, want %v", tc.path, tc.flags, err, tc.err)
		}
		if d != nil {
			d.DecRef()
		}
	}
}

func TestFileIO(t *testing.T) {
	_, c := newNS(t)
	ctx := context.Background()
	here := file.Location{}
	c.Umask(0o027)
	d, err := c.Open(here, "f", file.O_RDWR|syscall.O_CREAT, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	defer d.DecRef()
	st, err := d.Stat()
	if err != nil || st.Mode != file.S_IFREG|0o640 {
		t.Fatalf("new file mode %o, %v: umask not applied", st.Mode, err)
	}
	d.Write(ctx, []byte("hello world"))
	d.Seek(0, file.SeekSet)
	buf := make([]byte, 5)
	if n, _ := d.Read(ctx, buf); string(buf[:n]) != "hello" {
		t.Fatalf("read %q", buf[:n])
	}
	// O_TRUNC on open empties it; O_APPEND writes at the end.
	d2, err := c.Open(here, "f", file.O_WRONLY|syscall.O_TRUNC|file.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	d2.Write(ctx, []byte("ab"))
	d2.Write(ctx, []byte("cd"))
	d2.DecRef()
	if n, _ := d.ReadAt(ctx, buf, 0); string(buf[:n]) != "abcd" {
		t.Fatalf("after O_TRUNC and appends: %q", buf[:n])
	}
	if err := d.Truncate(1); err != nil {
		t.Fatal(err)
	}
	if st, _ := d.Stat(); st.Size != 1 {
		t.Fatalf("size after ftruncate = %d", st.Size)
	}
	if err := d.Sync(); err != nil {
		t.Fatal(err)
	}
}

func TestReadDirAndGetcwd(t *testing.T) {
	_, c := newNS(t)
	here := file.Location{}
	for _, p := range []string{"a", "a/b", "a/b/c"} {
		if err := c.Mkdir(here, p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cwds := []struct{ chdir, want string }{
		{"/", "/"},
		{"a/b/c", "/a/b/c"},
		{"..", "/a/b"},
		{"/mnt/sub", "/mnt/sub"},
		{"..", "/mnt"},
		{"..", "/"},
	}
	for _, tc := range cwds {
		if err := c.Chdir(here, tc.chdir); err != nil {
			t.Fatalf("chdir %s: %v", tc.chdir, err)
		}
		if got, err := c.Getcwd(); got != tc.want || err != nil {
			t.Errorf("after chdir %s: getcwd = %q, %v; want %q", tc.chdir, got, err, tc.want)
		}
	}
	if err := c.Chdir(here, "/mnt/hello"); err != syscall.ENOTDIR {
		t.Errorf("chdir to a file: %v", err)
	}
	// A removed working directory has no path.
	c.Chdir(here, "/a/b/c")
	if err := c.Rmdir(file.Location{}, "/a/b/c"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Getcwd(); err != syscall.ENOENT {
		t.Errorf("getcwd in a removed directory: %v", err)
	}
	c.Chdir(here, "/")
	d, err := c.Open(here, "/mnt", file.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer d.DecRef()
	var names []string
	var last int64
	d.ReadDir(func(e file.Dirent) bool {
		if len(names) == 2 {
			return false // refused (getdents' buffer is full): the next call starts with it
		}
		names = append(names, e.Name)
		last = e.Next
		return true
	})
	d.ReadDir(func(e file.Dirent) bool { names = append(names, e.Name); last = e.Next; return true })
	if want := ". .. hello sub link"; join(names) != want || last != 5 {
		t.Errorf("readdir /mnt = %q (next %d), want %q", join(names), last, want)
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}

func TestNameOps(t *testing.T) {
	_, c := newNS(t)
	h := file.Location{}
	c.Mkdir(h, "d", 0o755)
	d, _ := c.Open(h, "d/f", file.O_WRONLY|syscall.O_CREAT, 0o644)
	d.DecRef()
	ops := []struct {
		name string
		err  error
		do   func() error
	}{
		{"rename across mounts", syscall.EXDEV, func() error { return c.Rename(h, "d/f", h, "/mnt/f", 0) }},
		{"link across mounts", syscall.EXDEV, func() error { return c.Link(h, "d/f", h, "/mnt/f", false) }},
		{"rmdir mount point", syscall.EBUSY, func() error { return c.Rmdir(h, "/mnt") }},
		{"rename mount point", syscall.EBUSY, func() error { return c.Rename(h, "/mnt", h, "/x", 0) }},
		{"rmdir .", syscall.EINVAL, func() error { return c.Rmdir(h, "d/.") }},
		{"rmdir ..", syscall.ENOTEMPTY, func() error { return c.Rmdir(h, "d/..") }},
		{"mkdir existing", syscall.EEXIST, func() error { return c.Mkdir(h, "d", 0o755) }},
		{"mkdir in /mnt", syscall.EROFS, func() error { return c.Mkdir(h, "/mnt/x", 0o755) }},
		{"unlink dir", syscall.EISDIR, func() error { return c.Unlink(h, "d") }},
		{"symlink empty", syscall.ENOENT, func() error { return c.Symlink("", h, "s") }},
		{"symlink", nil, func() error { return c.Symlink("d/f", h, "s") }},
		{"link", nil, func() error { return c.Link(h, "d/f", h, "g", false) }},
		{"rename", nil, func() error { return c.Rename(h, "g", h, "d/g", 0) }},
		{"unlink", nil, func() error { return c.Unlink(h, "d/g") }},
		{"chmod", nil, func() error { return c.SetAttr(h, "d/f", true, 0o600, -1) }},
	}
	for _, op := range ops {
		if err := op.do(); err != op.err {
			t.Errorf("%s: %v, want %v", op.name, err, op.err)
		}
	}
	if tgt, err := c.Readlink(h, "s"); tgt != "d/f" || err != nil {
		t.Errorf("readlink = %q, %v", tgt, err)
	}
	if _, err := c.Readlink(h, "d/f"); err != syscall.EINVAL {
		t.Errorf("readlink of a file: %v", err)
	}
	if tgt, err := c.Readlink(h, "/mnt/link"); tgt != "sub" || err != nil {
		t.Errorf("readlink in a tree = %q, %v", tgt, err)
	}
	lst, _ := c.Stat(h, "s", false)
	st, _ := c.Stat(h, "s", true)
	if lst.Mode&file.S_IFMT != file.S_IFLNK || st.Mode != file.S_IFREG|0o600 {
		t.Errorf("lstat mode %o, stat mode %o", lst.Mode, st.Mode)
	}
	root, _ := c.Stat(h, "/", true)
	mnt, _ := c.Stat(h, "/mnt", false) // the mounted root, even without following
	if mnt.Dev == root.Dev || mnt.Ino != 1 {
		t.Errorf("stat /mnt: dev %d (root's %d), ino %d: not the mount's root", mnt.Dev, root.Dev, mnt.Ino)
	}
}
