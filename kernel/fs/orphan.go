package fs

import (
	"fmt"
	"syscall"

	"scone/kernel/fs/layout"
)

// The orphan table (one block) lists inodes whose blocks must still be
// freed: files unlinked while open (freed on last close) and files being
// shrunk across several transactions. An entry is added in the same
// transaction that creates the obligation and removed in the one that
// discharges it, so after a crash mount knows exactly what to finish.

// orphanAdd records inum in the table, unless it is there already.
func (fs *FS) orphanAdd(t *tx, inum uint32) error {
	return fs.orphanEdit(t, func(slots []uint32, b []byte) error {
		free := -1
		for i, s := range slots {
			if s == inum {
				return nil
			}
			if s == 0 && free < 0 {
				free = i
			}
		}
		if free < 0 {
			return fmt.Errorf("fs: orphan table full (%d files unlinked while open): %w", len(slots), syscall.ENOSPC)
		}
		layout.PutOrphan(b, free, inum)
		return nil
	})
}

// orphanRemove deletes inum from the table if it is there.
func (fs *FS) orphanRemove(t *tx, inum uint32) error {
	return fs.orphanEdit(t, func(slots []uint32, b []byte) error {
		for i, s := range slots {
			if s == inum {
				layout.PutOrphan(b, i, 0)
			}
		}
		return nil
	})
}

// orphanEdit runs fn on the table's slots and block, and logs the block if
// fn changed it. The block's buffer lock serialises the edits.
func (fs *FS) orphanEdit(t *tx, fn func([]uint32, []byte) error) error {
	b, err := fs.c.get(uint64(fs.sb.OrphanStart))
	if err != nil {
		return err
	}
	defer fs.c.release(b)
	slots, err := layout.DecodeOrphans(b.data, fs.sb.NInodes)
	if err != nil {
		return err
	}
	before := append([]byte(nil), b.data[:4*len(slots)]...)
	if err := fn(slots, b.data); err != nil {
		return err
	}
	if string(before) != string(b.data[:4*len(slots)]) {
		t.write(b)
	}
	return nil
}

// orphans returns the inodes in the table.
func (fs *FS) orphans() ([]uint32, error) {
	b, err := fs.c.get(uint64(fs.sb.OrphanStart))
	if err != nil {
		return nil, err
	}
	defer fs.c.release(b)
	slots, err := layout.DecodeOrphans(b.data, fs.sb.NInodes)
	if err != nil {
		return nil, err
	}
	var list []uint32
	for _, s := range slots {
		if s != 0 {
			list = append(list, s)
		}
	}
	return list, nil
}

// reclaimOrphans finishes what a crash interrupted: it frees orphans with
// no links and trims the others to their size. It runs at mount, before
// anyone else can hold an inode.
func (fs *FS) reclaimOrphans() (int, error) {
	list, err := fs.orphans()
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
