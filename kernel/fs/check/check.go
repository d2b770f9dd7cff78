// Package check verifies a Scone file-system image: every invariant that
// ties the bitmaps, inodes and directories together. It reads the on-disk
// structures itself with the layout decoders, rather than trusting the
// file-system code it is meant to check. tools/fsck is its command line.
package check

import (
	"encoding/binary"
	"fmt"
	"sort"

	"scone/kernel/fs"
	"scone/kernel/fs/fsdev"
	"scone/kernel/fs/layout"
)

// maxProblems stops a hopeless image from producing endless output.
const maxProblems = 200

// File is one name in the tree, for the listing.
type File struct {
	Path   string
	Ino    uint32
	Mode   uint32
	Size   uint64
	SHA256 string // of the contents, for regular files
	Target string // of a symbolic link
	Major  uint32
	Minor  uint32
}

// Report is the outcome of a check.
type Report struct {
	Problems      []string // empty if the image is consistent
	Files         []File   // every reachable name, sorted by path
	Replayed      int      // journal blocks recovery would replay
	Orphans       int      // orphaned inodes mount would free
	Inodes        int      // inodes in use
	Blocks        uint64   // data blocks in use
	SB            layout.Superblock
	truncatedList bool
}

// OK reports whether no problem was found.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

func (r *Report) problem(format string, args ...any) {
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	} else if !r.truncatedList {
		r.Problems = append(r.Problems, "too many problems; giving up on the rest")
		r.truncatedList = true
	}
}

// Image checks dev without modifying it: it mounts a copy-on-write overlay,
// so that the journal is replayed and orphans are freed exactly as the
// kernel would, and then checks the result. With listing set it also
// hashes every regular file.
func Image(dev fs.BlockDevice, listing bool) *Report {
	r := &Report{}
	ov := fsdev.NewOverlay(dev)
	f, err := fs.Mount(ov, fs.Options{})
	if err != nil {
		r.problem("%v", err)
		return r
	}
	r.Replayed, r.Orphans = f.MountInfo()
	if err := f.Unmount(); err != nil {
		r.problem("unmount: %v", err)
		return r
	}
	Raw(ov, listing, r)
	return r
}

// checker holds the state of one pass over the raw image.
type checker struct {
	dev     fs.BlockDevice
	sb      *layout.Superblock
	r       *Report
	listing bool
	claimed []uint64          // bit per block: owned by some inode
	refs    map[uint32]uint32 // directory records naming each inode
	seen    map[uint32]bool   // inodes whose contents have been checked
	buf     []byte
}

// Raw checks an image that needs no recovery (a clean journal and no
// orphans), adding what it finds to r.
func Raw(dev fs.BlockDevice, listing bool, r *Report) {
	c := &checker{dev: dev, r: r, listing: listing, refs: make(map[uint32]uint32),
		seen: make(map[uint32]bool), buf: make([]byte, layout.BlockSize)}
	if !c.read(0) {
		return
	}
	sb, err := layout.DecodeSuperblock(c.buf)
	if err != nil {
		r.problem("%v", err)
		return
	}
	if sb.NBlocks > dev.NumBlocks() {
		r.problem("superblock: %d blocks but the device has %d", sb.NBlocks, dev.NumBlocks())
		return
	}
	c.sb, r.SB = sb, *sb
	c.claimed = make([]uint64, (sb.NBlocks+63)/64)
	c.checkOrphans()
	c.refs[layout.RootInum] = 0
	c.walkDir(layout.RootInum, layout.RootInum, "")
	c.checkInodes()
	c.checkBlockBitmap()
	sort.Slice(r.Files, func(i, j int) bool { return r.Files[i].Path < r.Files[j].Path })
}

func (c *checker) read(n uint64) bool {
	if err := c.dev.ReadBlock(n, c.buf); err != nil {
		c.r.problem("read block %d: %v", n, err)
		return false
	}
	return true
}

func (c *checker) checkOrphans() {
	if !c.read(uint64(c.sb.OrphanStart)) {
		return
	}
	head, err := layout.DecodeOrphanHead(c.buf, c.sb.NInodes)
	if err != nil {
		c.r.problem("%v", err)
		return
	}
	if head != 0 {
		c.r.problem("orphan list: inode %d left after recovery", head)
	}
}

// inode reads and validates inode inum; ok is false if it is unusable.
func (c *checker) inode(inum uint32) (layout.Dinode, bool) {
	bn, off := c.sb.InodeBlock(inum)
	if !c.read(bn) {
		return layout.Dinode{}, false
	}
	d, err := layout.DecodeDinode(c.buf[off:])
	if err == nil && d.Mode == 0 {
		err = fmt.Errorf("free on disk but named by a directory")
	}
	if err == nil {
		err = d.Check(c.sb)
	}
	if err != nil {
		c.r.problem("inode %d: %v", inum, err)
		return d, false
	}
	if d.NextOrphan != 0 {
		c.r.problem("inode %d: next orphan %d left after recovery", inum, d.NextOrphan)
	}
	return d, true
}

