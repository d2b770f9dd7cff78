package fs

import (
	"fmt"
	"math/bits"
	"sync/atomic"
	"syscall"

	"scone/kernel/fs/layout"
)

// A bitmap is a run of blocks holding one bit per item (1 = in use).
type bitmap struct {
	start  uint64 // first block
	blocks uint32
	n      uint64 // items covered
	lo     uint64 // items below lo are never handed out (metadata, inode 0)
	what   string
	nfree  *atomic.Int64 // clear bits, kept by alloc and free for StatFS
}

func (fs *FS) blockBitmap() bitmap {
	return bitmap{uint64(fs.sb.BlockBitmapStart), fs.sb.BlockBitmapBlocks, fs.sb.NBlocks, uint64(fs.sb.DataStart), "block", &fs.freeBlocks}
}

func (fs *FS) inodeBitmap() bitmap {
	return bitmap{uint64(fs.sb.InodeBitmapStart), fs.sb.InodeBitmapBlocks, uint64(fs.sb.NInodes), layout.RootInum, "inode", &fs.freeInodes}
}

// alloc finds a clear bit at or after *hint (wrapping around), sets it and
// logs the bitmap block. It fails with ENOSPC when every bit is set.
func (fs *FS) alloc(t *tx, bm bitmap, hint *uint32) (uint32, error) {
	fs.allocMu.Lock()
	defer fs.allocMu.Unlock()
	startItem := max(uint64(*hint), bm.lo)
	if startItem >= bm.n {
		startItem = bm.lo
	}
	first := startItem / layout.BitsPerBlock
	nb := uint64(bm.blocks)
	for i := uint64(0); i <= nb; i++ {
		bi := (first + i) % nb
		from := uint64(0)
		if i == 0 {
			from = startItem % layout.BitsPerBlock
		}
		b, err := fs.c.get(bm.start + bi)
		if err != nil {
			return 0, err
		}
		item, ok := findClear(b.data, from)
		item += bi * layout.BitsPerBlock
		if ok && item < bm.n {
			if item < bm.lo {
				fs.c.release(b)
				return 0, errCorrupt("%s bitmap: reserved %s %d is marked free", bm.what, bm.what, item)
			}
			b.data[item%layout.BitsPerBlock/8] |= 1 << (item % 8)
			t.write(b)
			fs.c.release(b)
			bm.nfree.Add(-1)
			*hint = uint32(item + 1)
			return uint32(item), nil
		}
		fs.c.release(b)
	}
	return 0, fmt.Errorf("fs: no free %s: %w", bm.what, syscall.ENOSPC)
}

// findClear returns the first clear bit of block data at or after from.
func findClear(data []byte, from uint64) (uint64, bool) {
	for i := from / 8; i < uint64(len(data)); i++ {
		v := data[i]
		if i == from/8 {
			v |= byte(1<<(from%8) - 1) // ignore bits before from
		}
		if v != 0xff {
			return i*8 + uint64(bits.TrailingZeros8(^v)), true
		}
	}
	return 0, false
}

// free clears bit item, which must be set.
func (fs *FS) free(t *tx, bm bitmap, item uint64) error {
	if item < bm.lo || item >= bm.n {
		return errCorrupt("freeing %s %d outside %d..%d", bm.what, item, bm.lo, bm.n)
	}
	b, err := fs.c.get(bm.start + item/layout.BitsPerBlock)
	if err != nil {
		return err
	}
	defer fs.c.release(b)
	off, mask := item%layout.BitsPerBlock/8, byte(1)<<(item%8)
	if b.data[off]&mask == 0 {
		return errCorrupt("freeing free %s %d", bm.what, item)
	}
	b.data[off] &^= mask
	t.write(b)
	bm.nfree.Add(1)
	return nil
}

// balloc allocates a data block, zeroed and logged.
func (fs *FS) balloc(t *tx) (uint32, error) {
	a, err := fs.alloc(t, fs.blockBitmap(), &fs.blockHint)
	if err != nil {
		return 0, err
	}
	b := fs.c.getZero(uint64(a))
	t.write(b)
	fs.c.release(b)
	return a, nil
}

// bfree frees data block a.
func (fs *FS) bfree(t *tx, a uint32) error { return fs.free(t, fs.blockBitmap(), uint64(a)) }

// bitmapBlock returns the bitmap block that records block a, to count the
// blocks an operation will log.
func (fs *FS) bitmapBlock(a uint32) uint64 {
	return uint64(fs.sb.BlockBitmapStart) + uint64(a)/layout.BitsPerBlock
}

// countFree counts the clear bits of bm: once, at mount, to start the
// counters.
func (fs *FS) countFree(bm bitmap) (uint64, error) {
	var used uint64
	for bi := uint64(0); bi < uint64(bm.blocks); bi++ {
		b, err := fs.c.get(bm.start + bi)
		if err != nil {
			return 0, err
		}
		for i, v := range b.data {
			if item := bi*layout.BitsPerBlock + uint64(i)*8; item < bm.n {
				// Bits past bm.n are set by mkfs; count only real ones.
				span := min(8, bm.n-item)
				used += uint64(bits.OnesCount8(v & byte(1<<span-1)))
			}
		}
		fs.c.release(b)
	}
	return bm.n - used, nil
}

// StatFS describes capacity, for statfs(2).
type StatFS struct {
	BlockSize          int64
	Blocks, FreeBlocks uint64
	Inodes, FreeInodes uint64
	NameMax            int64
}

// StatFS reports capacity from the free counts alloc and free keep (no
// scan of the bitmaps).
func (fs *FS) StatFS() (StatFS, error) {
	return StatFS{BlockSize: BlockSize, Blocks: fs.sb.NBlocks, FreeBlocks: uint64(fs.freeBlocks.Load()),
		Inodes: uint64(fs.sb.NInodes), FreeInodes: uint64(fs.freeInodes.Load()), NameMax: layout.MaxNameLen}, nil
}

// countAll starts the free counters from the bitmaps.
func (fs *FS) countAll() error {
	fb, err := fs.countFree(fs.blockBitmap())
	if err != nil {
		return err
	}
	fi, err := fs.countFree(fs.inodeBitmap())
	if err != nil {
		return err
	}
	fs.freeBlocks.Store(int64(fb))
	fs.freeInodes.Store(int64(fi))
	return nil
}
