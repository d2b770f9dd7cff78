package fs

import (
	"fmt"
	"syscall"

	"scone/kernel/fs/layout"
)

// FormatOptions choose the geometry of a new file system. Zero fields get
// defaults.
type FormatOptions struct {
	Inodes    uint32 // default: one per 16 KiB of disk
	LogBlocks uint32 // blocks in each journal half; default: 1/32 of the disk, clamped to [2*MaxOpBlocks, MaxLogBlocks]
	Now       int64  // time stamp of the root directory (ns since the epoch)
}

// MinBlocks is the smallest disk Format accepts.
const MinBlocks = 4*(layout.MaxOpBlocks+1) + 64

// Format writes an empty file system (a root directory and nothing else)
// over the whole device, bypassing the journal; nothing may be mounted on
// it meanwhile.
func Format(dev BlockDevice, opt FormatOptions) (*layout.Superblock, error) {
	nblocks := min(dev.NumBlocks(), 1<<32-1)
	if nblocks < MinBlocks {
		return nil, fmt.Errorf("fs: format: %d blocks is too small (minimum %d): %w", nblocks, MinBlocks, syscall.EINVAL)
	}
	if opt.Inodes == 0 {
		opt.Inodes = uint32(max(64, nblocks/4))
	}
	if opt.LogBlocks == 0 {
		opt.LogBlocks = uint32(min(max(nblocks/32, 2*layout.MaxOpBlocks), layout.MaxLogBlocks))
	}
	per := func(n, k uint64) uint32 { return uint32((n + k - 1) / k) }
	sb := &layout.Superblock{NBlocks: nblocks, NInodes: opt.Inodes, OrphanStart: 1, LogStart: 2,
		LogBlocks: opt.LogBlocks, MkfsTime: opt.Now}
	sb.InodeBitmapStart = uint32(sb.LogEnd())
	sb.InodeBitmapBlocks = per(uint64(sb.NInodes), layout.BitsPerBlock)
	sb.BlockBitmapStart = sb.InodeBitmapStart + sb.InodeBitmapBlocks
	sb.BlockBitmapBlocks = per(nblocks, layout.BitsPerBlock)
	sb.InodeStart = sb.BlockBitmapStart + sb.BlockBitmapBlocks
	sb.InodeBlocks = per(uint64(sb.NInodes), layout.InodesPerBlock)
	sb.DataStart = sb.InodeStart + sb.InodeBlocks
	if uint64(sb.DataStart)+16 > nblocks {
		return nil, fmt.Errorf("fs: format: no room for data with %d inodes: %w", sb.NInodes, syscall.EINVAL)
	}
	if err := sb.Validate(); err != nil {
		return nil, fmt.Errorf("fs: format: %w", err)
	}

	b := make([]byte, BlockSize)
	write := func(n uint64) error {
		if err := dev.WriteBlock(n, b); err != nil {
			return ioError("format write", n, err)
		}
		return nil
	}
	for n := uint64(1); n < uint64(sb.DataStart); n++ { // zero the metadata
		if err := write(n); err != nil {
			return nil, err
		}
	}
	root := uint64(sb.DataStart) // the root directory's one block
	if err := writeBitmap(write, b, sb.BlockBitmapStart, sb.BlockBitmapBlocks, nblocks, root+1); err != nil {
		return nil, err
	}
	if err := writeBitmap(write, b, sb.InodeBitmapStart, sb.InodeBitmapBlocks, uint64(sb.NInodes), layout.RootInum+1); err != nil {
		return nil, err
	}
	layout.InitDirBlock(b)
	layout.PutDirent(b, 0, layout.RootInum, 16, layout.DT_DIR, ".")
	layout.PutDirent(b, 16, layout.RootInum, BlockSize-16, layout.DT_DIR, "..")
	if err := write(root); err != nil {
		return nil, err
	}
	clear(b)
	d := layout.Dinode{Mode: layout.S_IFDIR | 0o755, Nlink: 2, Size: BlockSize,
		Mtime: opt.Now, Ctime: opt.Now, Blocks: 1}
	d.Direct[0] = uint32(root)
	bn, off := sb.InodeBlock(layout.RootInum)
	d.Encode(b[off:])
	if err := write(bn); err != nil {
		return nil, err
	}
	// Everything else must be durable before the superblock makes the
	// device a file system: a crash between them must not leave a valid
	// superblock over stale bitmaps, journal or root.
	if err := dev.Flush(); err != nil {
		return nil, ioError("flush", 0, err)
	}
	sb.Encode(b)
	if err := write(0); err != nil {
		return nil, err
	}
	if err := dev.Flush(); err != nil {
		return nil, ioError("flush", 0, err)
	}
	return sb, nil
}

// writeBitmap writes a bitmap of n items whose first used items are in use,
// as are the padding bits past n.
func writeBitmap(write func(uint64) error, b []byte, start, blocks uint32, n, used uint64) error {
	for i := uint64(0); i < uint64(blocks); i++ {
		clear(b)
		for bit := uint64(0); bit < layout.BitsPerBlock; bit++ {
			if item := i*layout.BitsPerBlock + bit; item < used || item >= n {
				b[bit/8] |= 1 << (bit % 8)
			}
		}
		if err := write(uint64(start) + i); err != nil {
			return err
		}
	}
	return nil
}
