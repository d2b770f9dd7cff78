package fs_test

import (
	"bytes"
	"sync"
	"testing"

	"scone/kernel/fs"
	"scone/kernel/fs/fsdev"
)

// countDev is a device that reads and writes runs, counting the requests
// of each kind.
type countDev struct {
	*fsdev.Mem
	mu                      sync.Mutex
	reads, writes, flushes  int
	blocksRead, runsWritten int
}

func (d *countDev) count(p *int, n int) {
	d.mu.Lock()
	*p += n
	d.mu.Unlock()
}

func (d *countDev) ReadBlock(n uint64, b []byte) error {
	d.count(&d.reads, 1)
	d.count(&d.blocksRead, 1)
	return d.Mem.ReadBlock(n, b)
}

func (d *countDev) WriteBlock(n uint64, b []byte) error {
	d.count(&d.writes, 1)
	return d.Mem.WriteBlock(n, b)
}

func (d *countDev) Flush() error {
	d.count(&d.flushes, 1)
	return nil
}

func (d *countDev) ReadBlocks(n uint64, bufs [][]byte) error {
	d.count(&d.reads, 1)
	d.count(&d.blocksRead, len(bufs))
	for i, b := range bufs {
		if err := d.Mem.ReadBlock(n+uint64(i), b); err != nil {
			return err
		}
	}
	return nil
}

func (d *countDev) WriteBlocks(n uint64, bufs [][]byte) error {
	d.count(&d.writes, 1)
	d.count(&d.runsWritten, 1)
	for i, b := range bufs {
		if err := d.Mem.WriteBlock(n+uint64(i), b); err != nil {
			return err
		}
	}
	return nil
}

func (d *countDev) reset() {
	d.mu.Lock()
	d.reads, d.writes, d.flushes, d.blocksRead, d.runsWritten = 0, 0, 0, 0, 0
	d.mu.Unlock()
}

// pattern is n bytes that differ from block to block.
func pattern(n, seed int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i/4096*7 + i + seed)
	}
	return b
}

// TestSequentialReadAhead: reading a 2 MiB file from a cold cache in
// 64 KiB reads costs a device request per 128 KiB, not one per block,
// and returns the file's bytes. Two files written a block at a time in
// turn lie interleaved on the disk: reading one must not read the
// other's blocks ahead.
func TestSequentialReadAhead(t *testing.T) {
	dev := &countDev{Mem: fsdev.NewMem(4096)}
	if _, err := fs.Format(dev, fs.FormatOptions{}); err != nil {
		t.Fatal(err)
	}
	f, err := fs.Mount(dev, fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	big := pattern(2<<20, 1)
	h, err := f.Open(nil, nil, "/big", fs.O_CREAT|fs.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.WriteAt(big, 0); err != nil {
		t.Fatal(err)
	}
	h.Close()
	a, b := pattern(64<<10, 2), pattern(64<<10, 3)
	ha, _ := f.Open(nil, nil, "/a", fs.O_CREAT|fs.O_RDWR, 0o644)
	hb, _ := f.Open(nil, nil, "/b", fs.O_CREAT|fs.O_RDWR, 0o644)
	for off := 0; off < len(a); off += fs.BlockSize {
		ha.WriteAt(a[off:off+fs.BlockSize], int64(off))
		hb.WriteAt(b[off:off+fs.BlockSize], int64(off))
	}
	ha.Close()
	hb.Close()
	if err := f.Unmount(); err != nil {
		t.Fatal(err)
	}

	if f, err = fs.Mount(dev, fs.Options{}); err != nil {
		t.Fatal(err)
	}
	read := func(name string, want []byte) {
		t.Helper()
		h, err := f.Lookup(nil, nil, name)
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		got := make([]byte, len(want))
		for off := 0; off < len(got); off += 64 << 10 {
			if n, err := h.ReadAt(got[off:min(len(got), off+64<<10)], int64(off)); err != nil || n != min(len(got)-off, 64<<10) {
				t.Fatalf("%s: read at %d: %d, %v", name, off, n, err)
			}
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: read back different bytes", name)
		}
	}
	dev.reset()
	read("/big", big)
	// 512 blocks in runs of 32, plus a few pointer blocks and the inode.
	if dev.reads > 512/32+8 || dev.blocksRead < 512 {
		t.Errorf("2 MiB read in %d requests (%d blocks); want at most %d", dev.reads, dev.blocksRead, 512/32+8)
	}
	before := f.Stats().ReadAheadBlocks
	dev.reset()
	read("/a", a)
	read("/b", b)
	if got := f.Stats().ReadAheadBlocks - before; got != 0 {
		t.Errorf("read %d blocks ahead in interleaved files (none of them follows its predecessor)", got)
	}
	if dev.blocksRead > 2*16+4 {
		t.Errorf("read %d blocks for two 16-block files", dev.blocksRead)
	}
	fsck(t, f, dev)
}

// TestCommitRuns: a commit writes its journal header and blocks as one
// run and installs the blocks in runs of consecutive blocks: a 200 KiB
// write (50 data blocks, a bitmap block, the inode) costs a handful of
// device requests, not two per block.
func TestCommitRuns(t *testing.T) {
	dev := &countDev{Mem: fsdev.NewMem(4096)}
	if _, err := fs.Format(dev, fs.FormatOptions{}); err != nil {
		t.Fatal(err)
	}
	f, err := fs.Mount(dev, fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := f.Open(nil, nil, "/f", fs.O_CREAT|fs.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.Sync()
	dev.reset()
	data := pattern(200<<10, 4)
	if _, err := h.WriteAt(data, 0); err != nil {
		t.Fatal(err)
	}
	h.Close()
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if dev.flushes != 1 || dev.writes > 6 {
		t.Errorf("a 50-block commit took %d writes and %d flushes; want at most 6 and 1", dev.writes, dev.flushes)
	}
	fsck(t, f, dev)
}
