// Package fs is Scone's crash-safe file system: a buffer cache, a
// write-ahead journal with group commit, inode and block bitmaps, inodes
// with direct, indirect and double-indirect blocks, directories, path
// lookup with symbolic links, and the operations the process layer turns
// into system calls.
//
// It is pure Go over the BlockDevice interface, with no hardware and no
// host dependencies, so the same code runs in the kernel (over virtio-blk),
// in tools/mkfs and tools/fsck, and in host tests. docs/fs.md describes the
// disk layout, the journal protocol and the locking rules.
package fs

import (
	"errors"
	"fmt"
	"syscall"

	"scone/kernel/fs/layout"
)

// BlockSize is the size of a block and of every device transfer.
const BlockSize = layout.BlockSize

// BlockDevice is the disk under the file system. Blocks are BlockSize
// bytes. Writes may be reordered and cached by the device until Flush,
// which returns only when every write issued before it is durable: the
// journal's correctness rests on that barrier. A write of one block is
// assumed atomic (it lands whole or not at all).
type BlockDevice interface {
	ReadBlock(n uint64, b []byte) error
	WriteBlock(n uint64, b []byte) error
	Flush() error
	NumBlocks() uint64
}

// errCorrupt describes on-disk damage found at run time, as an error that
// matches syscall.EUCLEAN ("structure needs cleaning: ...").
func errCorrupt(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{syscall.EUCLEAN}, args...)...)
}

// ioError turns a device failure into an error that matches syscall.EIO.
func ioError(op string, n uint64, err error) error {
	if errors.Is(err, syscall.EIO) {
		return fmt.Errorf("fs: %s block %d: %w", op, n, err)
	}
	return fmt.Errorf("fs: %s block %d: %v: %w", op, n, err, syscall.EIO)
}

// A RunDevice also moves runs of consecutive blocks, as few requests as
// it can: the cache reads ahead through it and the journal commits
// through it. A run is not atomic: its blocks land whole or not at all
// each, in any order, as the same writes issued one by one would.
type RunDevice interface {
	BlockDevice
	// ReadBlocks reads blocks n, n+1, ... into bufs (BlockSize each).
	ReadBlocks(n uint64, bufs [][]byte) error
	// WriteBlocks writes bufs as blocks n, n+1, ...
	WriteBlocks(n uint64, bufs [][]byte) error
}

// readRun reads blocks n.. into bufs: in one call on a RunDevice, block
// by block otherwise.
func readRun(dev BlockDevice, n uint64, bufs [][]byte) error {
	if rd, ok := dev.(RunDevice); ok && len(bufs) > 1 {
		return rd.ReadBlocks(n, bufs)
	}
	for i, b := range bufs {
		if err := dev.ReadBlock(n+uint64(i), b); err != nil {
			return err
		}
	}
	return nil
}

// writeRun writes bufs as blocks n.., like readRun.
func writeRun(dev BlockDevice, n uint64, bufs [][]byte) error {
	if rd, ok := dev.(RunDevice); ok && len(bufs) > 1 {
		return rd.WriteBlocks(n, bufs)
	}
	for i, b := range bufs {
		if err := dev.WriteBlock(n+uint64(i), b); err != nil {
			return err
		}
	}
	return nil
}
