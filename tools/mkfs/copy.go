package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"scone/kernel/fs"
)

// fileID identifies a host file, to reproduce hard links.
type fileID struct{ dev, ino uint64 }

type copier struct {
	f        *fs.FS
	links    map[fileID]string // host file -> its first path in the image
	warnings []string
}

// copyTree copies host directory src to image directory dst ("" = root),
// children first so the directory's own mtime is set last.
func (c *copier) copyTree(src, dst string) error {
	ents, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range ents {
		hp, ip := filepath.Join(src, e.Name()), dst+"/"+e.Name()
		st, err := os.Lstat(hp)
		if err != nil {
			return err
		}
		switch {
		case st.IsDir():
			if err := c.f.Mkdir(nil, nil, ip, uint32(st.Mode().Perm())); err != nil {
				return fmt.Errorf("%s: %w", ip, err)
			}
			if err := c.copyTree(hp, ip); err != nil {
				return err
			}
			if err := c.setAttr(ip, st); err != nil {
				return err
			}
		case st.Mode().IsRegular():
			if err := c.copyFile(hp, ip, st); err != nil {
				return fmt.Errorf("%s: %w", ip, err)
			}
		case st.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(hp)
			if err != nil {
				return err
			}
			if err := c.f.Symlink(nil, target, nil, ip); err != nil {
				return fmt.Errorf("%s: %w", ip, err)
			}
		case st.Mode()&(os.ModeDevice|os.ModeNamedPipe) != 0:
			if err := c.copyNode(ip, st); err != nil {
				return fmt.Errorf("%s: %w", ip, err)
			}
		default:
			c.warnings = append(c.warnings, fmt.Sprintf("%s: skipped (%v is not supported)", hp, st.Mode().Type()))
		}
	}
	return nil
}

func (c *copier) copyFile(hp, ip string, st os.FileInfo) error {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Nlink > 1 {
		id := fileID{uint64(sys.Dev), sys.Ino}
		if first, ok := c.links[id]; ok {
			return c.f.Link(nil, nil, first, nil, ip, false)
		}
		c.links[id] = ip
	}
	in, err := os.Open(hp)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := c.f.Open(nil, nil, ip, fs.O_CREAT|fs.O_EXCL|syscall.O_WRONLY, uint32(st.Mode().Perm()))
	if err != nil {
		return err
	}
	defer out.Close()
	// Whole chunks keep off a multiple of the block size, so that the
	// blocks writeSparse sees are the file's blocks.
	buf := make([]byte, 1<<20)
	var off int64
	for {
		n, rerr := io.ReadFull(in, buf)
		if err := writeSparse(out, buf[:n], off); err != nil {
			return err
		}
		off += int64(n)
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	if err := out.Truncate(off); err != nil { // the size, if it ends in a hole
		return err
	}
	return stamp(out, st)
}

// writeSparse writes p at off (a block boundary) into a new file, leaving
// every block of zeros a hole, so that a sparse host file stays sparse
// and a file bigger than the image can be copied if it is mostly holes.
func writeSparse(out *fs.Handle, p []byte, off int64) error {
	for len(p) > 0 {
		run := 0 // the blocks up to the next block of zeros
		for run < len(p) && !isZero(p[run:min(len(p), run+fs.BlockSize)]) {
			run = min(len(p), run+fs.BlockSize)
		}
		if run > 0 {
			if _, err := out.WriteAt(p[:run], off); err != nil {
				return err
			}
		} else {
			run = min(len(p), fs.BlockSize) // skip the zero block
		}
		p, off = p[run:], off+int64(run)
	}
	return nil
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// copyNode makes a device node or FIFO like the host's.
func (c *copier) copyNode(ip string, st os.FileInfo) error {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("no device numbers")
	}
	rdev := uint64(sys.Rdev)
	major := uint32((rdev>>8)&0xfff | (rdev>>32)&^0xfff)
	minor := uint32(rdev&0xff | (rdev>>12)&^0xff)
	if err := c.f.Mknod(nil, nil, ip, sys.Mode, major, minor); err != nil {
		return err
	}
	return c.setAttr(ip, st)
}

// mknod makes the node a -mknod flag describes: PATH:TYPE:MAJOR:MINOR,
// TYPE c (character device), b (block device) or p (FIFO), mode 0666.
func (c *copier) mknod(spec string) error {
	parts := strings.Split(spec, ":")
	if len(parts) != 4 {
		return fmt.Errorf("-mknod %q: want PATH:TYPE:MAJOR:MINOR", spec)
	}
	types := map[string]uint32{"c": syscall.S_IFCHR, "b": syscall.S_IFBLK, "p": syscall.S_IFIFO}
	typ, ok := types[parts[1]]
	major, err1 := strconv.ParseUint(parts[2], 10, 32)
	minor, err2 := strconv.ParseUint(parts[3], 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return fmt.Errorf("-mknod %q: want PATH:TYPE:MAJOR:MINOR with TYPE c, b or p", spec)
	}
	// Make the missing parent directories, as mkdir -p would.
	dirs := strings.Split(strings.Trim(parts[0], "/"), "/")
	for i := 1; i < len(dirs); i++ {
		err := c.f.Mkdir(nil, nil, "/"+strings.Join(dirs[:i], "/"), 0o755)
		if err != nil && !errors.Is(err, syscall.EEXIST) {
			return fmt.Errorf("-mknod %q: %w", spec, err)
		}
	}
	if err := c.f.Mknod(nil, nil, parts[0], typ|0o666, uint32(major), uint32(minor)); err != nil {
		return fmt.Errorf("-mknod %q: %w", spec, err)
	}
	return nil
}

func (c *copier) setAttr(ip string, st os.FileInfo) error {
	h, err := c.f.Lookup(nil, nil, ip)
	if err != nil {
		return err
	}
	defer h.Close()
	return stamp(h, st)
}

// stamp gives h the permissions and modification time of st.
func stamp(h *fs.Handle, st os.FileInfo) error {
	if err := h.Chmod(uint32(st.Mode().Perm())); err != nil {
		return err
	}
	return h.Utimens(fs.UtimeOmit, st.ModTime().UnixNano())
}

// parseSize reads "4096", "64M", "1G", "512K" or with a "iB"/"B" suffix.
func parseSize(s string) (uint64, error) {
	t := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(s), "B"), "I")
	mult := uint64(1)
	if t != "" {
		switch t[len(t)-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		case 'T':
			mult = 1 << 40
		}
		if mult != 1 {
			t = t[:len(t)-1]
		}
	}
	n, err := strconv.ParseUint(t, 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	if n*mult/mult != n || n*mult < fs.MinBlocks*fs.BlockSize {
		return 0, fmt.Errorf("size %q: must be at least %d bytes", s, fs.MinBlocks*fs.BlockSize)
	}
	return n * mult, nil
}
