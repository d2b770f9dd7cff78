package fs_test

import (
	"bytes"
	"errors"
	"math/rand"
	"strconv"
	"syscall"
	"testing"

	"scone/kernel/fs"
	"scone/kernel/fs/check"
	"scone/kernel/fs/fsdev"
	"scone/kernel/fs/layout"
)

// TestBigFile writes at offsets reached only through the double-indirect
// block (beyond 1 GiB and near the 4 GiB limit), reads back, and frees.
func TestBigFile(t *testing.T) {
	f, dev := newFS(t, 8192)
	free0 := freeBlocks(t, f)
	ip, err := f.Open(nil, nil, "/big", fs.O_CREAT|syscall.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	offs := []int64{0, 100 << 10, 5 << 20, 1<<30 + 12345, 4<<30 - 1<<20}
	for i, off := range offs {
		if _, err := ip.WriteAt(bytes.Repeat([]byte{byte(i + 1)}, 70000), off); err != nil {
			t.Fatalf("write at %d: %v", off, err)
		}
	}
	st, _ := ip.Stat()
	if st.Size != offs[len(offs)-1]+70000 {
		t.Errorf("size %d", st.Size)
	}
	b := make([]byte, 70000)
	for i, off := range offs {
		if _, err := ip.ReadAt(b, off); err != nil || b[0] != byte(i+1) || b[69999] != byte(i+1) {
			t.Errorf("read at %d: %v", off, err)
		}
	}
	if _, err := ip.ReadAt(b[:10], 2<<30); err != nil || !bytes.Equal(b[:10], make([]byte, 10)) {
		t.Errorf("hole does not read as zeros: %v", err)
	}
	// The very last byte a file can hold, and one past it.
	last := int64(layout.MaxFileSize - 1)
	if n, err := ip.WriteAt([]byte{7}, last); n != 1 || err != nil {
		t.Errorf("write the last byte: %d %v", n, err)
	}
	if _, err := ip.ReadAt(b[:1], last); err != nil || b[0] != 7 {
		t.Errorf("read the last byte: %d %v", b[0], err)
	}
	if _, err := ip.WriteAt([]byte{7}, last+1); !errors.Is(err, syscall.EFBIG) {
		t.Errorf("write past the largest file: %v, want EFBIG", err)
	}
	if err := ip.Truncate(last + 2); !errors.Is(err, syscall.EFBIG) {
		t.Errorf("truncate past the largest file: %v, want EFBIG", err)
	}
	// Holes take no space: 5 writes of 18 blocks, the last byte's block,
	// the indirect block, the double-indirect block and five of its
	// indirect blocks (the write past 1 GiB straddles two).
	if st, _ := ip.Stat(); st.Size != int64(layout.MaxFileSize) || st.Blocks != (5*18+1+7)*8 {
		t.Errorf("size %d, %d 512-byte blocks; want %d, %d", st.Size, st.Blocks, layout.MaxFileSize, (5*18+1+7)*8)
	}
	ip.Close()
	if err := f.Unmount(); err != nil {
		t.Fatal(err)
	}
	if r := check.Image(dev, false); !r.OK() {
		t.Fatal(r.Problems)
	}
	f, _ = fs.Mount(dev, fs.Options{})
	if err := f.Unlink(nil, nil, "/big"); err != nil {
		t.Fatal(err)
	}
	if got := freeBlocks(t, f); got != free0 {
		t.Errorf("free blocks %d after unlink, want %d", got, free0)
	}
	fsck(t, f, dev)
}

// TestTruncateCrash shrinks a file with freeing forced to span many small
// transactions and crashes before every write: the file must have its old
// size or its new one, fsck must pass after mount, and no block may leak.
func TestTruncateCrash(t *testing.T) {
	defer fs.SetOpBudget(8)()
	base, data, oldSize := spreadFile(t)
	rec := fsdev.NewRecorder(base.Clone())
	f, _ := fs.Mount(rec, fs.Options{})
	const newSize = 3*fs.BlockSize + 100
	if err := f.Truncate(nil, nil, "/f", newSize); err != nil {
		t.Fatal(err)
	}
	st := f.Stats()
	if err := f.Unmount(); err != nil {
		t.Fatal(err)
	}
	events := rec.Events()
	writes := rec.Writes()
	t.Logf("truncate: %d commits, %d writes", st.Commits, writes)
	if st.Commits < 5 {
		t.Errorf("only %d commits: the budget did not split the truncation", st.Commits)
	}
	for k := 0; k <= writes; k++ {
		img := fsdev.CrashImage(base, events, k, nil)
		g, err := fs.Mount(img, fs.Options{})
		if err != nil {
			t.Fatalf("k=%d: mount: %v", k, err)
		}
		s, err := g.Stat(nil, nil, "/f")
		if err != nil || (s.Size != int64(oldSize) && s.Size != newSize) {
			t.Errorf("k=%d: size %d (%v)", k, s.Size, err)
		}
		ip, _ := g.Lookup(nil, nil, "/f")
		got := make([]byte, newSize)
		if _, err := ip.ReadAt(got, 0); err != nil || !bytes.Equal(got, data[:newSize]) {
			t.Errorf("k=%d: contents changed (%v)", k, err)
		}
		ip.Close()
		g.Unmount()
		if r := check.Image(img, false); !r.OK() {
			t.Fatalf("k=%d: fsck: %v", k, r.Problems)
		}
	}
}

// spreadFile makes an image holding /f: four blocks of data, then one
// block in each of 30 indirect blocks of the double-indirect tree, so that
// freeing it touches many blocks. It returns the image, the data and the
// size of /f.
func spreadFile(t *testing.T) (*fsdev.Mem, []byte, int) {
	base := fsdev.NewMem(4096)
	if _, err := fs.Format(base, fs.FormatOptions{}); err != nil {
		t.Fatal(err)
	}
	f, _ := fs.Mount(base, fs.Options{})
	data := make([]byte, 4*fs.BlockSize)
	rand.New(rand.NewSource(1)).Read(data)
	writeFile(t, f, "/f", data)
	ip, _ := f.Open(nil, nil, "/f", syscall.O_RDWR, 0)
	for i := int64(1); i <= 30; i++ {
		if _, err := ip.WriteAt(data[:fs.BlockSize], i*1024*fs.BlockSize); err != nil {
			t.Fatal(err)
		}
	}
	ip.Close()
	if err := f.Unmount(); err != nil {
		t.Fatal(err)
	}
	return base, data, 30*1024*fs.BlockSize + fs.BlockSize
}

// TestReleaseCrash unlinks /f of spreadFile while it is open and closes it,
// with freeing forced into many small transactions, and crashes before
// every write: after mount, /f is either whole or gone with every block
// and its inode free again.
func TestReleaseCrash(t *testing.T) {
	defer fs.SetOpBudget(8)()
	base, _, oldSize := spreadFile(t)
	f, _ := fs.Mount(base.Clone(), fs.Options{})
	st0, _ := f.StatFS()
	f.Unlink(nil, nil, "/f")
	empty, _ := f.StatFS() // the file and its inode freed
	f.Unmount()

	rec := fsdev.NewRecorder(base.Clone())
	f, _ = fs.Mount(rec, fs.Options{})
	ip, err := f.Open(nil, nil, "/f", syscall.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Unlink(nil, nil, "/f"); err != nil {
		t.Fatal(err)
	}
	if err := ip.Close(); err != nil { // frees it, many transactions
		t.Fatal(err)
	}
	if err := f.Unmount(); err != nil {
		t.Fatal(err)
	}
	gone := 0
	for k := 0; k <= rec.Writes(); k++ {
		img := fsdev.CrashImage(base, rec.Events(), k, nil)
		g, err := fs.Mount(img, fs.Options{})
		if err != nil {
			t.Fatalf("k=%d: mount: %v", k, err)
		}
		s, serr := g.Stat(nil, nil, "/f")
		got, _ := g.StatFS()
		g.Unmount()
		switch {
		case serr == nil && s.Size == int64(oldSize) && got == st0:
		case serr == syscall.ENOENT && got == empty:
			gone++
		default:
			t.Fatalf("k=%d: /f: %+v %v; free blocks %d, inodes %d; want %d, %d (whole) or %d, %d (gone)",
				k, s, serr, got.FreeBlocks, got.FreeInodes, st0.FreeBlocks, st0.FreeInodes, empty.FreeBlocks, empty.FreeInodes)
		}
		if r := check.Image(img, false); !r.OK() {
			t.Fatalf("k=%d: fsck: %v", k, r.Problems)
		}
	}
	if gone == 0 || gone > rec.Writes() {
		t.Errorf("the file was gone after %d of %d crash points", gone, rec.Writes()+1)
	}
}

// TestFull fills the disk's blocks and then its inodes: calls fail with
// ENOSPC, leave nothing half made, and the space comes back.
func TestFull(t *testing.T) {
	f, dev := newFSWith(t, 700, fs.FormatOptions{Inodes: 64})
	free0 := freeBlocks(t, f)
	ip, err := f.Open(nil, nil, "/fill", fs.O_CREAT|syscall.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	var off int64
	for i := 0; i < 100; i++ {
		n, err := ip.WriteAt(chunk, off)
		off += int64(n)
		if err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("write: %v", err)
			}
			break
		}
	}
	ip.Close()
	if st, _ := f.Stat(nil, nil, "/fill"); st.Size != off || off == 0 {
		t.Errorf("size %d after writing %d", st.Size, off)
	}
	// Directories need a block each: they fail cleanly once none is left.
	var mkErr error
	for i := 0; i < 100 && mkErr == nil; i++ {
		mkErr = f.Mkdir(nil, nil, "/d"+strconv.Itoa(i), 0o755)
	}
	if !errors.Is(mkErr, syscall.ENOSPC) {
		t.Errorf("mkdir on a full disk: %v", mkErr)
	}
	if err := f.Unlink(nil, nil, "/fill"); err != nil {
		t.Fatal(err)
	}
	// Now run out of inodes instead.
	var crErr error
	for i := 0; i < 100 && crErr == nil; i++ {
		var ip *fs.Handle
		if ip, crErr = f.Open(nil, nil, "/e"+strconv.Itoa(i), fs.O_CREAT|syscall.O_RDWR, 0o644); crErr == nil {
			ip.Close()
		}
	}
	if !errors.Is(crErr, syscall.ENOSPC) {
		t.Errorf("create with no inodes left: %v", crErr)
	}
	r := fsck(t, f, dev)
	if r.Inodes != 64-1 { // every inode but the reserved 0
		t.Errorf("%d inodes in use, want 63", r.Inodes)
	}
	f, _ = fs.Mount(dev, fs.Options{})
	for i := 0; i < 100; i++ {
		f.Unlink(nil, nil, "/e"+strconv.Itoa(i))
		f.Rmdir(nil, nil, "/d"+strconv.Itoa(i))
	}
	if got := freeBlocks(t, f); got != free0 {
		t.Errorf("free blocks %d after deleting everything, want %d", got, free0)
	}
	fsck(t, f, dev)
}

// TestLargeWriteCrash: a write larger than one transaction is split into
// pieces that each commit atomically. Crashed before every device write,
// the file must hold the new data for a whole number of pieces followed by
// the old data (or by nothing, past the old end): never a torn piece.
func TestLargeWriteCrash(t *testing.T) {
	base := fsdev.NewMem(4096)
	if _, err := fs.Format(base, fs.FormatOptions{}); err != nil {
		t.Fatal(err)
	}
	f, _ := fs.Mount(base, fs.Options{})
	old := bytes.Repeat([]byte("old!"), 100*fs.BlockSize/4) // 100 blocks
	writeFile(t, f, "/f", old)
	if err := f.Unmount(); err != nil {
		t.Fatal(err)
	}
	rec := fsdev.NewRecorder(base.Clone())
	f, _ = fs.Mount(rec, fs.Options{})
	neu := make([]byte, 150*fs.BlockSize+123) // three pieces, past the old end
	rand.New(rand.NewSource(2)).Read(neu)
	ip, _ := f.Open(nil, nil, "/f", syscall.O_RDWR, 0)
	if _, err := ip.WriteAt(neu, 0); err != nil {
		t.Fatal(err)
	}
	ip.Close()
	if err := f.Unmount(); err != nil {
		t.Fatal(err)
	}
	events, writes := rec.Events(), rec.Writes()
	const piece = fs.MaxWriteBlocks * fs.BlockSize
	seen := map[int]bool{}
	for k := 0; k <= writes; k++ {
		img := fsdev.CrashImage(base, events, k, nil)
		g, err := fs.Mount(img, fs.Options{})
		if err != nil {
			t.Fatalf("k=%d: mount: %v", k, err)
		}
		got := readFile(t, g, "/f")
		g.Unmount()
		// got must be neu[:p] + old[p:] (or neu[:p] alone past old's end)
		// for p a multiple of the piece size (the write starts at 0, so
		// pieces end there), or all of neu.
		p := 0
		for p < len(got) && p < len(neu) && got[p] == neu[p] {
			p++
		}
		p -= p % fs.BlockSize // matching bytes may run on by chance
		want := append(append([]byte(nil), neu[:p]...), old[min(p, len(old)):]...)
		if len(got) == len(neu) && bytes.Equal(got, neu) {
			p = len(neu)
		} else if !bytes.Equal(got, want) {
			t.Fatalf("k=%d: file is neither old nor new past byte %d (size %d)", k, p, len(got))
		} else if p%piece != 0 {
			t.Fatalf("k=%d: the new data ends at byte %d, inside a %d-byte piece: a torn piece", k, p, piece)
		}
		seen[p] = true
		if r := check.Image(img, false); !r.OK() {
			t.Fatalf("k=%d: fsck: %v", k, r.Problems)
		}
	}
	if len(seen) < 4 {
		t.Errorf("crashes showed only %d distinct prefixes; want the old file, two partial, the new", len(seen))
	}
	t.Logf("%d writes; prefixes seen: %v", writes, seen)
}
