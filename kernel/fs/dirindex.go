package fs

import (
	"container/list"
	"fmt"
	"sync"

	"scone/kernel/fs/layout"
)

// A directory of many blocks gets an index in memory: a hash of its names
// and, per block, the most space an insertion could take there. Lookup,
// create and unlink then cost the same in a directory of 100,000 names as
// in one of 100, instead of a scan of every block. The index is built by
// one scan on first use and kept up to date by every change to the
// directory's records (link, unlinkAt, setAt), which never move a record,
// so offsets stay valid. Indexes live in an LRU bounded by the names they
// hold; a directory's index is dropped when its inode is freed. Small
// directories (under dirIndexMin blocks) are scanned as before.

const dirIndexMin = 4 // blocks before a directory is indexed

// dirIndexNames bounds the names all indexes hold (tests lower it).
var dirIndexNames = 1 << 20

// dirIndex is one directory's index. It is used under the directory's
// inode lock.
type dirIndex struct {
	names map[string]dirSlot
	slack []uint16 // per block: the largest record space free for a name
	elem  *list.Element
}

type dirSlot struct {
	off  uint64
	inum uint32
	typ  uint8
}

// dirIndexes is the LRU of indexes.
type dirIndexes struct {
	mu    sync.Mutex
	byIno map[uint32]*dirIndex
	lru   list.List // of inode numbers, most recent at the front
	names int
}

// index returns dp's index, building it if dp is large enough, or nil.
// Called with dp locked.
func (dp *inode) index() (*dirIndex, error) {
	fs := dp.fs
	nblocks := dp.d.Size / BlockSize
	dx := &fs.dix
	dx.mu.Lock()
	x := dx.byIno[dp.inum]
	if x != nil {
		dx.lru.MoveToFront(x.elem)
	}
	dx.mu.Unlock()
	if x != nil || nblocks < dirIndexMin {
		return x, nil
	}
	x = &dirIndex{names: make(map[string]dirSlot), slack: make([]uint16, nblocks)}
	for i := range nblocks {
		if err := x.scanBlock(dp, i, true); err != nil {
			return nil, err
		}
	}
	dx.mu.Lock()
	defer dx.mu.Unlock()
	if dx.byIno == nil {
		dx.byIno = make(map[uint32]*dirIndex)
	}
	x.elem = dx.lru.PushFront(dp.inum)
	dx.byIno[dp.inum] = x
	dx.names += len(x.names)
	for dx.names > dirIndexNames && dx.lru.Len() > 1 {
		old := dx.lru.Back().Value.(uint32)
		dx.dropLocked(old)
	}
	return x, nil
}

// dropIndex forgets inum's index (its inode is freed or reused).
func (fs *FS) dropIndex(inum uint32) {
	fs.dix.mu.Lock()
	fs.dix.dropLocked(inum)
	fs.dix.mu.Unlock()
}

func (dx *dirIndexes) dropLocked(inum uint32) {
	if x := dx.byIno[inum]; x != nil {
		dx.lru.Remove(x.elem)
		dx.names -= len(x.names)
		delete(dx.byIno, inum)
	}
}

// scanBlock records block i of dp: its slack, and, if names, its live
// records.
func (x *dirIndex) scanBlock(dp *inode, i uint64, names bool) error {
	b, err := dp.dirBlock(i)
	if err != nil {
		return err
	}
	defer dp.fs.c.release(b)
	return x.parse(dp, i, b.data, names)
}

// parse is scanBlock on the block's contents.
func (x *dirIndex) parse(dp *inode, i uint64, data []byte, names bool) error {
	slack := 0
	err := layout.ParseDirBlock(data, dp.fs.sb.NInodes, func(e layout.Dirent) bool {
		used := 0
		if e.Inum != 0 {
			used = layout.DirentSize(len(e.Name))
			if names {
				x.names[string(e.Name)] = dirSlot{off: i*BlockSize + uint64(e.Off), inum: e.Inum, typ: e.Type}
			}
		}
		slack = max(slack, e.RecLen-used)
		return true
	})
	if err != nil {
		return fmt.Errorf("directory %d block %d: %w", dp.inum, i, err)
	}
	for uint64(len(x.slack)) <= i {
		x.slack = append(x.slack, 0)
	}
	x.slack[i] = uint16(slack)
	return nil
}

// firstFit returns the first block with room for a record of need bytes.
func (x *dirIndex) firstFit(need int) (uint64, bool) {
	for i, s := range x.slack {
		if int(s) >= need {
			return uint64(i), true
		}
	}
	return 0, false
}

// cachedIndex returns dp's index if it has one. Called with dp locked.
func (dp *inode) cachedIndex() *dirIndex {
	dx := &dp.fs.dix
	dx.mu.Lock()
	defer dx.mu.Unlock()
	return dx.byIno[dp.inum]
}

// count adjusts the names held, if x is still in the LRU.
func (dx *dirIndexes) count(inum uint32, x *dirIndex, d int) {
	dx.mu.Lock()
	if dx.byIno[inum] == x {
		dx.names += d
	}
	dx.mu.Unlock()
}

// added records a new name, and the block's new slack.
func (x *dirIndex) added(dp *inode, name string, s dirSlot, data []byte) error {
	x.names[name] = s
	dp.fs.dix.count(dp.inum, x, 1)
	return x.parse(dp, s.off/BlockSize, data, false)
}

// removed forgets a name, and records the block's new slack.
func (x *dirIndex) removed(dp *inode, name string, off uint64, data []byte) error {
	delete(x.names, name)
	dp.fs.dix.count(dp.inum, x, -1)
	return x.parse(dp, off/BlockSize, data, false)
}
