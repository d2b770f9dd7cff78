package fs

import (
	"fmt"
	"sync"
	"syscall"
)

// RAMDisk is a BlockDevice over a byte slice: an image loaded into memory
// (an initrd, say) before there is a disk driver, or a scratch file system.
// Flush does nothing; the data lives as long as the slice.
type RAMDisk struct {
	mu   sync.RWMutex
	data []byte
}

// NewRAMDisk serves data, whose length must be a multiple of BlockSize, as
// a disk. The disk uses data itself, not a copy.
func NewRAMDisk(data []byte) (*RAMDisk, error) {
	if len(data) == 0 || len(data)%BlockSize != 0 {
		return nil, fmt.Errorf("fs: RAM disk of %d bytes, not a positive multiple of %d: %w", len(data), BlockSize, syscall.EINVAL)
	}
	return &RAMDisk{data: data}, nil
}

// NumBlocks returns the size in blocks.
func (r *RAMDisk) NumBlocks() uint64 { return uint64(len(r.data) / BlockSize) }

// ReadBlock copies block n into b.
func (r *RAMDisk) ReadBlock(n uint64, b []byte) error {
	blk, err := r.block(n, b)
	if err != nil {
		return err
	}
	r.mu.RLock()
	copy(b, blk)
	r.mu.RUnlock()
	return nil
}

// WriteBlock copies b into block n.
func (r *RAMDisk) WriteBlock(n uint64, b []byte) error {
	blk, err := r.block(n, b)
	if err != nil {
		return err
	}
	r.mu.Lock()
	copy(blk, b)
	r.mu.Unlock()
	return nil
}

// Flush does nothing: memory is as durable as it gets.
func (r *RAMDisk) Flush() error { return nil }

func (r *RAMDisk) block(n uint64, b []byte) ([]byte, error) {
	if n >= r.NumBlocks() {
		return nil, fmt.Errorf("fs: RAM disk block %d of %d: %w", n, r.NumBlocks(), syscall.EIO)
	}
	if len(b) != BlockSize {
		return nil, fmt.Errorf("fs: buffer of %d bytes: %w", len(b), syscall.EINVAL)
	}
	return r.data[n*BlockSize : (n+1)*BlockSize], nil
}
