package fs

import (
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"scone/kernel/fs/layout"
)

// FS is a mounted file system. All methods are safe for concurrent use.
type FS struct {
	dev BlockDevice
	sb  layout.Superblock
	c   *cache
	j   *journal
	now func() int64

	// nsMu serializes changes to the directory tree (create, link, unlink,
	// rename...), which may hold several inode locks; path lookups hold it
	// shared. File reads and writes do not take it.
	nsMu sync.RWMutex

	itMu   sync.Mutex // guards itable and every inode's ref
	itable map[uint32]*inode

	// allocMu guards the allocation hints; alloc holds it across its
	// scan of a bitmap.
	allocMu            sync.Mutex
	blockHint, inoHint uint32
	// freeBlocks and freeInodes count clear bitmap bits, for StatFS.
	freeBlocks, freeInodes atomic.Int64

	mounts map[uint32]*inode // mount points (mount.go); guarded by nsMu
	orph   orphanList        // orphan.go
	dix    dirIndexes        // dirindex.go

	recovered, orphaned int // what mount repaired
}

// Options tune a mount. The zero value is the default.
type Options struct {
	// CacheBlocks bounds the buffer cache (default 4096 blocks, 16 MiB; at
	// least the journal size plus 64).
	CacheBlocks int
	// Now returns the time in nanoseconds since the epoch for mtimes
	// (default time.Now).
	Now func() int64
	// Sync makes every operation durable before it returns, like Linux's
	// "mount -o sync": an operation waits for the commit that carries it
	// (still shared with whatever ran alongside).
	Sync bool
	// CommitInterval is how long a group of operations may wait for its
	// commit, as ext4's commit= (5 s): operations that end within it share
	// one commit and one barrier. 0 commits as soon as no operation runs.
	// A group also commits when the journal is nearly full and on Sync.
	CommitInterval time.Duration
}

// Mount opens the file system on dev: it validates the superblock, replays
// a committed journal transaction a crash left behind, and finishes freeing
// orphaned inodes. A damaged image is refused with an error wrapping
// syscall.EUCLEAN (or EIO for a failing device).
func Mount(dev BlockDevice, opt Options) (*FS, error) {
	sb, err := readSuperblock(dev)
	if err != nil {
		return nil, err
	}
	replayed, seq, half, err := recoverLog(dev, sb)
	if err != nil {
		return nil, fmt.Errorf("fs: mount: journal: %w", err)
	}
	if opt.CacheBlocks == 0 {
		opt.CacheBlocks = 4096
	}
	opt.CacheBlocks = max(opt.CacheBlocks, int(sb.LogBlocks)+64)
	if opt.Now == nil {
		opt.Now = func() int64 { return time.Now().UnixNano() }
	}
	fs := &FS{dev: dev, sb: *sb, now: opt.Now, itable: make(map[uint32]*inode), mounts: make(map[uint32]*inode),
		blockHint: sb.DataStart, inoHint: layout.RootInum + 1, recovered: replayed}
	fs.c = newCache(dev, opt.CacheBlocks)
	fs.j = newJournal(fs.c, dev, sb, opt.CommitInterval)
	fs.j.seq, fs.j.half = seq, half
	fs.j.sync = opt.Sync
	root := fs.iget(layout.RootInum)
	err = root.lock()
	if err == nil && root.d.Type() != layout.S_IFDIR {
		err = errCorrupt("root inode is not a directory (mode %#o)", root.d.Mode)
	}
	if err == nil {
		root.unlock()
	}
	fs.put(root)
	if err != nil {
		return nil, fmt.Errorf("fs: mount: %w", err)
	}
	if err := fs.countAll(); err != nil {
		return nil, fmt.Errorf("fs: mount: %w", err)
	}
	if fs.orphaned, err = fs.reclaimOrphans(); err != nil {
		return nil, fmt.Errorf("fs: mount: orphans: %w", err)
	}
	return fs, nil
}

func readSuperblock(dev BlockDevice) (*layout.Superblock, error) {
	if dev.NumBlocks() == 0 {
		return nil, fmt.Errorf("fs: mount: empty device: %w", syscall.EINVAL)
	}
	b := make([]byte, BlockSize)
	if err := dev.ReadBlock(0, b); err != nil {
		return nil, fmt.Errorf("fs: mount: %w", ioError("read", 0, err))
	}
	sb, err := layout.DecodeSuperblock(b)
	if err != nil {
		return nil, fmt.Errorf("fs: mount: %w", err)
	}
	if sb.NBlocks > dev.NumBlocks() {
		return nil, fmt.Errorf("fs: mount: %w: superblock says %d blocks, device has %d",
			syscall.EUCLEAN, sb.NBlocks, dev.NumBlocks())
	}
	return sb, nil
}

// Superblock returns a copy of the superblock.
func (fs *FS) Superblock() layout.Superblock { return fs.sb }

// MountInfo reports what mount repaired: journal blocks replayed and
// orphaned inodes finished.
func (fs *FS) MountInfo() (replayed, orphans int) { return fs.recovered, fs.orphaned }

// Sync returns once every operation that completed before the call is
// durable on the device.
func (fs *FS) Sync() error { return fs.j.waitIdle() }

// Unmount drops the mount points and syncs. The caller must have closed
// every Handle it opened; the FS must not be used afterwards.
func (fs *FS) Unmount() error {
	fs.nsMu.Lock()
	mps := fs.mounts
	fs.mounts = make(map[uint32]*inode)
	fs.nsMu.Unlock()
	for _, mp := range mps {
		if err := fs.put(mp); err != nil {
			return err
		}
	}
	fs.itMu.Lock()
	open := 0
	for _, ip := range fs.itable {
		open += ip.ref
	}
	fs.itMu.Unlock()
	if err := fs.Sync(); err != nil {
		return err
	}
	if open > 0 {
		return fmt.Errorf("fs: unmount with %d inode references open: %w", open, syscall.EBUSY)
	}
	return fs.j.clear()
}

// Stats are counters for benchmarks and debugging.
type Stats struct {
	Commits, Ops           uint64 // journal commits, and operations they carried
	CacheHits, CacheMisses uint64
	// Misses that read the blocks after them in the same request, and
	// how many blocks they read ahead.
	ReadAheads, ReadAheadBlocks uint64
	// Blocks in the buffer cache, and how many of them could be evicted
	// now (clean, unheld, not in a transaction): /proc/meminfo's Cached
	// and the reclaimable part of MemAvailable.
	CacheBlocks, CacheEvictable uint64
}

// DropCache empties the buffer cache of every block nobody holds and the
// journal has not pinned (/proc/sys/vm/drop_caches), and returns how many
// blocks it dropped.  Later reads fetch them from the device again.
func (fs *FS) DropCache() int { return fs.c.drop() }

// Stats returns the counters.
func (fs *FS) Stats() Stats {
	fs.j.mu.Lock()
	s := Stats{Commits: fs.j.commits, Ops: fs.j.ops}
	fs.j.mu.Unlock()
	fs.c.stats(&s)
	return s
}
