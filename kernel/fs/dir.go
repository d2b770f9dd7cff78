package fs

import (
	"encoding/binary"
	"fmt"
	"syscall"

	"scone/kernel/fs/layout"
)

// Directory operations. All are called with the directory locked.

// dirBlock returns directory block i, held and locked.
func (dp *inode) dirBlock(i uint64) (*buf, error) {
	a, err := dp.bmap(nil, i)
	if err != nil {
		return nil, err
	}
	if a == 0 {
		return nil, errCorrupt("directory %d has a hole at block %d", dp.inum, i)
	}
	return dp.fs.c.get(uint64(a))
}

// eachEntry calls fn for every live record of dp, with the record's
// absolute offset, until fn returns false.
func (dp *inode) eachEntry(from uint64, fn func(e layout.Dirent, off uint64) bool) error {
	for i := from / BlockSize; i < dp.d.Size/BlockSize; i++ {
		b, err := dp.dirBlock(i)
		if err != nil {
			return err
		}
		more := true
		err = layout.ParseDirBlock(b.data, dp.fs.sb.NInodes, func(e layout.Dirent) bool {
			off := i*BlockSize + uint64(e.Off)
			if e.Inum != 0 && off >= from {
				more = fn(e, off)
			}
			return more
		})
		dp.fs.c.release(b)
		if err != nil {
			return fmt.Errorf("directory %d block %d: %w", dp.inum, i, err)
		}
		if !more {
			return nil
		}
	}
	return nil
}

// lookup returns the inode number and record offset of name in dp, or
// ENOENT.
func (dp *inode) lookup(name string) (uint32, uint64, error) {
	inum, off, _, err := dp.find(name)
	return inum, off, err
}

// find returns the inode number, record offset and type code of name in
// dp, or ENOENT.
func (dp *inode) find(name string) (uint32, uint64, uint8, error) {
	if dp.d.Type() != layout.S_IFDIR {
		return 0, 0, 0, syscall.ENOTDIR
	}
	var inum uint32
	var at uint64
	var typ uint8
	err := dp.eachEntry(0, func(e layout.Dirent, off uint64) bool {
		if string(e.Name) == name {
			inum, at, typ = e.Inum, off, e.Type
			return false
		}
		return true
	})
	if err == nil && inum == 0 {
		err = syscall.ENOENT
	}
	return inum, at, typ, err
}

// link adds the record name -> inum to dp, reusing free space in a block
// or appending a block. The caller has checked that name is absent.
func (dp *inode) link(t *tx, name string, inum uint32, typ uint8) error {
	need := layout.DirentSize(len(name))
	nblocks := dp.d.Size / BlockSize
	for i := uint64(0); i < nblocks; i++ {
		b, err := dp.dirBlock(i)
		if err != nil {
			return err
		}
		done := false
		err = layout.ParseDirBlock(b.data, dp.fs.sb.NInodes, func(e layout.Dirent) bool {
			used := 0
			if e.Inum != 0 {
				used = layout.DirentSize(len(e.Name))
			}
			if e.RecLen-used < need {
				return true
			}
			if used > 0 { // split: the live record keeps what it needs
				layout.PutDirent(b.data, e.Off, e.Inum, used, e.Type, string(e.Name))
			}
			layout.PutDirent(b.data, e.Off+used, inum, e.RecLen-used, typ, name)
			done = true
			return false
		})
		if done {
			t.write(b)
		}
		dp.fs.c.release(b)
		if err != nil {
			return fmt.Errorf("directory %d block %d: %w", dp.inum, i, err)
		}
		if done {
			return nil
		}
	}
	a, err := dp.bmap(t, nblocks)
	if err != nil {
		// bmap may have allocated an indirect block before failing:
		// record it in the inode so the block is not leaked.
		if uerr := dp.update(t); uerr != nil {
			return uerr
		}
		return err
	}
	b, err := dp.fs.c.get(uint64(a))
	if err != nil {
		return err
	}
	layout.InitDirBlock(b.data)
	layout.PutDirent(b.data, 0, inum, BlockSize, typ, name)
	t.write(b)
	dp.fs.c.release(b)
	dp.d.Size += BlockSize
	return nil
}

