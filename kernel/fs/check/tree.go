package check

import (
	"crypto/sha256"
	"encoding/hex"

	"scone/kernel/fs/layout"
)

type entry struct {
	name string
	inum uint32
	typ  uint8
}

// walkDir checks directory inum (whose parent is parent) and everything
// below it.
func (c *checker) walkDir(inum, parent uint32, path string) {
	if c.seen[inum] {
		c.r.problem("%s: directory inode %d reached twice (a hard link to a directory?)", show(path), inum)
		return
	}
	c.seen[inum] = true
	d, ok := c.inode(inum)
	if !ok {
		return
	}
	if d.Type() != layout.S_IFDIR {
		c.r.problem("%s: inode %d is not a directory (mode %#o)", show(path), inum, d.Mode)
		return
	}
	c.r.Files = append(c.r.Files, File{Path: show(path), Ino: inum, Mode: d.Mode, Size: d.Size})
	var ents []entry
	for i, a := range c.blocks(inum, &d) {
		if a == 0 {
			c.r.problem("%s: directory has a hole at block %d", show(path), i)
			continue
		}
		if !c.read(uint64(a)) {
			continue
		}
		err := layout.ParseDirBlock(c.buf, c.sb.NInodes, func(e layout.Dirent) bool {
			if e.Inum != 0 {
				ents = append(ents, entry{string(e.Name), e.Inum, e.Type})
			}
			return true
		})
		if err != nil {
			c.r.problem("%s: block %d: %v", show(path), i, err)
		}
	}
	names := make(map[string]bool)
	dot, dotdot := false, false
	for _, e := range ents {
		if names[e.name] {
			c.r.problem("%s: name %q appears twice", show(path), e.name)
			continue
		}
		names[e.name] = true
		c.refs[e.inum]++
		switch e.name {
		case ".":
			dot = true
			if e.inum != inum {
				c.r.problem("%s: \".\" names inode %d, not itself (%d)", show(path), e.inum, inum)
			}
			continue
		case "..":
			dotdot = true
			if e.inum != parent {
				c.r.problem("%s: \"..\" names inode %d, not its parent %d", show(path), e.inum, parent)
			}
			continue
		}
		c.child(e, path+"/"+e.name, inum)
	}
	if !dot || !dotdot {
		c.r.problem("%s: missing \".\" or \"..\"", show(path))
	}
}

// child checks the inode a record of directory dir names.
func (c *checker) child(e entry, path string, dir uint32) {
	if e.inum == layout.RootInum {
		c.r.problem("%s: names the root directory", path)
		return
	}
	d, ok := c.inode(e.inum)
	if !ok {
		return
	}
	if e.typ != layout.DTType(d.Mode) {
		c.r.problem("%s: record type %d, inode type %d", path, e.typ, layout.DTType(d.Mode))
	}
	if d.Type() == layout.S_IFDIR {
		c.walkDir(e.inum, dir, path)
		return
	}
	f := File{Path: path, Ino: e.inum, Mode: d.Mode, Size: d.Size, Major: d.Major, Minor: d.Minor}
	if !c.seen[e.inum] { // a second hard link shares the first one's checks
		c.seen[e.inum] = true
		list := c.blocks(e.inum, &d)
		switch d.Type() {
		case layout.S_IFREG:
			if c.listing {
				f.SHA256 = c.hash(list, d.Size)
			}
		case layout.S_IFLNK:
			f.Target = c.linkTarget(path, list, d.Size)
		default:
			if len(list) > 0 || d.Size != 0 {
				c.r.problem("%s: special file with size %d", path, d.Size)
			}
		}
	} else if c.listing && (d.Type() == layout.S_IFREG || d.Type() == layout.S_IFLNK) {
		for _, g := range c.r.Files {
			if g.Ino == e.inum {
				f.SHA256, f.Target = g.SHA256, g.Target
				break
			}
		}
	}
	c.r.Files = append(c.r.Files, f)
}

func show(path string) string {
	if path == "" {
		return "/"
	}
	return path
}

// linkTarget reads a symbolic link's target: 1 to 4095 bytes, one block.
func (c *checker) linkTarget(path string, list []uint32, size uint64) string {
	if size == 0 || size >= layout.BlockSize || len(list) != 1 || list[0] == 0 {
		c.r.problem("%s: symbolic link of %d bytes in %d blocks", path, size, len(list))
		return ""
	}
	if !c.read(uint64(list[0])) {
		return ""
	}
	return string(c.buf[:size])
}

// hash returns the SHA-256 of a file's contents, holes read as zeros.
func (c *checker) hash(list []uint32, size uint64) string {
	h := sha256.New()
	zero := make([]byte, layout.BlockSize)
	for i, a := range list {
		n := min(size-uint64(i)*layout.BlockSize, layout.BlockSize)
		if a == 0 || !c.read(uint64(a)) {
			h.Write(zero[:n])
		} else {
			h.Write(c.buf[:n])
		}
	}
	if rest := size - min(size, uint64(len(list))*layout.BlockSize); rest > 0 {
		for ; rest > 0; rest -= min(rest, layout.BlockSize) {
			h.Write(zero[:min(rest, layout.BlockSize)])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
