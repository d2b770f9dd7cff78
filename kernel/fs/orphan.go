package fs

import (
	"encoding/binary"
	"fmt"
	"sync"

	"scone/kernel/fs/layout"
)

// The orphan list names the inodes whose blocks must still be freed:
// files unlinked while open (freed on last close) and files being shrunk
// across several transactions. As in ext4 it is chained through the
// inodes (Dinode.NextOrphan) from a head in the orphan block, so it needs
// no table and has no limit: holding many unlinked files open costs only
// the inodes the holder already has. An inode is added in the same
// transaction that creates the obligation and removed in the one that
// discharges it, so after a crash mount knows exactly what to finish.
//
// Memory keeps the list doubly linked, so removal is O(1): it rewrites
// the next pointer of the previous inode (or the head) on disk. Only this
// file writes NextOrphan, straight into the inode's block under the
// buffer lock; inode.update preserves it.

// orphanList is the in-memory copy of the list.
type orphanList struct {
	mu   sync.Mutex // taken after inode locks, before buffer locks
	head uint32
	next map[uint32]uint32 // every member; 0 at the tail
	prev map[uint32]uint32 // 0 for the head
}

// orphanAdd puts inum at the head of the list, unless it is on it.
func (fs *FS) orphanAdd(t *tx, inum uint32) error {
	o := &fs.orph
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.next[inum]; ok {
		return nil
	}
	if err := fs.setNextOrphan(t, inum, o.head); err != nil {
		return err
	}
	if err := fs.setOrphanHead(t, inum); err != nil {
		return err
	}
	o.next[inum], o.prev[inum] = o.head, 0
	if o.head != 0 {
		o.prev[o.head] = inum
	}
	o.head = inum
	return nil
}

// orphanRemove takes inum off the list if it is on it.
func (fs *FS) orphanRemove(t *tx, inum uint32) error {
	o := &fs.orph
	o.mu.Lock()
	defer o.mu.Unlock()
	n, ok := o.next[inum]
	if !ok {
		return nil
	}
	p := o.prev[inum]
	var err error
	if p == 0 {
		err = fs.setOrphanHead(t, n)
	} else {
		err = fs.setNextOrphan(t, p, n)
	}
	if err == nil {
		err = fs.setNextOrphan(t, inum, 0)
	}
	if err != nil {
		return err
	}
	if p == 0 {
		o.head = n
	} else {
		o.next[p] = n
	}
	if n != 0 {
		o.prev[n] = p
	}
	delete(o.next, inum)
	delete(o.prev, inum)
	return nil
}

// setNextOrphan writes inum's on-disk next pointer.
func (fs *FS) setNextOrphan(t *tx, inum, next uint32) error {
	bn, off := fs.sb.InodeBlock(inum)
	b, err := fs.c.get(bn)
	if err != nil {
		return err
	}
	binary.LittleEndian.PutUint32(b.data[off+layout.NextOrphanOff:], next)
	t.write(b)
	fs.c.release(b)
	return nil
}

// setOrphanHead writes the head of the list into the orphan block.
func (fs *FS) setOrphanHead(t *tx, inum uint32) error {
	b, err := fs.c.get(uint64(fs.sb.OrphanStart))
	if err != nil {
		return err
	}
	layout.PutOrphanHead(b.data, inum)
	t.write(b)
	fs.c.release(b)
	return nil
}

// loadOrphans reads the list from disk into memory, at mount. A chain that
// leaves the inode table, names a free inode or comes back on itself is
// corruption.
func (fs *FS) loadOrphans() ([]uint32, error) {
	b, err := fs.c.get(uint64(fs.sb.OrphanStart))
	if err != nil {
		return nil, err
	}
	head, err := layout.DecodeOrphanHead(b.data, fs.sb.NInodes)
	fs.c.release(b)
	if err != nil {
		return nil, err
	}
	o := &fs.orph
	o.head, o.next, o.prev = head, make(map[uint32]uint32), make(map[uint32]uint32)
	var list []uint32
	for x, p := head, uint32(0); x != 0; p, x = x, o.next[x] {
		if _, seen := o.next[x]; seen {
			return nil, errCorrupt("orphan list loops back to inode %d", x)
		}
		d, err := fs.readDinode(x, "free inode on the orphan list")
		if err != nil {
			return nil, fmt.Errorf("orphan list: %w", err)
		}
		o.next[x], o.prev[x] = d.NextOrphan, p
		list = append(list, x)
	}
	return list, nil
}

// reclaimOrphans finishes what a crash interrupted: it frees orphans with
// no links and trims the others to their size. It runs at mount, before
// anyone else can hold an inode.
func (fs *FS) reclaimOrphans() (int, error) {
	list, err := fs.loadOrphans()
	if err != nil {
		return 0, err
	}
	for _, inum := range list {
		ip := fs.iget(inum)
		if err := ip.lock(); err != nil {
			fs.put(ip)
			return 0, err
		}
		size, nlink := ip.d.Size, ip.d.Nlink
		ip.unlock()
		if nlink > 0 {
			// An interrupted truncation: finishing it removes the entry.
			err = fs.truncate(ip, size, true, nil)
		}
		// With no links, put frees the inode and removes the entry.
		if perr := fs.put(ip); err == nil {
			err = perr
		}
		if err != nil {
			return 0, fmt.Errorf("orphan inode %d: %w", inum, err)
		}
	}
	return len(list), nil
}
