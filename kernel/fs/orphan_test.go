package fs_test

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"scone/kernel/fs"
	"scone/kernel/fs/layout"
)

func freeBlocks(t *testing.T, f *fs.FS) uint64 {
	t.Helper()
	st, err := f.StatFS()
	if err != nil {
		t.Fatal(err)
	}
	return st.FreeBlocks
}

// TestUnlinkOpen: an unlinked file stays readable and writable through an
// open handle; its space comes back on the last close.
func TestUnlinkOpen(t *testing.T) {
	f, dev := newFS(t, 4096)
	free0 := freeBlocks(t, f)
	data := bytes.Repeat([]byte("z"), 100000)
	writeFile(t, f, "/doomed", data)
	ip, err := f.Open(nil, nil, "/doomed", syscall.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	dup, _ := ip.Dup()
	if err := f.Unlink(nil, nil, "/doomed"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Stat(nil, nil, "/doomed"); err != syscall.ENOENT {
		t.Errorf("stat after unlink: %v", err)
	}
	if _, err := ip.WriteAt([]byte("still here"), 0); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 10)
	if _, err := dup.ReadAt(b, 0); err != nil || string(b) != "still here" {
		t.Errorf("read unlinked: %q %v", b, err)
	}
	if st, _ := ip.Stat(); st.Nlink != 0 {
		t.Errorf("nlink %d", st.Nlink)
	}
	ip.Close()
	if freeBlocks(t, f) == free0 {
		t.Error("blocks freed while a handle is still open")
	}
	dup.Close()
	if got := freeBlocks(t, f); got != free0 {
		t.Errorf("free blocks %d after last close, want %d", got, free0)
	}
	fsck(t, f, dev)
}

// TestOrphanAfterCrash: a file unlinked while open, then a crash before
// the close: mount must free it.
func TestOrphanAfterCrash(t *testing.T) {
	f, dev := newFS(t, 4096)
	free0 := freeBlocks(t, f)
	writeFile(t, f, "/doomed", make([]byte, 300000))
	ip, err := f.Open(nil, nil, "/doomed", syscall.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Unlink(nil, nil, "/doomed"); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	crashed := dev.Clone() // the power fails with the file still open
	ip.Close()
	f2, err := fs.Mount(crashed, fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, orphans := f2.MountInfo(); orphans != 1 {
		t.Errorf("mount freed %d orphans, want 1", orphans)
	}
	if got := freeBlocks(t, f2); got != free0 {
		t.Errorf("free blocks %d after recovery, want %d", got, free0)
	}
	fsck(t, f2, crashed)
}

// TestManyOrphans: far more files unlinked while open than the old
// 1024-slot orphan table held, and every delete still works for everyone
// (defect 2: the 1025th unlink, and after it every rmdir, rename over a
// file and shrinking truncate, failed with ENOSPC system-wide). A crash
// with all of them open leaves mount to free them all.
func TestManyOrphans(t *testing.T) {
	const n = 1500
	f, dev := newFSWith(t, 8192, fs.FormatOptions{Inodes: 2048})
	free0 := freeBlocks(t, f)
	var open []*fs.Handle
	for i := range n {
		name := "/f" + strconv.Itoa(i)
		ip, err := f.Open(nil, nil, name, fs.O_CREAT|syscall.O_RDWR, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		if i%100 == 0 {
			if _, err := ip.WriteAt(make([]byte, 5000), 0); err != nil {
				t.Fatal(err)
			}
		}
		open = append(open, ip)
		if err := f.Unlink(nil, nil, name); err != nil {
			t.Fatalf("unlink %d of a file held open: %v", i, err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, f, "/a", make([]byte, 9000))
	writeFile(t, f, "/b", nil)
	must(f.Mkdir(nil, nil, "/d", 0o755))
	must(f.Truncate(nil, nil, "/a", 10))
	must(f.Rename(nil, nil, "/b", nil, "/a", 0))
	must(f.Rmdir(nil, nil, "/d"))
	must(f.Unlink(nil, nil, "/a"))
	must(f.Sync())
	crashed := dev.Clone() // the power fails with every orphan open
	// Close in an order that exercises removal from the middle of the list.
	for i := range open {
		j := (i * 7) % len(open)
		if open[j] != nil {
			must(open[j].Close())
			open[j] = nil
		}
	}
	for _, ip := range open {
		if ip != nil {
			must(ip.Close())
		}
	}
	if got := freeBlocks(t, f); got != free0 {
		t.Errorf("free blocks %d after closing, want %d", got, free0)
	}
	fsck(t, f, dev)
	f2, err := fs.Mount(crashed, fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, orphans := f2.MountInfo(); orphans != n {
		t.Errorf("mount freed %d orphans, want %d", orphans, n)
	}
	if got := freeBlocks(t, f2); got != free0 {
		t.Errorf("free blocks %d after recovery, want %d", got, free0)
	}
	fsck(t, f2, crashed)
}

// An orphan list that loops, or names a free inode, is refused at mount
// with EUCLEAN instead of being followed for ever.
func TestOrphanListCorrupt(t *testing.T) {
	tests := []struct {
		name string
		mode uint32 // given to the file's inode, which points to itself (0: free)
		want string
	}{
		{"loop", 0o100644, "loops back"},
		{"free inode", 0, "free inode on the orphan list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, dev := newFS(t, 4096)
			writeFile(t, f, "/x", nil)
			st, err := f.Stat(nil, nil, "/x")
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Unmount(); err != nil {
				t.Fatal(err)
			}
			inum := uint32(st.Ino)
			sb := f.Superblock()
			b := make([]byte, layout.BlockSize)
			layout.PutOrphanHead(b, inum)
			dev.WriteBlock(uint64(sb.OrphanStart), b)
			bn, off := sb.InodeBlock(inum)
			dev.ReadBlock(bn, b)
			d, _ := layout.DecodeDinode(b[off:])
			d.NextOrphan, d.Mode = inum, tt.mode // loops to itself
			d.Encode(b[off:])
			dev.WriteBlock(bn, b)
			_, err = fs.Mount(dev, fs.Options{})
			if !errors.Is(err, syscall.EUCLEAN) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("mount: %v, want EUCLEAN about %q", err, tt.want)
			}
		})
	}
}