// unlinkAt removes the record at offset off, merging its space into the
// record before it in the same block.
func (dp *inode) unlinkAt(t *tx, off uint64) error {
	b, err := dp.dirBlock(off / BlockSize)
	if err != nil {
		return err
	}
	defer dp.fs.c.release(b)
	target := int(off % BlockSize)
	prev, found := -1, false
	var prevE, cur layout.Dirent
	err = layout.ParseDirBlock(b.data, dp.fs.sb.NInodes, func(e layout.Dirent) bool {
		if e.Off == target {
			cur, found = e, true
			return false
		}
		prev, prevE = e.Off, e
		return true
	})
	if err != nil {
		return fmt.Errorf("directory %d: %w", dp.inum, err)
	}
	if !found || cur.Inum == 0 {
		return errCorrupt("directory %d: no record at %d", dp.inum, off)
	}
	if prev >= 0 {
		layout.PutDirent(b.data, prev, prevE.Inum, prevE.RecLen+cur.RecLen, prevE.Type, string(prevE.Name))
	} else {
		layout.PutDirent(b.data, target, 0, cur.RecLen, 0, "")
	}
	t.write(b)
	return nil
}

// setEntry points the existing record name at inum (to retarget "..").
func (dp *inode) setEntry(t *tx, name string, inum uint32) error {
	_, off, err := dp.lookup(name)
	if err != nil {
		return err
	}
	return dp.setAt(t, off, inum, layout.DT_DIR)
}

// setAt points the live record at offset off at inum, of type typ.
func (dp *inode) setAt(t *tx, off uint64, inum uint32, typ uint8) error {
	b, err := dp.dirBlock(off / BlockSize)
	if err != nil {
		return err
	}
	o := off % BlockSize
	binary.LittleEndian.PutUint32(b.data[o:], inum) // the record's inum field
	b.data[o+7] = typ                               // and its type byte
	t.write(b)
	dp.fs.c.release(b)
	return nil
}

// isEmpty reports whether dp holds nothing but "." and "..".
func (dp *inode) isEmpty() (bool, error) {
	empty := true
	err := dp.eachEntry(0, func(e layout.Dirent, _ uint64) bool {
		if n := string(e.Name); n != "." && n != ".." {
			empty = false
		}
		return empty
	})
	return empty, err
}

// readDir calls fn for the entries of dp from offset off, reading them a
// block at a time under dp's lock and calling fn with no lock held. An
// entry's offset never changes while it lives (records are split and
// merged in place), so a resumed read sees each entry that stayed
// throughout exactly once. A removed directory has no entries, not even
// "." and "..".
func (dp *inode) readDir(off uint64, fn func(DirEntry) bool) error {
	var ents []DirEntry
	for {
		if err := dp.lock(); err != nil {
			return err
		}
		if dp.d.Type() != layout.S_IFDIR {
			dp.unlock()
			return syscall.ENOTDIR
		}
		if dp.d.Nlink == 0 || off >= dp.d.Size {
			dp.unlock()
			return nil
		}
		end := (off/BlockSize + 1) * BlockSize
		ents = ents[:0]
		err := dp.eachEntry(off, func(e layout.Dirent, at uint64) bool {
			if at >= end {
				return false
			}
			ents = append(ents, DirEntry{Name: string(e.Name), Ino: uint64(e.Inum), Type: e.Type, Next: at + uint64(e.RecLen)})
			return true
		})
		dp.unlock()
		if err != nil {
			return err
		}
		for _, e := range ents {
			if !fn(e) {
				return nil
			}
		}
		off = end
	}
}
