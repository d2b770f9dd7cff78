package fs

import (
	"fmt"
	"syscall"

	"scone/kernel/fs/layout"
)

// readAt copies file bytes at off into p. Called with ip locked.
func (ip *inode) readAt(p []byte, off uint64) (int, error) {
	return ip.readBlocks(p, off, ip.d.Size, true)
}

// readAhead is the most blocks a read's miss brings in with one device
// request: the missing block and those after it in the file (128 KiB).
const readAhead = 32

// readBlocks copies the bytes at off of a file of the given size into p.
// With locked the caller holds ip locked; otherwise ip is locked only to
// map blocks, never across the data I/O. A block not cached is read
// together with the file's next blocks that follow it on the disk (up to
// readAhead), so a sequential read costs a device request per 128 KiB,
// not one per block.
func (ip *inode) readBlocks(p []byte, off, size uint64, locked bool) (int, error) {
	if off >= size {
		return 0, nil
	}
	p = p[:min(uint64(len(p)), size-off)]
	last := (size - 1) / BlockSize // the file's last block
	n := 0
	for n < len(p) {
		bn, boff := (off+uint64(n))/BlockSize, (off+uint64(n))%BlockSize
		chunk := p[n:min(len(p), n+int(BlockSize-boff))]
		if !locked {
			if err := ip.lock(); err != nil {
				return n, err
			}
		}
		a, err := ip.bmap(nil, bn)
		more := 0
		if err == nil && a != 0 && !ip.fs.c.cached(uint64(a)) {
			more = ip.runAfter(bn, a, min(last-bn, readAhead-1))
		}
		if !locked {
			ip.unlock()
		}
		if err != nil {
			return n, err
		}
		if a == 0 {
			clear(chunk)
			n += len(chunk)
			continue
		}
		b, err := ip.fs.c.getAhead(uint64(a), more)
		if err != nil {
			return n, err
		}
		copy(chunk, b.data[boff:])
		ip.fs.c.release(b)
		n += len(chunk)
	}
	return n, nil
}

// runAfter counts the file blocks after bn, up to max, that lie right
// after block a on the disk, one after the other: what a read of a can
// bring in with it. It maps them without reading pointer blocks from the
// device (bmapCached), so it never waits for it. Called with ip locked.
func (ip *inode) runAfter(bn uint64, a uint32, max uint64) int {
	k := uint64(0)
	for k < max {
		next, ok := ip.bmapCached(bn + k + 1)
		if !ok || next != a+uint32(k)+1 {
			break
		}
		k++
	}
	return int(k)
}

// writeIn copies p into the file at off inside transaction t, allocating
// blocks, and grows the size. p must span at most maxWriteBlocks blocks.
// Called with ip locked; the caller updates the inode.
func (ip *inode) writeIn(t *tx, p []byte, off uint64) (int, error) {
	n := 0
	for n < len(p) {
		bn, boff := (off+uint64(n))/BlockSize, (off+uint64(n))%BlockSize
		chunk := p[n:min(len(p), n+int(BlockSize-boff))]
		a, err := ip.bmap(t, bn)
		if err != nil {
			return n, err
		}
		b, err := ip.fs.c.get(uint64(a))
		if err != nil {
			return n, err
		}
		copy(b.data[boff:], chunk)
		t.write(b)
		ip.fs.c.release(b)
		n += len(chunk)
		if end := off + uint64(n); end > ip.d.Size {
			ip.d.Size = end
		}
	}
	return n, nil
}

// write writes p at off, in as many transactions as it needs (each one
// atomic: a crash leaves a prefix of the write, in whole transactions).
// It holds ip.rw throughout so writes to one file do not interleave.
func (ip *inode) write(p []byte, off uint64, appendMode bool) (int, uint64, error) {
	ip.rw.Lock()
	defer ip.rw.Unlock()
	fs := ip.fs
	n := 0
	if len(p) == 0 {
		return 0, off, nil
	}
	for first := true; n < len(p); first = false {
		t, err := fs.j.begin()
		if err != nil {
			return n, off, err
		}
		if err := ip.lock(); err != nil {
			return n, off, t.finish(err)
		}
		if appendMode && first {
			off = ip.d.Size
		}
		err = ip.checkWrite(off, uint64(len(p)))
		var m int
		if err == nil {
			pos := off + uint64(n)
			span := maxWriteBlocks*BlockSize - int(pos%BlockSize)
			m, err = ip.writeIn(t, p[n:min(len(p), n+span)], pos)
			n += m
			ip.d.Mtime = fs.now()
			ip.d.Ctime = ip.d.Mtime
			if uerr := ip.update(t); err == nil {
				err = uerr
			}
		}
		ip.unlock()
		err = t.finish(err)
		if err != nil {
			return n, off, err
		}
	}
	return n, off, nil
}

func (ip *inode) checkWrite(off, n uint64) error {
	switch ip.d.Type() {
	case layout.S_IFREG:
	case layout.S_IFDIR:
		return syscall.EISDIR
	default:
		return syscall.EINVAL // device nodes and pipes are served elsewhere
	}
	if off+n > layout.MaxFileSize || off+n < off {
		return fmt.Errorf("fs: write to %d beyond the largest file: %w", off+n, syscall.EFBIG)
	}
	return nil
}

