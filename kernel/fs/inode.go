package fs

import (
	"encoding/binary"
	"fmt"
	"sync"

	"scone/kernel/fs/layout"
)

// Inode is an in-memory handle on a file. Holding one (from Open, Lookup,
// Create...) keeps the file alive: its number stays valid and its blocks
// stay allocated even after the last link is removed, until Close. This is
// what an open file descriptor holds.
type inode struct {
	fs   *FS
	inum uint32
	ref  int // handles held; guarded by fs.itMu

	// rw is held across the transactions of one write or truncate, so a
	// large write is not interleaved with another writer. It is taken
	// before the journal's begin.
	rw sync.RWMutex
	// mu guards valid and d, and the file's contents. It is taken after
	// begin, and only the tree operations (under nsMu) ever hold two.
	mu    sync.Mutex
	valid bool // d has been read from disk
	d     layout.Dinode
}

// Ino returns the inode number.
func (ip *inode) Ino() uint32 { return ip.inum }

// iget returns a handle on inode inum without reading it.
func (fs *FS) iget(inum uint32) *inode {
	fs.itMu.Lock()
	defer fs.itMu.Unlock()
	ip, ok := fs.itable[inum]
	if !ok {
		ip = &inode{fs: fs, inum: inum}
		fs.itable[inum] = ip
	}
	ip.ref++
	return ip
}

// dup returns another handle on ip.
func (ip *inode) dup() *inode {
	ip.fs.itMu.Lock()
	ip.ref++
	ip.fs.itMu.Unlock()
	return ip
}

// lock locks ip, reading it from disk if needed. A free or malformed
// on-disk inode is reported as corruption.
func (ip *inode) lock() error {
	ip.mu.Lock()
	if ip.valid {
		return nil
	}
	d, err := ip.fs.readDinode(ip.inum, "in use but free on disk")
	if err != nil {
		ip.mu.Unlock()
		return err
	}
	ip.d, ip.valid = d, true
	return nil
}

func (ip *inode) unlock() { ip.mu.Unlock() }

// readDinode reads and validates inode inum from its block. A free inode
// is corruption, reported with ifFree.
func (fs *FS) readDinode(inum uint32, ifFree string) (layout.Dinode, error) {
	if inum == 0 || inum >= fs.sb.NInodes {
		return layout.Dinode{}, errCorrupt("inode number %d out of range", inum)
	}
	bn, off := fs.sb.InodeBlock(inum)
	b, err := fs.c.get(bn)
	if err != nil {
		return layout.Dinode{}, err
	}
	d, err := layout.DecodeDinode(b.data[off:])
	fs.c.release(b)
	if err == nil && d.Mode == 0 {
		err = errCorrupt("%s", ifFree)
	}
	if err == nil {
		err = d.Check(&fs.sb)
	}
	if err != nil {
		return d, fmt.Errorf("inode %d: %w", inum, err)
	}
	return d, nil
}

// update writes ip's in-memory copy to its disk block, in transaction t.
// Called with ip locked after every change to ip.d.
func (ip *inode) update(t *tx) error {
	fs := ip.fs
	bn, off := fs.sb.InodeBlock(ip.inum)
	b, err := fs.c.get(bn)
	if err != nil {
		return err
	}
	// The orphan list owns NextOrphan (orphan.go): keep what is on disk.
	ip.d.NextOrphan = binary.LittleEndian.Uint32(b.data[off+layout.NextOrphanOff:])
	ip.d.Encode(b.data[off:])
	t.write(b)
	fs.c.release(b)
	return nil
}

// ialloc allocates an inode of the given mode with no links, writes it
// and returns a handle on it.
func (fs *FS) ialloc(t *tx, mode uint32) (*inode, error) {
	inum, err := fs.alloc(t, fs.inodeBitmap(), &fs.inoHint)
	if err != nil {
		return nil, err
	}
	now := fs.now()
	d := layout.Dinode{Mode: mode, Mtime: now, Ctime: now}
	bn, off := fs.sb.InodeBlock(inum)
	b, err := fs.c.get(bn)
	if err != nil {
		return nil, err
	}
	d.Encode(b.data[off:])
	t.write(b)
	fs.c.release(b)
	fs.dropIndex(inum) // a directory index of the number's previous life
	ip := fs.iget(inum)
	ip.mu.Lock()
	// A handle for inum may have survived in the table from the file's
	// previous life; it must not be trusted.
	ip.valid = false
	ip.mu.Unlock()
	return ip, nil
}

// put drops a handle. Dropping the last handle on an inode with no links
// frees its blocks and the inode itself, in transactions of its own:
// put must therefore not be called inside a transaction on an inode that
// may be unlinked (the tree operations put their victims after end).
func (fs *FS) put(ip *inode) error {
	fs.itMu.Lock()
	var err error
	if ip.ref == 1 {
		// Nobody else holds ip, so nobody holds its locks.
		if ip.valid && ip.d.Nlink == 0 {
			fs.itMu.Unlock()
			err = fs.release(ip)
			fs.itMu.Lock()
		}
	}
	ip.ref--
	if ip.ref == 0 {
		delete(fs.itable, ip.inum)
	}
	fs.itMu.Unlock()
	return err
}

// release frees an unlinked inode nobody holds: its blocks, as many
// transactions' worth as needed, and then, in the transaction that frees
// the last block, the inode itself. It was put on the orphan list when
// its last link went, so mount finishes the job after a crash.
func (fs *FS) release(ip *inode) error {
	return fs.truncate(ip, 0, true, func(t *tx) error {
		// Clear the inode before its bit: once the bit is clear, ialloc
		// may hand the number out and initialise the inode at once.
		ip.d = layout.Dinode{}
		if err := ip.update(t); err != nil {
			return err
		}
		fs.dropIndex(ip.inum)
		ip.valid = false // so truncStep does not write it again
		// Off the list before the number can be handed out again.
		if err := fs.orphanRemove(t, ip.inum); err != nil {
			return err
		}
		return fs.free(t, fs.inodeBitmap(), uint64(ip.inum))
	})
}
