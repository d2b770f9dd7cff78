package fs

import (
	"fmt"
	"syscall"

	"scone/kernel/fs/layout"
)

// readAt copies file bytes at off into p. Called with ip locked.
func (ip *Inode) readAt(p []byte, off uint64) (int, error) {
	if off >= ip.d.Size {
		return 0, nil
	}
	p = p[:min(uint64(len(p)), ip.d.Size-off)]
	n := 0
	for n < len(p) {
		bn, boff := (off+uint64(n))/BlockSize, (off+uint64(n))%BlockSize
		chunk := p[n:min(len(p), n+int(BlockSize-boff))]
		a, err := ip.bmap(nil, bn)
		if err != nil {
			return n, err
		}
		if a == 0 {
			clear(chunk)
		} else {
			b, err := ip.fs.c.get(uint64(a))
			if err != nil {
				return n, err
			}
			copy(chunk, b.data[boff:])
			ip.fs.c.release(b)
		}
		n += len(chunk)
	}
	return n, nil
}

// writeIn copies p into the file at off inside transaction t, allocating
// blocks, and grows the size. p must span at most maxWriteBlocks blocks.
// Called with ip locked; the caller updates the inode.
func (ip *Inode) writeIn(t *tx, p []byte, off uint64) (int, error) {
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
func (ip *Inode) write(p []byte, off uint64, appendMode bool) (int, uint64, error) {
	ip.rw.Lock()
	defer ip.rw.Unlock()
	fs := ip.fs
	n := 0
	for first := true; first || n < len(p); first = false {
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

func (ip *Inode) checkWrite(off, n uint64) error {
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

// truncate sets the size of ip. Shrinking frees blocks beyond the new size
// in as many transactions as needed; the first transaction sets the size
// (and zeroes the tail of the last block) and records the inode in the
// orphan table, so that mount finishes the freeing after a crash.
// Only regular files may be truncated, except by release (anyType), which
// empties any inode before freeing it.
func (fs *FS) truncate(ip *Inode, size uint64, anyType bool) error {
	ip.rw.Lock()
	defer ip.rw.Unlock()
	if size > layout.MaxFileSize {
		return syscall.EFBIG
	}
	from := (size + BlockSize - 1) / BlockSize
	more, err := fs.truncStep(ip, func(t *tx) (bool, error) {
		if typ := ip.d.Type(); typ == layout.S_IFDIR && !anyType {
			return false, syscall.EISDIR
		} else if typ != layout.S_IFREG && !anyType {
			return false, syscall.EINVAL
		}
		if size < ip.d.Size && size%BlockSize != 0 {
			if err := ip.zeroTail(t, size); err != nil {
				return false, err
			}
		}
		// Release and mount's orphan pass (anyType) always sweep: blocks
		// may lie beyond the size after an interrupted truncation.
		shrink := size < ip.d.Size || anyType
		ip.d.Size = size
		ip.d.Mtime = fs.now()
		ip.d.Ctime = ip.d.Mtime
		if shrink {
			return true, fs.orphanAdd(t, ip.inum)
		}
		return false, nil
	})
	for more && err == nil {
		more, err = fs.truncStep(ip, func(t *tx) (bool, error) {
			done, err := ip.freeFrom(t, from, budget{})
			if done && err == nil && ip.d.Nlink > 0 {
				// An unlinked file stays an orphan until its inode is freed.
				err = fs.orphanRemove(t, ip.inum)
			}
			return !done, err
		})
	}
	return err
}

// truncStep runs fn on ip, locked, in a transaction of its own, and
// writes the inode back.
func (fs *FS) truncStep(ip *Inode, fn func(*tx) (bool, error)) (bool, error) {
	t, err := fs.j.begin()
	if err != nil {
		return false, err
	}
	if err := ip.lock(); err != nil {
		return false, t.finish(err)
	}
	more, err := fn(t)
	if err == nil {
		err = ip.update(t)
	}
	ip.unlock()
	err = t.finish(err)
	return more, err
}

// zeroTail zeroes the bytes of the block holding offset size from size to
// its end, so that growing the file again reads zeros there.
func (ip *Inode) zeroTail(t *tx, size uint64) error {
	a, err := ip.bmap(nil, size/BlockSize)
	if a == 0 || err != nil {
		return err
	}
	b, err := ip.fs.c.get(uint64(a))
	if err != nil {
		return err
	}
	clear(b.data[size%BlockSize:])
	t.write(b)
	ip.fs.c.release(b)
	return nil
}
