package fs

import (
	"encoding/binary"
	"fmt"
	"syscall"

	"scone/kernel/fs/layout"
)

// The block map: block index bn of a file lives in
//
//	d.Direct[bn]                                  bn < NDirect
//	Indirect[bn-NDirect]                          next NIndirect blocks
//	DIndirect[i][j], i,j = (bn-NDirect-NIndirect) / %  NIndirect
//
// A zero pointer is a hole, read as zeros.

const (
	indBase  = layout.NDirect
	dindBase = layout.NDirect + layout.NIndirect
)

// bmap returns the disk block of file block bn, or 0 for a hole. With t
// non-nil a hole is filled with a new zeroed block. Called with ip locked.
func (ip *inode) bmap(t *tx, bn uint64) (uint32, error) {
	fs := ip.fs
	d := &ip.d
	switch {
	case bn < indBase:
		if d.Direct[bn] == 0 && t != nil {
			a, err := fs.balloc(t)
			if err != nil {
				return 0, err
			}
			d.Direct[bn] = a
			d.Blocks++
		}
		return d.Direct[bn], nil
	case bn < dindBase:
		ind, err := ip.ensure(t, &d.Indirect)
		if ind == 0 || err != nil {
			return 0, err
		}
		return ip.slot(t, ind, bn-indBase)
	case bn < layout.MaxFileBlocks:
		bn -= dindBase
		dind, err := ip.ensure(t, &d.DIndirect)
		if dind == 0 || err != nil {
			return 0, err
		}
		ind, err := ip.slot(t, dind, bn/layout.NIndirect)
		if ind == 0 || err != nil {
			return 0, err
		}
		return ip.slot(t, ind, bn%layout.NIndirect)
	}
	return 0, fmt.Errorf("fs: block %d beyond the largest file: %w", bn, syscall.EFBIG)
}

// bmapCached is bmap(nil, bn) for read-ahead: it reports ok false rather
// than read a pointer block from the device or wait for one in use.
// Called with ip locked.
func (ip *inode) bmapCached(bn uint64) (a uint32, ok bool) {
	d := &ip.d
	switch {
	case bn < indBase:
		return d.Direct[bn], true
	case bn < dindBase:
		return ip.slotCached(d.Indirect, bn-indBase)
	case bn < layout.MaxFileBlocks:
		bn -= dindBase
		ind, ok := ip.slotCached(d.DIndirect, bn/layout.NIndirect)
		if !ok {
			return 0, false
		}
		return ip.slotCached(ind, bn%layout.NIndirect)
	}
	return 0, false
}

// slotCached is entry i of pointer block pb if pb is cached and free to
// take (pb 0, a hole, maps to holes).
func (ip *inode) slotCached(pb uint32, i uint64) (uint32, bool) {
	if pb == 0 {
		return 0, true
	}
	b := ip.fs.c.peek(uint64(pb))
	if b == nil {
		return 0, false
	}
	defer ip.fs.c.release(b)
	a := binary.LittleEndian.Uint32(b.data[4*i:])
	return a, ip.fs.sb.ValidData(a)
}

// ensure allocates the pointer block *p if it is a hole and t is non-nil.
func (ip *inode) ensure(t *tx, p *uint32) (uint32, error) {
	if *p == 0 && t != nil {
		a, err := ip.fs.balloc(t)
		if err != nil {
			return 0, err
		}
		*p = a
		ip.d.Blocks++
	}
	return *p, nil
}

// slot returns entry i of pointer block pb, allocating it when t is
// non-nil. A pointer outside the data region is reported as corruption.
func (ip *inode) slot(t *tx, pb uint32, i uint64) (uint32, error) {
	fs := ip.fs
	b, err := fs.c.get(uint64(pb))
	if err != nil {
		return 0, err
	}
	defer fs.c.release(b)
	a := binary.LittleEndian.Uint32(b.data[4*i:])
	if !fs.sb.ValidData(a) {
		return 0, errCorrupt("inode %d: pointer block %d entry %d is %d", ip.inum, pb, i, a)
	}
	if a == 0 && t != nil {
		if a, err = fs.balloc(t); err != nil {
			return 0, err
		}
		binary.LittleEndian.PutUint32(b.data[4*i:], a)
		t.write(b)
		ip.d.Blocks++
	}
	return a, nil
}

// maxWriteBlocks is how many data blocks one write transaction may fill.
// Worst case each new block dirties its own bitmap block, and the piece
// also dirties up to four pointer blocks (the indirect block, the
// double-indirect block, two of its indirect blocks), their four bitmap
// blocks, and the inode block: 2n + 9 <= MaxOpBlocks.
const maxWriteBlocks = (layout.MaxOpBlocks - 9) / 2

// budget counts the distinct blocks an operation has logged, so that a
// long job (freeing a large file) stops before it exceeds MaxOpBlocks.
type budget map[uint64]bool

