// Package fsdev provides block devices for the file system outside the
// kernel: a sparse in-memory disk, a disk backed by a host file, a
// copy-on-write overlay, and a recorder of writes from which the disk after
// a crash at any point can be rebuilt (CrashImage).
// Each satisfies fs.BlockDevice; this package does not import fs so that
// the tools can use it freely.
package fsdev

import (
	"fmt"
	"sync"
	"syscall"
)

// BlockSize is the size of every block, equal to layout.BlockSize.
const BlockSize = 4096

// Device is the block-device interface (the same method set as fs.BlockDevice).
type Device interface {
	ReadBlock(n uint64, b []byte) error
	WriteBlock(n uint64, b []byte) error
	Flush() error
	NumBlocks() uint64
}

func checkArgs(n, nblocks uint64, b []byte) error {
	if n >= nblocks {
		return fmt.Errorf("block %d beyond the device's %d: %w", n, nblocks, syscall.EIO)
	}
	if len(b) != BlockSize {
		return fmt.Errorf("buffer of %d bytes, want %d: %w", len(b), BlockSize, syscall.EINVAL)
	}
	return nil
}

// checkRun checks a run of len(bufs) blocks from n.
func checkRun(n, nblocks uint64, bufs [][]byte) error {
	for i, b := range bufs {
		if err := checkArgs(n+uint64(i), nblocks, b); err != nil {
			return err
		}
	}
	return nil
}

// Mem is a sparse in-memory disk: blocks never written read as zeros, so a
// large, mostly empty image costs only what is written. Safe for
// concurrent use.
type Mem struct {
	mu      sync.Mutex
	nblocks uint64
	blocks  map[uint64][]byte
}

// NewMem returns a zeroed disk of nblocks blocks.
func NewMem(nblocks uint64) *Mem {
	return &Mem{nblocks: nblocks, blocks: make(map[uint64][]byte)}
}

// NumBlocks returns the size of the disk in blocks.
func (m *Mem) NumBlocks() uint64 { return m.nblocks }

// ReadBlock copies block n into b.
func (m *Mem) ReadBlock(n uint64, b []byte) error {
	if err := checkArgs(n, m.nblocks, b); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if d, ok := m.blocks[n]; ok {
		copy(b, d)
	} else {
		clear(b)
	}
	return nil
}

// WriteBlock stores a copy of b as block n.
func (m *Mem) WriteBlock(n uint64, b []byte) error {
	if err := checkArgs(n, m.nblocks, b); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	copy(m.block(n), b)
	return nil
}

// block returns the storage of block n, allocating it. Called with m.mu.
func (m *Mem) block(n uint64) []byte {
	d, ok := m.blocks[n]
	if !ok {
		d = make([]byte, BlockSize)
		m.blocks[n] = d
	}
	return d
}

// Flush does nothing: memory is as durable as it gets.
func (m *Mem) Flush() error { return nil }

// Clone returns an independent copy of the disk.
func (m *Mem) Clone() *Mem {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := NewMem(m.nblocks)
	for n, d := range m.blocks {
		c.blocks[n] = append([]byte(nil), d...)
	}
	return c
}

// Corrupt XORs mask into byte off of block n (for tests of bad images).
func (m *Mem) Corrupt(n uint64, off int, mask byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.block(n)[off%BlockSize] ^= mask
}

// Written returns the numbers of the blocks that hold data (unordered).
func (m *Mem) Written() []uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	ns := make([]uint64, 0, len(m.blocks))
	for n := range m.blocks {
		ns = append(ns, n)
	}
	return ns
}
