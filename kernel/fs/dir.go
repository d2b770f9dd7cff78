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
	if x, err := dp.index(); err != nil {
		return 0, 0, 0, err
	} else if x != nil {
		s, ok := x.names[name]
		if !ok {
			return 0, 0, 0, syscall.ENOENT
		}
		return s.inum, s.off, s.typ, nil
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
// (the first block the index says has room, or the first found by a scan)
// or appending a block. The caller has checked that name is absent.
func (dp *inode) link(t *tx, name string, inum uint32, typ uint8) error {
	need := layout.DirentSize(len(name))
	nblocks := dp.d.Size / BlockSize
	x, err := dp.index()
	if err != nil {
		return err
	}
	from, to := uint64(0), nblocks
	if x != nil {
		from, to = nblocks, nblocks // no block has room, unless:
		if i, ok := x.firstFit(need); ok {
			from, to = i, i+1
		}
	}
	for i := from; i < to; i++ {
		b, err := dp.dirBlock(i)
		if err != nil {
			return err
		}
		at, done, err := insert(b.data, dp.fs.sb.NInodes, need, name, inum, typ)
		if err == nil && done {
			t.write(b)
			if x != nil {
				err = x.added(dp, name, dirSlot{off: i*BlockSize + uint64(at), inum: inum, typ: typ}, b.data)
			}
		}
		dp.fs.c.release(b)
		if err != nil {
			return fmt.Errorf("directory %d block %d: %w", dp.inum, i, err)
		}
		if done {
			return nil
		}
		if x != nil {
			return errCorrupt("directory %d block %d: index says it has room for %d bytes", dp.inum, i, need)
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
	dp.d.Size += BlockSize
	if x != nil {
		err = x.added(dp, name, dirSlot{off: nblocks * BlockSize, inum: inum, typ: typ}, b.data)
	}
	dp.fs.c.release(b)
	return err
}

// insert puts the record name -> inum of need bytes into the directory
// block data, in a free record or by splitting a live record with slack,
// and returns its offset in the block, or done false if there is no room.
func insert(data []byte, ninodes uint32, need int, name string, inum uint32, typ uint8) (at int, done bool, err error) {
	err = layout.ParseDirBlock(data, ninodes, func(e layout.Dirent) bool {
		used := 0
		if e.Inum != 0 {
			used = layout.DirentSize(len(e.Name))
		}
		if e.RecLen-used < need {
			return true
		}
		if used > 0 { // split: the live record keeps what it needs
			layout.PutDirent(data, e.Off, e.Inum, used, e.Type, string(e.Name))
		}
		at, done = e.Off+used, true
		layout.PutDirent(data, at, inum, e.RecLen-used, typ, name)
		return false
	})
	return at, done, err
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
	name := string(cur.Name) // before the record's bytes change
	if prev >= 0 {
		layout.PutDirent(b.data, prev, prevE.Inum, prevE.RecLen+cur.RecLen, prevE.Type, string(prevE.Name))
	} else {
		layout.PutDirent(b.data, target, 0, cur.RecLen, 0, "")
	}
	t.write(b)
	if x := dp.cachedIndex(); x != nil {
		return x.removed(dp, name, off, b.data)
	}
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
	if x := dp.cachedIndex(); x != nil {
		name := string(b.data[o+layout.DirentHeader : o+layout.DirentHeader+uint64(b.data[o+6])])
		x.names[name] = dirSlot{off: off, inum: inum, typ: typ}
	}
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