// opBudget is the most blocks a freeing transaction logs; tests lower it
// to make truncation span many transactions.
var opBudget = layout.MaxOpBlocks - 2

func (bg budget) add(n uint64) { bg[n] = true }

// orphanPrevBlock stands in a budget for the inode block of the previous
// orphan, which removal from the orphan list rewrites (no real block has
// this number).
const orphanPrevBlock = ^uint64(0)

// full reports whether logging up to three more blocks (a bitmap block,
// an indirect block, a double-indirect block) could exceed opBudget.
func (bg budget) full() bool { return len(bg)+3 > opBudget }

// freeFrom frees the blocks of file blocks >= from, highest first, clearing
// each pointer in the same transaction as the bitmap bit. It stops when
// the budget is full and reports whether it finished. Called with ip locked.
func (ip *inode) freeFrom(t *tx, from uint64, bg budget) (bool, error) {
	fs := ip.fs
	d := &ip.d
	bn, _ := fs.sb.InodeBlock(ip.inum)
	bg.add(bn)
	if d.DIndirect != 0 {
		lo := uint64(0)
		if from > dindBase {
			lo = (from - dindBase) / layout.NIndirect
		}
		done, err := ip.freeTree(t, &d.DIndirect, dindBase, lo, from, bg)
		if !done || err != nil {
			return false, err
		}
	}
	if d.Indirect != 0 && from < dindBase {
		done, err := ip.freeLeaves(t, &d.Indirect, indBase, from, bg)
		if !done || err != nil {
			return false, err
		}
	}
	for i := uint64(layout.NDirect); i > from; i-- {
		if a := d.Direct[i-1]; a != 0 {
			if bg.full() {
				return false, nil
			}
			if err := ip.freeBlock(t, a, bg); err != nil {
				return false, err
			}
			d.Direct[i-1] = 0
		}
	}
	return true, nil
}

// freeTree frees, in the double-indirect block *p covering file blocks from
// base, every indirect subtree from index lo up, and *p itself if the
// whole tree is beyond from.
func (ip *inode) freeTree(t *tx, p *uint32, base, lo, from uint64, bg budget) (bool, error) {
	fs := ip.fs
	b, err := fs.c.get(uint64(*p))
	if err != nil {
		return false, err
	}
	for i := uint64(layout.NIndirect); i > lo; i-- {
		a := binary.LittleEndian.Uint32(b.data[4*(i-1):])
		if a == 0 {
			continue
		}
		if !fs.sb.ValidData(a) {
			fs.c.release(b)
			return false, errCorrupt("inode %d: double-indirect entry %d is %d", ip.inum, i-1, a)
		}
		done, err := ip.freeLeaves(t, &a, base+(i-1)*layout.NIndirect, from, bg)
		if a == 0 { // the indirect block itself was freed
			binary.LittleEndian.PutUint32(b.data[4*(i-1):], a)
			t.write(b)
			bg.add(b.blockno)
		}
		if !done || err != nil {
			fs.c.release(b)
			return false, err
		}
	}
	fs.c.release(b)
	if from <= base {
		if bg.full() {
			return false, nil
		}
		if err := ip.freeBlock(t, *p, bg); err != nil {
			return false, err
		}
		*p = 0
	}
	return true, nil
}

// freeLeaves frees the data blocks >= from listed in the indirect block *p
// (which covers file blocks from base), and *p itself, zeroing *p, if
// none remain.
func (ip *inode) freeLeaves(t *tx, p *uint32, base, from uint64, bg budget) (bool, error) {
	fs := ip.fs
	b, err := fs.c.get(uint64(*p))
	if err != nil {
		return false, err
	}
	lo := uint64(0)
	if from > base {
		lo = from - base
	}
	for i := uint64(layout.NIndirect); i > lo; i-- {
		a := binary.LittleEndian.Uint32(b.data[4*(i-1):])
		if a == 0 {
			continue
		}
		if !fs.sb.ValidData(a) {
			fs.c.release(b)
			return false, errCorrupt("inode %d: indirect entry %d is %d", ip.inum, i-1, a)
		}
		if bg.full() {
			fs.c.release(b)
			return false, nil
		}
		if err := ip.freeBlock(t, a, bg); err != nil {
			fs.c.release(b)
			return false, err
		}
		binary.LittleEndian.PutUint32(b.data[4*(i-1):], 0)
		t.write(b)
		bg.add(b.blockno)
	}
	fs.c.release(b)
	if lo == 0 {
		if bg.full() {
			return false, nil
		}
		if err := ip.freeBlock(t, *p, bg); err != nil {
			return false, err
		}
		*p = 0
	}
	return true, nil
}

func (ip *inode) freeBlock(t *tx, a uint32, bg budget) error {
	if err := ip.fs.bfree(t, a); err != nil {
		return err
	}
	bg.add(ip.fs.bitmapBlock(a))
	if ip.d.Blocks > 0 {
		ip.d.Blocks--
	}
	return nil
}
