package fs_test

import (
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"syscall"
	"testing"

	"scone/kernel/fs"
	"scone/kernel/fs/check"
	"scone/kernel/fs/fsdev"
	"scone/kernel/fs/layout"
)

// TestRename checks the successful renames and their effects: the source
// name goes, the target names the source's inode, a replaced file is freed
// (at once, or when its last handle closes), and directory link counts and
// ".." follow a directory that moves. TestErrors has the failing cases and
// the crash tests the atomicity.
func TestRename(t *testing.T) {
	type setup func(t *testing.T, f *fs.FS)
	file := func(p, data string) setup {
		return func(t *testing.T, f *fs.FS) { writeFile(t, f, p, []byte(data)) }
	}
	dir := func(p string) setup {
		return func(t *testing.T, f *fs.FS) {
			if err := f.Mkdir(nil, nil, p, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name     string
		setup    []setup
		old, new string
		gone     []string          // names that must not exist afterwards
		contents map[string]string // files and what they must hold
		nlink    map[string]uint32 // link counts afterwards
		dotdot   map[string]string // directory -> the directory its ".." must be
	}{
		{name: "file within a directory", setup: []setup{file("/a", "A")},
			old: "/a", new: "/b", gone: []string{"/a"}, contents: map[string]string{"/b": "A"}},
		{name: "file over a file", setup: []setup{file("/a", "A"), file("/b", "BBBB")},
			old: "/a", new: "/b", gone: []string{"/a"}, contents: map[string]string{"/b": "A"},
			nlink: map[string]uint32{"/b": 1}},
		{name: "file across directories", setup: []setup{dir("/d"), file("/a", "A")},
			old: "/a", new: "/d/a", gone: []string{"/a"}, contents: map[string]string{"/d/a": "A"},
			nlink: map[string]uint32{"/": 3, "/d": 2}},
		{name: "file onto its own hard link", setup: []setup{file("/a", "A"),
			func(t *testing.T, f *fs.FS) {
				if err := f.Link(nil, nil, "/a", nil, "/b", false); err != nil {
					t.Fatal(err)
				}
			}},
			old: "/a", new: "/b", contents: map[string]string{"/a": "A", "/b": "A"},
			nlink: map[string]uint32{"/a": 2}},
		{name: "file onto itself", setup: []setup{file("/a", "A")},
			old: "/a", new: "/a", contents: map[string]string{"/a": "A"}},
		{name: "directory across directories", setup: []setup{dir("/p"), dir("/q"), dir("/p/d"), file("/p/d/f", "F")},
			old: "/p/d", new: "/q/d", gone: []string{"/p/d"}, contents: map[string]string{"/q/d/f": "F"},
			nlink: map[string]uint32{"/p": 2, "/q": 3, "/q/d": 2}, dotdot: map[string]string{"/q/d": "/q"}},
		{name: "directory over an empty directory", setup: []setup{dir("/p"), dir("/q"), dir("/p/d"), dir("/q/e"), file("/p/d/f", "F")},
			old: "/p/d", new: "/q/e", gone: []string{"/p/d"}, contents: map[string]string{"/q/e/f": "F"},
			nlink: map[string]uint32{"/": 4, "/p": 2, "/q": 3, "/q/e": 2}, dotdot: map[string]string{"/q/e": "/q"}},
		{name: "directory up to the root", setup: []setup{dir("/p"), dir("/p/d")},
			old: "/p/d", new: "/d", gone: []string{"/p/d"},
			nlink: map[string]uint32{"/": 4, "/p": 2}, dotdot: map[string]string{"/d": "/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, dev := newFS(t, 2048)
			free0 := freeBlocks(t, f)
			for _, s := range tt.setup {
				s(t, f)
			}
			if err := f.Rename(nil, nil, tt.old, nil, tt.new, 0); err != nil {
				t.Fatalf("rename %s %s: %v", tt.old, tt.new, err)
			}
			for _, p := range tt.gone {
				if _, err := f.Lstat(nil, nil, p); err != syscall.ENOENT {
					t.Errorf("%s after the rename: %v, want ENOENT", p, err)
				}
			}
			for p, want := range tt.contents {
				if got := string(readFile(t, f, p)); got != want {
					t.Errorf("%s holds %q, want %q", p, got, want)
				}
			}
			for p, want := range tt.nlink {
				if st, err := f.Stat(nil, nil, p); err != nil || st.Nlink != want {
					t.Errorf("%s: nlink %d (%v), want %d", p, st.Nlink, err, want)
				}
			}
			for p, parent := range tt.dotdot {
				got, err1 := f.Stat(nil, nil, p+"/..")
				want, err2 := f.Stat(nil, nil, parent)
				if err1 != nil || err2 != nil || got.Ino != want.Ino {
					t.Errorf("%s/.. is inode %d (%v), want %s, inode %d (%v)", p, got.Ino, err1, parent, want.Ino, err2)
				}
			}
			fsck(t, f, dev)
			// Undo everything: the replaced file's blocks came back.
			f, err := fs.Mount(dev, fs.Options{})
			if err != nil {
				t.Fatal(err)
			}
			removeAll(t, f, "/")
			if got := freeBlocks(t, f); got != free0 {
				t.Errorf("free blocks %d after removing everything, want %d", got, free0)
			}
			fsck(t, f, dev)
		})
	}
}

// TestRenameOverOpen: a file replaced by rename while open stays readable
// through its handle, and its space comes back on the last close.
func TestRenameOverOpen(t *testing.T) {
	f, dev := newFS(t, 2048)
	writeFile(t, f, "/new", []byte("new"))
	writeFile(t, f, "/old", make([]byte, 50000))
	free0 := freeBlocks(t, f)
	ip, err := f.Open(nil, nil, "/old", syscall.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Rename(nil, nil, "/new", nil, "/old", 0); err != nil {
		t.Fatal(err)
	}
	if st, err := ip.Stat(); err != nil || st.Nlink != 0 || st.Size != 50000 {
		t.Errorf("replaced file: %+v %v", st, err)
	}
	if n, err := ip.ReadAt(make([]byte, 50000), 0); n != 50000 || err != nil {
		t.Errorf("read replaced file: %d %v", n, err)
	}
	if got := freeBlocks(t, f); got != free0 {
		t.Errorf("free blocks %d with the replaced file open, want %d", got, free0)
	}
	if err := ip.Close(); err != nil {
		t.Fatal(err)
	}
	if got := freeBlocks(t, f); got != free0+14 { // 13 data blocks and an indirect block
		t.Errorf("free blocks %d after the last close, want %d", got, free0+14)
	}
	if got := string(readFile(t, f, "/old")); got != "new" {
		t.Errorf("/old holds %q", got)
	}
	fsck(t, f, dev)
}

// removeAll removes everything below directory p.
func removeAll(t *testing.T, f *fs.FS, p string) {
	t.Helper()
	for _, name := range readDir(t, f, p) {
		c := p + "/" + name
		if p == "/" {
			c = "/" + name
		}
		st, err := f.Lstat(nil, nil, c)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode&0o170000 == 0o040000 {
			removeAll(t, f, c)
			err = f.Rmdir(nil, nil, c)
		} else {
			err = f.Unlink(nil, nil, c)
		}
		if err != nil {
			t.Fatalf("remove %s: %v", c, err)
		}
	}
}

// TestRenameCrash crashes a run of renames before every device write, with
// the writes persisting in order and reordered since the last flush: each
// rename is all or nothing, the disk passes fsck, and a rename that had
// returned (the mount is synchronous) survives. The renames replace a
// file, replace an empty directory in another parent (so ".." and both
// parents' link counts change), and move a file between directories.
func TestRenameCrash(t *testing.T) {
	base := fsdev.NewMem(2048)
	if _, err := fs.Format(base, fs.FormatOptions{}); err != nil {
		t.Fatal(err)
	}
	f, err := fs.Mount(base, fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"/p", "/q", "/p/d", "/q/e"} {
		if err := f.Mkdir(nil, nil, d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"/a", "/b", "/p/d/f", "/p/x"} {
		writeFile(t, f, p, []byte("contents of "+p))
	}
	if err := f.Unmount(); err != nil {
		t.Fatal(err)
	}

	rec := fsdev.NewRecorder(base.Clone())
	if f, err = fs.Mount(rec, fs.Options{Sync: true}); err != nil {
		t.Fatal(err)
	}
	renames := [][2]string{{"/a", "/b"}, {"/p/d", "/q/e"}, {"/p/x", "/q/x"}}
	states := []string{renameState(t, f)} // states[i]: after i renames
	var starts, ends []int                // writes issued before and after each
	for _, r := range renames {
		starts = append(starts, rec.Writes())
		if err := f.Rename(nil, nil, r[0], nil, r[1], 0); err != nil {
			t.Fatalf("rename %s %s: %v", r[0], r[1], err)
		}
		ends = append(ends, rec.Writes())
		states = append(states, renameState(t, f))
	}
	if err := f.Unmount(); err != nil {
		t.Fatal(err)
	}

	rng := rand.New(rand.NewSource(5))
	seen := map[int]bool{}
	for k := 0; k <= rec.Writes(); k++ {
		lo, hi := 0, 0 // renames that must be there, and that may be
		for i := range renames {
			if ends[i] <= k {
				lo = i + 1
			}
			if starts[i] < k {
				hi = i + 1
			}
		}
		for _, r := range []*rand.Rand{nil, rng} {
			img := fsdev.CrashImage(base, rec.Events(), k, r)
			if rep := check.Image(img, false); !rep.OK() {
				t.Fatalf("crash at write %d: fsck: %v", k, rep.Problems)
			}
			g, err := fs.Mount(img, fs.Options{})
			if err != nil {
				t.Fatalf("crash at write %d: mount: %v", k, err)
			}
			got := renameState(t, g)
			g.Unmount()
			i := slices.Index(states[lo:hi+1], got)
			if i < 0 {
				t.Fatalf("crash at write %d: state is none of %d..%d renames done:\n%s", k, lo, hi, got)
			}
			seen[lo+i] = true
		}
	}
	if len(seen) != len(states) {
		t.Errorf("crashes showed only the states after %v renames", seen)
	}
}

// renameState describes what TestRenameCrash's renames change.
func renameState(t *testing.T, f *fs.FS) string {
	var s []string
	for _, p := range []string{"/a", "/b", "/p/d/f", "/q/e/f", "/p/x", "/q/x"} {
		ip, err := f.Lookup(nil, nil, p)
		if err != nil {
			s = append(s, p+": "+err.Error())
			continue
		}
		b := make([]byte, 100)
		n, _ := ip.ReadAt(b, 0)
		st, _ := ip.Stat()
		ip.Close()
		s = append(s, fmt.Sprintf("%s: %q, %d links", p, b[:n], st.Nlink))
	}
	for _, p := range []string{"/p", "/q", "/p/d", "/q/e"} {
		st, err := f.Stat(nil, nil, p)
		up, uerr := f.Stat(nil, nil, p+"/..")
		s = append(s, fmt.Sprintf("%s: %d links (%v), .. is inode %d (%v)", p, st.Nlink, err, up.Ino, uerr))
	}
	return strings.Join(s, "\n")
}

// A ".." chain that loops (a damaged disk) is found at once by rename's
// ancestry walk, as corruption, instead of after a walk of every inode.
func TestDotDotCycle(t *testing.T) {
	f, dev := newFS(t, 4096)
	for _, d := range []string{"/a", "/a/b"} {
		if err := f.Mkdir(nil, nil, d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := f.Stat(nil, nil, "/a")
	b, _ := f.Stat(nil, nil, "/a/b")
	if err := f.Unmount(); err != nil {
		t.Fatal(err)
	}
	// Point a's ".." at b: a -> b -> a.
	sb := f.Superblock()
	blk := make([]byte, layout.BlockSize)
	bn, off := sb.InodeBlock(uint32(a.Ino))
	dev.ReadBlock(bn, blk)
	d, _ := layout.DecodeDinode(blk[off:])
	dev.ReadBlock(uint64(d.Direct[0]), blk)
	layout.ParseDirBlock(blk, sb.NInodes, func(e layout.Dirent) bool {
		if string(e.Name) == ".." {
			layout.PutDirent(blk, e.Off, uint32(b.Ino), e.RecLen, layout.DT_DIR, "..")
		}
		return true
	})
	dev.WriteBlock(uint64(d.Direct[0]), blk)
	f, err := fs.Mount(dev, fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, f, "/x", nil)
	err = f.Rename(nil, nil, "/x", nil, "/a/b/x", 0)
	if !errors.Is(err, syscall.EUCLEAN) || !strings.Contains(err.Error(), "loops") {
		t.Errorf("rename under a \"..\" loop: %v, want EUCLEAN naming the loop", err)
	}
}