// truncate sets the size of ip. Shrinking frees the blocks beyond the new
// size, as many as fit in the same transaction; if more remain, the inode
// goes on the orphan list in that same transaction, and the rest is
// freed in further transactions, so that mount finishes the job after a
// crash. final, if not nil, runs in the transaction that frees the last
// block. Only regular files may be truncated, except by release and
// mount's orphan pass (anyType), which always sweep past the size.
func (fs *FS) truncate(ip *inode, size uint64, anyType bool, final func(*tx) error) error {
	ip.rw.Lock()
	defer ip.rw.Unlock()
	if size > layout.MaxFileSize {
		return syscall.EFBIG
	}
	from := (size + BlockSize - 1) / BlockSize
	for first, more := true, true; more; first = false {
		var err error
		more, err = fs.truncStep(ip, func(t *tx) (bool, error) {
			// Reserve room for the blocks logged besides the freeing.
			// The orphan list logs the orphan block, this inode's block
			// and the block of the inode before it on the list.
			ibn, _ := fs.sb.InodeBlock(ip.inum)
			bg := budget{uint64(fs.sb.OrphanStart): true, ibn: true, orphanPrevBlock: true}
			if final != nil {
				bg.add(uint64(fs.sb.InodeBitmapStart) + uint64(ip.inum)/layout.BitsPerBlock)
			}
			if first {
				if sweep, err := ip.setSize(t, size, anyType, bg); err != nil || !sweep {
					return false, err
				}
			}
			done, err := ip.freeFrom(t, from, bg)
			switch {
			case err != nil:
				return false, err
			case !done:
				return true, fs.orphanAdd(t, ip.inum)
			case ip.d.Nlink > 0:
				// An unlinked file stays an orphan until its inode is freed.
				err = fs.orphanRemove(t, ip.inum)
			}
			if err == nil && final != nil {
				err = final(t)
			}
			return false, err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// setSize is the first step of truncate: check the type, zero the tail of
// a partial last block, set the size. It reports whether blocks past the
// size need freeing.
func (ip *inode) setSize(t *tx, size uint64, anyType bool, bg budget) (bool, error) {
	if !anyType {
		switch ip.d.Type() {
		case layout.S_IFREG:
		case layout.S_IFDIR:
			return false, syscall.EISDIR
		default:
			return false, syscall.EINVAL
		}
		ip.d.Mtime = ip.fs.now()
		ip.d.Ctime = ip.d.Mtime
	}
	shrink := size < ip.d.Size
	if (shrink || anyType) && ip.d.Blocks > 0 {
		// Join the orphan list before changing anything: if freeing takes
		// more than this transaction the entry is needed.
		if err := ip.fs.orphanAdd(t, ip.inum); err != nil {
			return false, err
		}
	}
	if shrink && size%BlockSize != 0 {
		a, err := ip.zeroTail(t, size)
		if err != nil {
			return false, err
		}
		bg.add(uint64(a))
	}
	ip.d.Size = size
	return shrink || anyType, nil
}

// truncStep runs fn on ip, locked, in a transaction of its own, and
// writes the inode back.
func (fs *FS) truncStep(ip *inode, fn func(*tx) (bool, error)) (bool, error) {
	t, err := fs.j.begin()
	if err != nil {
		return false, err
	}
	if err := ip.lock(); err != nil {
		return false, t.finish(err)
	}
	more, err := fn(t)
	if err == nil && ip.valid { // release's last step has freed the inode
		err = ip.update(t)
	}
	ip.unlock()
	err = t.finish(err)
	return more, err
}

// zeroTail zeroes the bytes of the block holding offset size from size to
// its end, so that growing the file again reads zeros there. It returns
// the block it changed (0 for a hole).
func (ip *inode) zeroTail(t *tx, size uint64) (uint32, error) {
	a, err := ip.bmap(nil, size/BlockSize)
	if a == 0 || err != nil {
		return 0, err
	}
	b, err := ip.fs.c.get(uint64(a))
	if err != nil {
		return 0, err
	}
	clear(b.data[size%BlockSize:])
	t.write(b)
	ip.fs.c.release(b)
	return a, nil
}

// read copies file bytes at off into p for ReadAt. It holds ip.rw shared,
// so no write or truncate of this file runs meanwhile, but ip.mu only to
// map each block: the data I/O runs with no inode lock, and stat, lookups
// and tree operations through ip go on while it waits for the device.
func (ip *inode) read(p []byte, off uint64) (int, error) {
	ip.rw.RLock()
	defer ip.rw.RUnlock()
	if err := ip.lock(); err != nil {
		return 0, err
	}
	typ, size := ip.d.Type(), ip.d.Size
	ip.unlock()
	switch typ {
	case layout.S_IFREG:
	case layout.S_IFDIR:
		return 0, syscall.EISDIR
	default:
		return 0, syscall.EINVAL
	}
	return ip.readBlocks(p, off, size, false)
}
