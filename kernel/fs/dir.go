package fs

import (
	"encoding/binary"
	"fmt"
	"syscall"

	"scone/kernel/fs/layout"
)

// Directory operations. All are called with the directory locked.

// dirBlock returns directory block i, held and locked.
func (dp *Inode) dirBlock(i uint64) (*buf, error) {
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
func (dp *Inode) eachEntry(from uint64, fn func(e layout.Dirent, off uint64) bool) error {
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
func (dp *Inode) lookup(name string) (uint32, uint64, error) {
	if dp.d.Type() != layout.S_IFDIR {
		return 0, 0, syscall.ENOTDIR
	}
	var inum uint32
	var at uint64
	err := dp.eachEntry(0, func(e layout.Dirent, off uint64) bool {
		if string(e.Name) == name {
			inum, at = e.Inum, off
			return false
		}
		return true
	})
	if err == nil && inum == 0 {
		err = syscall.ENOENT
	}
	return inum, at, err
}

// link adds the record name -> inum to dp, reusing free space in a block
// or appending a block. The caller has checked that name is absent.
func (dp *Inode) link(t *tx, name string, inum uint32, typ uint8) error {
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
func (dp *Inode) unlinkAt(t *tx, off uint64) error {
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
func (dp *Inode) setEntry(t *tx, name string, inum uint32) error {
	_, off, err := dp.lookup(name)
	if err != nil {
		return err
	}
	return dp.setAt(t, off, inum, layout.DT_DIR)
}

// setAt points the live record at offset off at inum, of type typ.
func (dp *Inode) setAt(t *tx, off uint64, inum uint32, typ uint8) error {
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
func (dp *Inode) isEmpty() (bool, error) {
	empty := true
	err := dp.eachEntry(0, func(e layout.Dirent, _ uint64) bool {
		if n := string(e.Name); n != "." && n != ".." {
			empty = false
		}
		return empty
	})
	return empty, err
}
