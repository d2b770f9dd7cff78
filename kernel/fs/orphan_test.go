package fs_test

import (
	"bytes"
	"errors"
	"strconv"
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

// TestOrphanTableFull: with every orphan slot taken by a file unlinked
// while open, one more such unlink fails with ENOSPC and changes nothing.
func TestOrphanTableFull(t *testing.T) {
	f, dev := newFSWith(t, 4096, fs.FormatOptions{Inodes: 1200})
	var open []*fs.Handle
	defer func() {
		for _, ip := range open {
			ip.Close()
		}
	}()
	for i := 0; i <= layout.OrphanSlots; i++ {
		name := "/f" + strconv.Itoa(i)
		ip, err := f.Open(nil, nil, name, fs.O_CREAT|syscall.O_RDWR, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, ip)
		err = f.Unlink(nil, nil, name)
		if i < layout.OrphanSlots && err != nil {
			t.Fatalf("unlink %d: %v", i, err)
		}
		if i == layout.OrphanSlots {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Errorf("unlink with the orphan table full: %v", err)
			}
			if _, err := f.Stat(nil, nil, name); err != nil {
				t.Errorf("failed unlink removed the name: %v", err)
			}
		}
	}
	for _, ip := range open {
		ip.Close()
	}
	open = nil
	fsck(t, f, dev)
}