// claim marks block a as owned by inode inum.
func (c *checker) claim(inum uint32, a uint32) bool {
	if !c.sb.ValidData(a) || a == 0 {
		c.r.problem("inode %d: block %d outside the data region", inum, a)
		return false
	}
	w, bit := a/64, uint64(1)<<(a%64)
	if c.claimed[w]&bit != 0 {
		c.r.problem("inode %d: block %d is also used elsewhere", inum, a)
		return false
	}
	c.claimed[w] |= bit
	return true
}

// blocks returns the file's data blocks by index (0 for holes), claiming
// them and its indirect blocks, and checks the block count.
func (c *checker) blocks(inum uint32, d *layout.Dinode) []uint32 {
	var list []uint32
	count := uint32(0)
	add := func(a uint32) {
		if a != 0 && c.claim(inum, a) {
			count++
		} else if a != 0 {
			a = 0
		}
		list = append(list, a)
	}
	for _, a := range d.Direct {
		add(a)
	}
	ptrs := func(a uint32) []uint32 { // the entries of pointer block a
		if !c.claim(inum, a) || !c.read(uint64(a)) {
			return nil
		}
		count++
		p := make([]uint32, layout.NIndirect)
		for i := range p {
			p[i] = binary.LittleEndian.Uint32(c.buf[4*i:])
		}
		return p
	}
	if d.Indirect != 0 || d.DIndirect != 0 {
		ind := make([]uint32, layout.NIndirect)
		if d.Indirect != 0 {
			ind = ptrs(d.Indirect)
		}
		for _, a := range ind {
			add(a)
		}
	}
	if d.DIndirect != 0 {
		for _, ia := range ptrs(d.DIndirect) {
			ind := make([]uint32, layout.NIndirect)
			if ia != 0 {
				ind = ptrs(ia)
			}
			for _, a := range ind {
				add(a)
			}
		}
	}
	if count != d.Blocks {
		c.r.problem("inode %d: block count %d, but %d blocks are allocated", inum, d.Blocks, count)
	}
	// No block may lie beyond the size.
	last := (d.Size + layout.BlockSize - 1) / layout.BlockSize
	for i := len(list) - 1; i >= int(last); i-- {
		if list[i] != 0 {
			c.r.problem("inode %d: block %d at index %d is beyond the size %d", inum, list[i], i, d.Size)
			break
		}
	}
	if uint64(len(list)) > last {
		list = list[:last]
	}
	return list
}

// checkInodes compares the inode bitmap and link counts with the tree.
func (c *checker) checkInodes() {
	bm := make([]byte, layout.BlockSize)
	for inum := uint32(0); inum < c.sb.NInodes; inum++ {
		if inum%layout.BitsPerBlock == 0 {
			if !c.read(uint64(c.sb.InodeBitmapStart) + uint64(inum/layout.BitsPerBlock)) {
				return
			}
			copy(bm, c.buf)
		}
		bit := inum % layout.BitsPerBlock
		used := bm[bit/8]&(1<<(bit%8)) != 0
		if inum == 0 {
			if !used {
				c.r.problem("inode bitmap: reserved inode 0 marked free")
			}
			continue
		}
		reached := c.seen[inum]
		bn, off := c.sb.InodeBlock(inum)
		if !c.read(bn) {
			return
		}
		d, _ := layout.DecodeDinode(c.buf[off:])
		switch {
		case reached && !used:
			c.r.problem("inode %d: in use but free in the inode bitmap", inum)
		case !reached && used:
			c.r.problem("inode %d: marked in use but no directory names it (leaked)", inum)
		case !reached && d.Mode != 0:
			c.r.problem("inode %d: free but not cleared (mode %#o)", inum, d.Mode)
		}
		if reached {
			c.r.Inodes++
			if d.Nlink != c.refs[inum] {
				c.r.problem("inode %d: link count %d, but %d directory records name it", inum, d.Nlink, c.refs[inum])
			}
		}
	}
}

// checkBlockBitmap compares the block bitmap with the blocks the inodes own.
func (c *checker) checkBlockBitmap() {
	for bi := uint32(0); bi < c.sb.BlockBitmapBlocks; bi++ {
		if !c.read(uint64(c.sb.BlockBitmapStart + bi)) {
			return
		}
		for bit := uint64(0); bit < layout.BitsPerBlock; bit++ {
			a := uint64(bi)*layout.BitsPerBlock + bit
			used := c.buf[bit/8]&(1<<(bit%8)) != 0
			var want bool
			switch {
			case a >= c.sb.NBlocks:
				want = true // padding past the end of the disk
			case a < uint64(c.sb.DataStart):
				want = true // metadata
			default:
				want = c.claimed[a/64]&(1<<(a%64)) != 0
				if want {
					c.r.Blocks++
				}
			}
			if used != want {
				state := map[bool]string{true: "in use", false: "free"}
				c.r.problem("block %d: %s in the bitmap but %s", a, state[used], state[want])
			}
		}
	}
}
